//! A regular expression literal's pattern as JavaScript reads it, written out for the embedded
//! engine's `regex` crate. jsonata-js hands a literal to `new RegExp(pattern, flags)`, with no
//! `u` flag (its `scanRegex`), so the pattern means what ECMAScript's grammar with its web
//! compatibility annex (Annex B) says: `\w`, `\d` and `\b` are ASCII's, `\s` is ECMAScript's
//! white space and line terminators, `.` stops at any line terminator, an escaped letter with
//! no meaning of its own is that letter, and a `{` or `]` that cannot be what it would be is
//! itself. The `regex` crate reads each of these otherwise (Unicode's `\w`, `\d` and `\s`, `.`
//! stopping at `\n` alone, `\a` a bell, `\z` the end of the text, `[` nesting a class inside a
//! class), so each is written here as that crate reads the same thing.
//!
//! Look-around and back-references have no such writing: the crate cannot run them, and the
//! pattern keeps them as written, for `jsonata_regex_backtracking` to run (`backtracks`).

/// ECMAScript's `\s`: its WhiteSpace and LineTerminator code points (ECMA-262, CharacterClassEscape),
/// as the body of a character class. Unicode's White_Space, the crate's `\s`, holds U+0085 and
/// not U+FEFF.
const SPACE: &str = r"\t\n\x0B\f\r\x20\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
/// ECMAScript's LineTerminator code points, at which `.` stops where the `s` flag is not given
/// (jsonata-js takes only `i` and `m`).
const NOT_LINE_TERMINATOR: &str = r"[^\n\r\x{2028}\x{2029}]";
/// A class that holds nothing: JavaScript's `[]`, and a code unit a Rust string cannot hold.
const NOTHING: &str = r"[^\x00-\x{10FFFF}]";

/// `pattern` as the `regex` crate reads what JavaScript reads it to be, with each `/` escaped
/// so that the engine's lexer does not take it for the literal's end.
pub(crate) fn for_the_engine(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let groups = capturing_groups(&chars);
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    // Whether the last thing in a class was `\d`, `\w` or `\s`: a `-` beside one is a `-`
    // (Annex B), where the crate would read a range from the last character it writes.
    let mut after_class_escape = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let after = std::mem::take(&mut after_class_escape);
        match c {
            '\\' => {
                let Some(&e) = chars.get(i) else {
                    // A trailing backslash: JavaScript refuses it, and so will the crate.
                    out.push('\\');
                    break;
                };
                i += 1;
                let expands = in_class && matches!(e, 'd' | 'D' | 'w' | 'W' | 's' | 'S');
                if expands && out.ends_with('-') && !out.ends_with(r"\-") && !out.ends_with("[-") && !out.ends_with("[^-") {
                    out.pop();
                    out.push_str(r"\-");
                }
                i += escape(&chars, i, e, in_class, groups, &mut out);
                after_class_escape = expands;
            }
            '-' if in_class && after => out.push_str(r"\-"),
            '[' if in_class => out.push_str(r"\["),
            '[' => match (chars.get(i), chars.get(i + 1)) {
                (Some(']'), _) => {
                    out.push_str(NOTHING);
                    i += 1;
                }
                (Some('^'), Some(']')) => {
                    out.push_str("(?s:.)");
                    i += 2;
                }
                (Some('^'), _) => {
                    out.push_str("[^");
                    in_class = true;
                    i += 1;
                }
                _ => {
                    out.push('[');
                    in_class = true;
                }
            },
            ']' if in_class => {
                out.push(']');
                in_class = false;
            }
            // Set operators and nested classes in the crate's classes are characters in
            // JavaScript's.
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            ']' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '{' => match quantifier_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i - 1..end]);
                    i = end;
                }
                None => out.push_str(r"\{"),
            },
            '.' if !in_class => out.push_str(NOT_LINE_TERMINATOR),
            '/' => out.push_str(r"\/"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `written` (a pattern as `for_the_engine` writes it) holds look-around or a
/// back-reference, which the `regex` crate cannot run.
pub(crate) fn backtracks(written: &str) -> bool {
    let chars: Vec<char> = written.chars().collect();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            // `for_the_engine` leaves `\1`…`\9` and `\k` only where they are back-references.
            '\\' if !in_class && matches!(chars.get(i + 1), Some('1'..='9' | 'k')) => return true,
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class && chars.get(i + 1) == Some(&'?') => {
                if matches!(
                    (chars.get(i + 2), chars.get(i + 3)),
                    (Some('=' | '!'), _) | (Some('<'), Some('=' | '!'))
                ) {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// `written` as `fancy-regex` reads it: as the `regex` crate does, but for an ASCII word
/// boundary, which it has no flag for, written with look-around instead, and a back-reference,
/// which matches nothing where its group has not taken part (ECMA-262, BackreferenceMatcher:
/// an undefined capture always succeeds) where `fancy-regex`'s fails: it is written as a
/// condition on the group.
pub(crate) fn for_backtracking(written: &str) -> String {
    const WORD: &str = "[0-9A-Za-z_]";
    let written = written
        .replace(r"(?-u:\b)", &format!("(?:(?<={WORD})(?!{WORD})|(?<!{WORD})(?={WORD}))"))
        .replace(r"(?-u:\B)", &format!("(?:(?<={WORD})(?={WORD})|(?<!{WORD})(?!{WORD}))"));
    let chars: Vec<char> = written.chars().collect();
    let mut out = String::with_capacity(written.len());
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if !in_class && chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                let group = digits(&chars, i + 1);
                out.push_str(&format!(r"(?({group})\{group}|)"));
                i += 1 + group.len();
                continue;
            }
            '\\' if !in_class && chars.get(i + 1) == Some(&'k') && chars.get(i + 2) == Some(&'<') => {
                let name: String = chars[i + 3..].iter().take_while(|&&c| c != '>').collect();
                out.push_str(&format!(r"(?(<{name}>)\k<{name}>|)"));
                i += 4 + name.chars().count();
                continue;
            }
            '\\' => {
                out.push(c);
                if let Some(&escaped) = chars.get(i + 1) {
                    out.push(escaped);
                }
                i += 2;
                continue;
            }
            '[' => in_class = true,
            ']' => in_class = false,
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Writes the escape `\e` (its rest from `at`) and answers how many more characters it took.
fn escape(chars: &[char], at: usize, e: char, in_class: bool, groups: usize, out: &mut String) -> usize {
    let class = |out: &mut String, body: &str, negated: bool| match (in_class, negated) {
        (true, false) => out.push_str(body),
        _ => {
            out.push_str(if negated { "[^" } else { "[" });
            out.push_str(body);
            out.push(']');
        }
    };
    match e {
        'd' | 'D' => class(out, DIGIT, e == 'D'),
        'w' | 'W' => class(out, WORD, e == 'W'),
        's' | 'S' => class(out, SPACE, e == 'S'),
        // In a class, `\b` is a backspace; `\B` is a `B`.
        'b' if in_class => out.push_str(r"\x08"),
        'b' => out.push_str(r"(?-u:\b)"),
        'B' if !in_class => out.push_str(r"(?-u:\B)"),
        't' | 'n' | 'v' | 'f' | 'r' => {
            out.push('\\');
            out.push(e);
        }
        'x' => match hex(chars, at, 2) {
            Some(code) => {
                code_point(out, code);
                return 2;
            }
            None => out.push('x'),
        },
        'u' => match hex(chars, at, 4) {
            Some(high @ 0xD800..=0xDBFF) if chars.get(at + 4) == Some(&'\\') && chars.get(at + 5) == Some(&'u') => {
                match hex(chars, at + 6, 4) {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        code_point(out, 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00));
                        return 10;
                    }
                    _ => {
                        out.push_str(NOTHING);
                        return 4;
                    }
                }
            }
            Some(code) => {
                code_point(out, code);
                return 4;
            }
            None => out.push('u'),
        },
        'c' => match chars.get(at) {
            Some(letter) if letter.is_ascii_alphabetic() => {
                code_point(out, u32::from(*letter) % 32);
                return 1;
            }
            // Annex B: a backslash, then `c`.
            _ => out.push_str(r"\\c"),
        },
        // A back-reference where the pattern has that many groups (left for the engine to
        // refuse); otherwise Annex B's octal escape, `\0` the null character.
        '1'..='9' if !in_class && digits(chars, at - 1).parse::<usize>().is_ok_and(|n| n <= groups) => {
            out.push('\\');
            out.push(e);
        }
        '0'..='7' => {
            let (code, taken) = octal(chars, at - 1);
            code_point(out, code);
            return taken - 1;
        }
        // `\k<name>` is a back-reference where the pattern names a group, and a `k` otherwise.
        'k' if chars.iter().collect::<String>().contains("(?<") => out.push_str(r"\k"),
        // Annex B's identity escape: any other letter or digit is itself.
        _ if e.is_ascii_alphanumeric() => out.push(e),
        _ if e.is_ascii() => {
            out.push('\\');
            out.push(e);
        }
        _ => out.push(e),
    }
    0
}

fn code_point(out: &mut String, code: u32) {
    match char::from_u32(code) {
        Some(_) => out.push_str(&format!(r"\x{{{code:X}}}")),
        None => out.push_str(NOTHING),
    }
}

fn hex(chars: &[char], at: usize, len: usize) -> Option<u32> {
    let text: String = chars.get(at..at + len)?.iter().collect();
    text.chars()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| u32::from_str_radix(&text, 16).ok())
        .flatten()
}

fn digits(chars: &[char], at: usize) -> String {
    chars[at..].iter().take_while(|c| c.is_ascii_digit()).collect()
}

/// Annex B's LegacyOctalEscapeSequence at `at`: up to three octal digits, at most `\377`, and
/// how many characters it takes.
fn octal(chars: &[char], at: usize) -> (u32, usize) {
    let mut code = 0;
    let mut taken = 0;
    while let Some(d) = chars.get(at + taken).and_then(|c| c.to_digit(8)) {
        if taken == 3 || code * 8 + d > 0o377 {
            break;
        }
        code = code * 8 + d;
        taken += 1;
    }
    (code, taken)
}

/// The end (exclusive) of a quantifier `{n}`, `{n,}` or `{n,m}` whose `{` is before `at`; a
/// `{` that starts none is a `{` in JavaScript.
fn quantifier_end(chars: &[char], at: usize) -> Option<usize> {
    let low = digits(chars, at);
    if low.is_empty() {
        return None;
    }
    let mut i = at + low.len();
    if chars.get(i) == Some(&',') {
        i += 1 + digits(chars, i + 1).len();
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1)
}

/// How many capturing groups `chars` opens: `(` not followed by `?`, and named groups.
fn capturing_groups(chars: &[char]) -> usize {
    let mut count = 0;
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => {
                let named =
                    chars.get(i + 1) == Some(&'?') && chars.get(i + 2) == Some(&'<') && !matches!(chars.get(i + 3), Some('=' | '!'));
                count += usize::from(chars.get(i + 1) != Some(&'?') || named);
            }
            _ => {}
        }
        i += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each pattern does in JavaScript is checked against jsonata-js in
    /// `tests/jsonata_reference.rs`; here, how it is written.
    #[test]
    fn javascript_s_meanings_are_written_out() {
        for (javascript, rust) in [
            (r"\w+\d", "[0-9A-Za-z_]+[0-9]"),
            (
                r"[^\w\s-]",
                r"[^0-9A-Za-z_\t\n\x0B\f\r\x20\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}\-]",
            ),
            (r"[\w-z]", r"[0-9A-Za-z_\-z]"),
            (r"[a-\d]", r"[a\-0-9]"),
            (r"\bx\B", r"(?-u:\b)x(?-u:\B)"),
            (r"a.b", r"a[^\n\r\x{2028}\x{2029}]b"),
            (r"[^]|[]", r"(?s:.)|[^\x00-\x{10FFFF}]"),
            (r"\a\z\p{L}", r"azp\{L\}"),
            (r"[[&&]", r"[\[\&\&]"),
            (r"a{2,}b{c}", r"a{2,}b\{c\}"),
            (r"\uD83D\uDE00\x41\cJ\0", r"\x{1F600}\x{41}\x{A}\x{0}"),
            (r"(a)\1\2", r"(a)\1\x{2}"),
            ("a/b", r"a\/b"),
        ] {
            assert_eq!(for_the_engine(javascript), rust, "/{javascript}/");
        }
    }

    #[test]
    fn look_around_and_back_references_are_told_from_what_the_crate_runs() {
        for (javascript, backtracking) in [
            (r"a(?=b)", true),
            (r"(?<!a)b", true),
            (r"(a)\1", true),
            (r"(?<n>a)\k<n>", true),
            (r"(?<n>a)", false),
            (r"[(?=]", false),
            (r"\(?=a", false),
            (r"(?:a)\1", false),
        ] {
            assert_eq!(backtracks(&for_the_engine(javascript)), backtracking, "/{javascript}/");
        }
        assert_eq!(
            for_backtracking(&for_the_engine(r"\bx(?=y)")),
            "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))x(?=y)"
        );
        assert_eq!(
            for_backtracking(&for_the_engine(r"\1(a)\1(?<n>b)\k<n>[\1]")),
            r"(?(1)\1|)(a)(?(1)\1|)(?<n>b)(?(<n>)\k<n>|)[\x{1}]"
        );
    }

    #[test]
    fn look_around_and_back_references_are_left_as_written() {
        for pattern in [r"a(?=b)", r"(?<!a)b", r"(?<n>a)\k<n>"] {
            assert_eq!(for_the_engine(pattern), pattern);
        }
    }
}
