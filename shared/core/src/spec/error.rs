//! Errors in user-written files, always with the file, line and column, and the offending line.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl From<serde_saphyr::Location> for Pos {
    fn from(l: serde_saphyr::Location) -> Self {
        Pos {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        }
    }
}

impl Pos {
    /// The position just after `before` (the text up to a point of interest).
    pub fn after(before: &str) -> Self {
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
    /// The source line the position points into, for the caret display.
    pub source_line: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.pos.line, self.pos.column, self.message)?;
        if let Some(line) = &self.source_line {
            let gutter = self.pos.line.to_string().len();
            let (shown, col) = excerpt(line, self.pos.column as usize);
            write!(f, "\n{:gutter$} |\n{} | {shown}\n{:gutter$} | {:>col$}", "", self.pos.line, "", "^")?;
        }
        Ok(())
    }
}

/// At most [`EXCERPT`] characters of a source line around 1-based `column` (a minified or
/// generated file has lines of megabytes), and the column within them.
fn excerpt(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= EXCERPT {
        return (line.to_string(), column);
    }
    let at = column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(EXCERPT / 2);
    let end = (start + EXCERPT).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut col = at - start + 1;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col)
}

const EXCERPT: usize = 100;

/// Everything wrong with a file: parsing stops at the first syntax error, validation reports
/// every problem it finds so a user fixes them in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SpecError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics against one source text.
#[derive(Debug)]
pub struct Reporter<'a> {
    file: &'a Path,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Self {
            file,
            text,
            diagnostics: Vec::new(),
        }
    }

    pub fn error(&mut self, pos: impl Into<Pos>, message: impl Into<String>) {
        let pos = pos.into();
        let source_line = (pos.line > 0)
            .then(|| self.text.lines().nth(pos.line as usize - 1).map(str::to_string))
            .flatten();
        self.diagnostics.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos,
            message: message.into(),
            source_line,
        });
    }

    /// Where `needle` first appears at or after `from`: the position of a map key, which the
    /// parser does not keep, found from the position of its map.
    pub fn find(&self, from: Pos, needle: &str) -> Pos {
        let start = self
            .text
            .split_inclusive('\n')
            .take(from.line.saturating_sub(1) as usize)
            .map(str::len)
            .sum::<usize>();
        let start = self.text[start..]
            .char_indices()
            .nth(from.column.saturating_sub(1) as usize)
            .map_or(start, |(i, _)| start + i);
        match self.text.get(start..).and_then(|rest| rest.find(needle)) {
            Some(at) if !needle.is_empty() => Pos::after(&self.text[..start + at]),
            _ => from,
        }
    }

    /// What was reported, for callers that report warnings rather than fail.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    pub fn finish(self) -> Result<(), SpecError> {
        if self.diagnostics.is_empty() {
            Ok(())
        } else {
            Err(SpecError {
                diagnostics: self.diagnostics,
            })
        }
    }
}

/// Deserializes YAML into `T`, turning syntax and shape errors into a located [`SpecError`].
/// Every shape problem is reported, not only the first: after one, the parse runs again without
/// the lines it stands on (blanked, so positions hold) to find the next, as a compiler recovers
/// past an error. A syntax error or a missing key ends the search: what follows it cannot be
/// read apart from it.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, SpecError> {
    /// Enough for any hand-written file; each round blanks at least one line.
    const MAX_PROBLEMS: usize = 50;
    if let Some(at) = text.find('\0') {
        let mut r = Reporter::new(file, text);
        r.error(Pos::after(&text[..at]), "the file contains a NUL byte; YAML must be text");
        return Err(r.finish().expect_err("one diagnostic was added"));
    }
    let mut e = match serde_saphyr::from_str::<T>(text) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut r = Reporter::new(file, text);
    let mut rest: Vec<String> = text.lines().map(str::to_string).collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut blanked_keys = Vec::new();
    loop {
        let said = message(&e);
        // A key that went with a blanked line is not missing from the file.
        if blanked_keys.iter().any(|k| said == format!("missing field `{k}`")) {
            break;
        }
        let pos = e.location().map(Pos::from).unwrap_or(Pos { line: 1, column: 1 });
        r.error(pos, super::plain::plain(&said));
        let line = pos.line as usize;
        if !recoverable(&e) || !seen.insert(line) || seen.len() >= MAX_PROBLEMS || line == 0 || line > rest.len() {
            break;
        }
        blanked_keys.extend(blank_block(&mut rest, line - 1));
        match serde_saphyr::from_str::<T>(&rest.join("\n")) {
            Ok(_) => break,
            Err(next) => e = next,
        }
    }
    Err(r.finish().expect_err("at least one diagnostic was added"))
}

/// The error's own words: serde-saphyr prefixes "error: line N column M: ", and the position
/// is ours to print.
fn message(e: &serde_saphyr::Error) -> String {
    let rendered = e.to_string();
    let first = rendered.lines().next().unwrap_or_default();
    first
        .strip_prefix("error: ")
        .and_then(|rest| rest.split_once(": ").filter(|(p, _)| p.starts_with("line ")).map(|(_, m)| m))
        .unwrap_or(first)
        .to_string()
}

/// A problem with one key or value, which the rest of the file can be read without.
fn recoverable(e: &serde_saphyr::Error) -> bool {
    use serde_saphyr::Error as E;
    match e {
        E::WithSnippet { error, .. } => recoverable(error),
        E::SerdeInvalidType { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::SerdeUnknownVariant { .. }
        | E::SerdeUnknownField { .. }
        | E::DuplicateMappingKey { .. }
        | E::NullIntoString { .. }
        | E::InvalidScalar { .. } => true,
        // Our own visitors' refusals ("unsupported buildspec version"); not the scanner's.
        E::Message { msg, .. } => ![
            "while ",
            "did not find",
            "simple key",
            "mapping values",
            "found character",
            "could not find",
        ]
        .iter()
        .any(|scanner| msg.contains(scanner)),
        _ => false,
    }
}

/// Blanks line `at` and the lines indented under it — the key or item that was wrong, whole —
/// and a parent left with nothing under it (an empty `env:` would be a problem of its own).
/// Returns the keys blanked.
fn blank_block(lines: &mut [String], at: usize) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let item = |l: &str| l.trim_start().starts_with("- ");
    let content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let key = |l: &str| {
        l.trim_start()
            .trim_start_matches("- ")
            .split_once(':')
            .map(|(k, _)| k.trim().to_string())
    };
    let mut keys = Vec::new();
    let mut at = at;
    loop {
        let own = indent(&lines[at]);
        // A key's list may sit at the key's own indentation; an item's siblings are not its own.
        let owns_items_at_its_indent = !item(&lines[at]);
        keys.extend(key(&lines[at]));
        lines[at].clear();
        for line in lines.iter_mut().skip(at + 1) {
            if !content(line) {
                continue;
            }
            let inside = indent(line) > own || (indent(line) == own && owns_items_at_its_indent && item(line));
            if !inside {
                break;
            }
            line.clear();
        }
        let Some(parent) = (0..at).rev().find(|&i| content(&lines[i]) && indent(&lines[i]) < own) else {
            return keys;
        };
        let parent_indent = indent(&lines[parent]);
        let children = lines[parent + 1..]
            .iter()
            .filter(|l| content(l))
            .take_while(|l| indent(l) > parent_indent || (indent(l) == parent_indent && item(l)))
            .count();
        if children > 0 || !lines[parent].trim_end().ends_with(':') {
            return keys;
        }
        at = parent;
    }
}
