//! How a JSONPath's bracketed steps are written: the `]` that closes one, and what it holds
//! (a filter, a slice, `*`, quoted names or indices), read into a [`Segment`].

use crate::path::Segment;
use crate::path_filter::Filter;

/// The `]` that closes the `[` at byte `open` of `text`, past quotes and nested brackets (a
/// filter may hold `@.tags[0]`, a list `['a]', 'b']`).
pub(crate) fn closing_bracket(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote = None;
    for (i, c) in text[open..].char_indices() {
        match (quote, c) {
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
        return slice(inner).ok_or_else(|| "a slice is [start:end] or [start:end:step], whole numbers".to_string());
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

/// `'a'`, `"b"` or `'a', 'b'`: the names, each as written between its quotes.
fn quoted_names(inner: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = inner;
    loop {
        let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
        let end = rest[1..].find(quote)? + 1;
        names.push(rest[1..end].to_string());
        rest = rest[end + 1..].trim_start();
        if rest.is_empty() {
            return Some(names);
        }
        rest = rest.strip_prefix(',')?.trim_start();
    }
}

fn slice(inner: &str) -> Option<Segment> {
    let parts: Vec<&str> = inner.split(':').map(str::trim).collect();
    if parts.len() > 3 {
        return None;
    }
    let part = |i: usize| -> Option<Option<i64>> {
        match parts.get(i).copied() {
            None | Some("") => Some(None),
            Some(n) => n.parse().ok().map(Some),
        }
    };
    Some(Segment::Slice(part(0)?, part(1)?, part(2)?))
}
