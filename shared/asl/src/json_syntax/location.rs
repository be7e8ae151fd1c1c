//! Where a fault is: Baton's line and column for a caret, and Jackson's own, as its messages
//! give them.

/// Jackson quotes at most this many characters of the content.
const SNIPPET_LIMIT: usize = 500;

/// The 1-based line and character column of `chars[at]` (or of the end).
pub(super) fn position(chars: &[char], at: usize) -> (usize, usize) {
    let before = &chars[..at.min(chars.len())];
    let line = before.iter().filter(|c| **c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
    (line, column)
}

/// Jackson's line and column once it has read `read_to` characters: lines end at `\n`, `\r` or
/// `\r\n`, and a column counts UTF-16 units from 1 — so the column after the last character
/// read, as its messages give it.
pub(super) fn jackson_position(chars: &[char], read_to: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    let mut previous = None;
    for &c in &chars[..read_to.min(chars.len())] {
        match c {
            '\n' if previous == Some('\r') => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            c => column += c.len_utf16(),
        }
        previous = Some(c);
    }
    (line, column)
}

/// `[Source: (String)"…"; line: L, column: C]`, the content cut at 500 characters as Jackson
/// cuts it (`…MaxRawContentLength`).
pub(super) fn location(text: &str, line: usize, column: usize) -> String {
    let total = text.encode_utf16().count();
    let snippet: String = text
        .chars()
        .scan(0, |units, c| {
            *units += c.len_utf16();
            (*units <= SNIPPET_LIMIT).then_some(c)
        })
        .collect();
    let cut = total - snippet.encode_utf16().count();
    let truncated = if cut > 0 {
        format!("[truncated {cut} chars]")
    } else {
        String::new()
    };
    format!("[Source: (String)\"{snippet}\"{truncated}; line: {line}, column: {column}]")
}

/// Where the run time's reader, which keeps the content out of its messages, says it stopped.
pub(super) fn redacted_location(line: usize, column: usize) -> String {
    format!("[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {column}]")
}
