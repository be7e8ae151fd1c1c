//! How a JSONPath's bracketed steps are written: the `]` that closes one, and what it holds
//! (a filter, a slice, `*`, quoted names or indices), read into a [`Segment`].

use crate::path::Segment;
use crate::path_filter::Filter;

/// The `]` that closes the `[` at byte `open` of `text`, past quotes and nested brackets (a
/// filter may hold `@.tags[0]`, a list `['a]', 'b']`).
pub(crate) fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        match (quote, c) {
            // Inside a string a backslash escapes the next character (`'it\'s'`), as Jayway's
            // CharacterIndex skips it.
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The step written between `[` and `]`: a filter, a slice, `*`, quoted names or indices.
pub(crate) fn bracketed(inner: &str) -> Result<Segment, String> {
    if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        return Ok(Segment::Filter(Box::new(Filter::parse(filter)?)));
    }
    if inner == "*" {
        return Ok(Segment::Wildcard);
    }
    if inner.starts_with(['\'', '"']) {
        let mut names = quoted_names(inner).ok_or("a name in brackets is quoted, names are separated by ','")?;
        return Ok(if names.len() == 1 {
            Segment::Field(names.remove(0))
        } else {
            Segment::Fields(names)
        });
    }
    if inner.contains(':') {
        return slice(inner).ok_or_else(|| "a slice is [start:], [:end] or [start:end], whole numbers".to_string());
    }
    let mut indices = inner
        .split(',')
        .map(|n| n.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "expected an index, '*' or a quoted name in brackets".to_string())?;
    Ok(if indices.len() == 1 {
        Segment::Index(indices.remove(0))
    } else {
        Segment::Indices(indices)
    })
}

/// `'a'`, `"b"` or `'a', 'b'`: the names, each read between its quotes, where a backslash
/// escapes the name's own quote and a backslash, and any other stands for itself. AWS found
/// the key `Test\""Name"` with `$['Test\""Name"']` (recorded in localstack/localstack,
/// tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
/// test_escape_sequence_parsing[ESCAPE_SEQUENCES_JSONPATH], 2025-02-02): the `\"` stayed as
/// written, where a filter's string reads it as `"`.
fn quoted_names(inner: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = inner;
    loop {
        let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
        let end = unescaped(&rest[1..], quote)? + 1;
        names.push(unquoted(&rest[1..end], quote));
        rest = rest[end + 1..].trim_start();
        if rest.is_empty() {
            return Some(names);
        }
        rest = rest.strip_prefix(',')?.trim_start();
    }
}

/// Jayway's reading (ArraySliceOperation.parse): the parts before the first two `:`, at least
/// one of them given; whatever follows the second `:` is not read, so `[0:4:2]` is `[0:4]`.
fn slice(inner: &str) -> Option<Segment> {
    let mut parts = inner.split(':').map(str::trim);
    let mut part = || -> Option<Option<i64>> {
        match parts.next() {
            None | Some("") => Some(None),
            Some(n) => n.parse().ok().map(Some),
        }
    };
    let (start, end) = (part()?, part()?);
    // The rest is checked only for Jayway's characters.
    let rest_is_numbers = parts.all(|p| p.chars().all(|c| c.is_ascii_digit() || c == '-'));
    match (start, end) {
        (None, None) => None,
        _ if !rest_is_numbers => None,
        (start, end) => Some(Segment::Slice(start, end)),
    }
}

/// A bracketed name's text with `\\` and the escaped `quote` read (`quoted_names`).
fn unquoted(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && (next == quote || next == '\\') => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    out
}

/// Where `quote` first stands in `text` with no backslash before it (Jayway's
/// `nextIndexOfUnescaped`).
pub(crate) fn unescaped(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

/// A string literal's text as Jayway's `Utils.unescape` reads it: `\'`, `\"`, `\\`, `\n`, `\t`,
/// `\r`, `\f`, `\b` and `\uXXXX`; any other escaped character stands for itself.
pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('b') => out.push('\u{8}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) => out.push(decoded),
                    None => out.push_str(&format!("\\u{hex}")),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
