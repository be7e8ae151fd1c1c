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
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {:>col$}",
                "",
                self.pos.line,
                line,
                "",
                "^",
                col = self.pos.column as usize
            )?;
        }
        Ok(())
    }
}

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
pub fn parse_yaml<T: serde::de::DeserializeOwned>(file: &Path, text: &str) -> Result<T, SpecError> {
    if text.contains('\0') {
        let line = text.split('\0').next().unwrap_or_default().lines().count().max(1);
        let mut r = Reporter::new(file, text);
        r.error(
            Pos {
                line: line as u32,
                column: 1,
            },
            "the file contains a NUL byte; YAML must be text",
        );
        return Err(r.finish().expect_err("one diagnostic was added"));
    }
    serde_saphyr::from_str::<T>(text).map_err(|e| {
        let pos = e.location().map(Pos::from).unwrap_or(Pos { line: 1, column: 1 });
        let rendered = e.to_string();
        let first = rendered.lines().next().unwrap_or_default();
        // serde-saphyr prefixes its own "error: line N column M: "; the position is ours to print.
        let message = first
            .strip_prefix("error: ")
            .and_then(|rest| rest.split_once(": ").filter(|(p, _)| p.starts_with("line ")).map(|(_, m)| m))
            .unwrap_or(first)
            .to_string();
        let mut r = Reporter::new(file, text);
        r.error(pos, message);
        r.finish().expect_err("one diagnostic was added")
    })
}
