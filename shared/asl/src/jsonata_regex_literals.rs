//! Regular expression literals as jsonata-js reads them. Its lexer ends a literal at the first
//! unescaped `/` outside brackets, parentheses and braces (`scanRegex`), so `/[^/]+$/` is one
//! literal there, as in JavaScript; the embedded engine ends it at the first unescaped `/`,
//! and refused that expression. Before the engine reads an expression, each literal's pattern
//! is written for it (`jsonata_regex_syntax`): each `/` that would end the literal too soon is
//! escaped (`/[^\/]+$/`), which the pattern reads the same, and what JavaScript reads
//! otherwise than the engine's `regex` crate (`\w`, `.`, `[^]`, …) is written as the crate
//! reads it.
//!
//! Where it may start one differs too: jsonata-js lexes the token after an expression's first
//! token as one that follows an operand, so a literal straight after a `(`, `[`, `{` or unary
//! `-` that opens an expression is a division sign with nothing before it there (`[/a/]`: `The
//! symbol "/" cannot be used as a unary operator`), where the engine reads a literal (after a
//! transform's `|`, both read division). An expression the engine parses is refused so
//! (`refused_once_parsed`); one it does not parse is refused in the engine's words, as its
//! error is then mostly the earlier.
//!
//! Reading literals as jsonata-js does also tells which operators and brackets an expression
//! holds (none inside a literal counts): `punctuation`.

use std::borrow::Cow;

/// An expression as the engine is to read it.
pub(crate) struct Read<'a> {
    /// `expr` with each regular expression literal's pattern written for the engine
    /// (`jsonata_regex_syntax`): every `/` in it that is not the literal's end escaped, and
    /// what JavaScript reads otherwise than the engine's `regex` crate written as the crate
    /// reads it.
    pub(crate) source: Cow<'a, str>,
    /// jsonata-js's words for a literal the engine reads where jsonata-js reads a division
    /// sign with nothing before it (`S0211`): a refusal once the engine has parsed the
    /// expression, whose own error comes first otherwise.
    pub(crate) refused_once_parsed: Option<String>,
}

/// `expr` as the engine is to read it, or jsonata-js's words for a literal it cannot read: one
/// that never ends (`S0302`, as `/a)/`, whose `)` leaves a bracket open to it) or an empty one
/// (`S0301`).
pub(crate) fn as_the_engine_reads(expr: &str) -> Result<Read<'_>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let scanned = scan(&chars)?;
    let refused_once_parsed = scanned
        .division_where_literal
        .then(|| crate::jsonata_parse_errors::not_unary(r#""/""#));
    let mut source = String::new();
    let mut copied = 0;
    for (start, end) in scanned.patterns {
        let pattern: String = chars[start..end].iter().collect();
        let written = crate::jsonata_regex_syntax::for_the_engine(&pattern);
        if written != pattern {
            source.extend(&chars[copied..start]);
            source.push_str(&written);
            copied = end;
        }
    }
    let source = match copied {
        0 => Cow::Borrowed(expr),
        _ => {
            source.extend(&chars[copied..]);
            Cow::Owned(source)
        }
    };
    Ok(Read {
        source,
        refused_once_parsed,
    })
}

/// The operators and brackets of `expr` in order, outside strings, backquoted names,
/// comments and regular expression literals, as jsonata-js lexes them; none for an
/// expression jsonata-js cannot lex.
pub(crate) fn punctuation(expr: &str) -> Option<Vec<Punct>> {
    let chars: Vec<char> = expr.chars().collect();
    scan(&chars).ok().map(|scanned| scanned.punctuation)
}

/// One character of an operator or bracket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Punct {
    pub(crate) symbol: char,
    /// Whether it opens an expression where an operand is due (a block, an array or object
    /// constructor, a unary minus, a transform), rather than following one.
    pub(crate) opens_expression: bool,
    /// Whether the next character of the expression is `=` (`:=`, `!=`, `<=`, `>=`).
    pub(crate) before_equals: bool,
    /// Whether the token before is `function` or `λ`: a `(` opening a lambda's parameters.
    pub(crate) after_lambda: bool,
}

/// What reading an expression's tokens as jsonata-js does finds.
struct Scanned {
    /// Where each literal's pattern starts and ends (exclusive).
    patterns: Vec<(usize, usize)>,
    punctuation: Vec<Punct>,
    /// A literal stands where jsonata-js reads a division sign.
    division_where_literal: bool,
}

/// Reads `chars` token by token, or gives jsonata-js's words for a literal it cannot read.
fn scan(chars: &[char]) -> Result<Scanned, String> {
    let mut patterns = Vec::new();
    let mut punctuation = Vec::new();
    let mut division_where_literal = false;
    // Whether the token before may be followed by a literal: the engine's rule (its lexer's
    // `is_regex`), an operator or an opening bracket before, or nothing.
    let mut operand_next = true;
    // Whether the token before opens an expression as a prefix: jsonata-js lexes the token
    // after it as one that follows an operand, so a `/` there is division.
    let mut opens_expression = false;
    let mut after_lambda = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            _ if c.is_whitespace() => i += 1,
            '/' if chars.get(i + 1) == Some(&'*') => {
                match (i + 2..chars.len()).find(|&at| chars[at] == '*' && chars.get(at + 1) == Some(&'/')) {
                    Some(end) => i = end + 2,
                    // The engine's parser says so in its words.
                    None => {
                        return Ok(Scanned {
                            patterns: Vec::new(),
                            punctuation,
                            division_where_literal,
                        });
                    }
                }
            }
            '/' if operand_next => {
                // The engine reads the literal all the same: what it parses decides whether
                // an error earlier in the expression is the one to report.
                division_where_literal |= opens_expression;
                let end = literal_end(chars, i + 1)?;
                patterns.push((i + 1, end));
                i = end + 1;
                while chars.get(i).is_some_and(|c| c.is_alphabetic()) {
                    i += 1;
                }
                (operand_next, opens_expression, after_lambda) = (false, false, false);
            }
            '"' | '\'' | '`' => {
                i = quoted_end(chars, i).map_or(chars.len(), |end| end + 1);
                (operand_next, opens_expression, after_lambda) = (false, false, false);
            }
            _ if OPERATOR.contains(c) => {
                opens_expression = operand_next && PREFIX_OPENERS.contains(c);
                punctuation.push(Punct {
                    symbol: c,
                    opens_expression,
                    before_equals: chars.get(i + 1) == Some(&'='),
                    after_lambda,
                });
                after_lambda = false;
                operand_next = OPERAND_AFTER.contains(c);
                i += 1;
            }
            _ => {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|&c| !c.is_whitespace() && !OPERATOR.contains(c) && !"\"'`".contains(c))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                operand_next = matches!(word.as_str(), "and" | "or" | "in");
                opens_expression = false;
                after_lambda = matches!(word.as_str(), "function" | "λ");
            }
        }
    }
    Ok(Scanned {
        patterns,
        punctuation,
        division_where_literal,
    })
}

/// The characters that make up operators and brackets.
const OPERATOR: &str = "()[]{},;:=<>+-&?!~*%./|^#@";

/// The last characters of the tokens a literal may follow: `(`, `[`, `{`, `,`, `;`, `:`, `=`,
/// `!=`, `<`, `<=`, `>`, `>=`, `+`, `-`, `&`, `?`, `~>`, `:=`, `??` and `?:`.
const OPERAND_AFTER: &str = "([{,;:=<>+-&?";

/// The tokens that open an expression where an operand is due: a block, an array or object
/// constructor, a unary minus, a transform.
const PREFIX_OPENERS: &str = "([{-|";

/// The `/` ending the literal whose pattern starts at `start`, found as jsonata-js finds it:
/// the first with no bracket open (one not after a backslash opens or closes) and an even run
/// of backslashes before it.
fn literal_end(chars: &[char], start: usize) -> Result<usize, String> {
    let mut depth = 0i32;
    for at in start..chars.len() {
        let after_backslash = at > 0 && chars[at - 1] == '\\';
        match chars[at] {
            '/' if depth == 0 && backslashes_before(chars, at).is_multiple_of(2) => {
                return match at == start {
                    true => Err("Empty regular expressions are not allowed".into()),
                    false => Ok(at),
                };
            }
            '(' | '[' | '{' if !after_backslash => depth += 1,
            ')' | ']' | '}' if !after_backslash => depth -= 1,
            _ => {}
        }
    }
    Err("No terminating / in regular expression".into())
}

fn backslashes_before(chars: &[char], at: usize) -> usize {
    chars[..at].iter().rev().take_while(|&&c| c == '\\').count()
}

/// The closing quote of the string or backquoted name opened at `start`; a backslash escapes
/// the character after it in a string.
fn quoted_end(chars: &[char], start: usize) -> Option<usize> {
    let quote = chars[start];
    let mut at = start + 1;
    while at < chars.len() {
        match chars[at] {
            '\\' if quote != '`' => at += 2,
            c if c == quote => return Some(at),
            _ => at += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(expr: &str) -> Result<String, String> {
        as_the_engine_reads(expr).map(|read| read.source.into_owned())
    }

    fn division_where_literal(expr: &str) -> Option<String> {
        as_the_engine_reads(expr).ok()?.refused_once_parsed
    }

    #[test]
    fn a_slash_inside_brackets_is_part_of_the_pattern() {
        assert_eq!(read(r#"$match($s, /[^/]+$/)"#).unwrap(), r#"$match($s, /[^\/]+$/)"#);
        assert_eq!(read(r#"$split($s, /[/]/)"#).unwrap(), r#"$split($s, /[\/]/)"#);
        assert_eq!(read(r#"$replace($s, /(a|/)/i, "")"#).unwrap(), r#"$replace($s, /(a|\/)/i, "")"#);
        assert_eq!(read(r#"$match($s, /[\/]/)"#).unwrap(), r#"$match($s, /[\/]/)"#);
    }

    #[test]
    fn what_holds_no_such_literal_is_left_as_it_is() {
        for expr in [
            "$x / 2 / (1 / 4)",
            "(4) / 2",
            "$count(a) / [1][0]",
            "'[/]' & \"(/)\" & `a/b`",
            "/* [/] */ 1",
            "$match($s, /a\\/b/)",
            "a and /[a]/",
            "$f := /x/; 1",
            "1 /* never closed",
        ] {
            assert!(
                matches!(as_the_engine_reads(expr).map(|read| read.source), Ok(Cow::Borrowed(_))),
                "{expr}"
            );
        }
    }

    /// jsonata-js 2.0.6's words for the same expressions, run there.
    #[test]
    fn a_literal_jsonata_js_cannot_read_is_refused_in_its_words() {
        assert_eq!(read("$f(/a)/)").unwrap_err(), "No terminating / in regular expression");
        assert_eq!(read("$f(/[/)").unwrap_err(), "No terminating / in regular expression");
        assert_eq!(read("$f(//)").unwrap_err(), "Empty regular expressions are not allowed");
    }

    /// jsonata-js lexes the token after an expression's first one as an operator may be
    /// (its `advance(null, true)`), so a literal straight after an opening bracket or a unary
    /// minus that begins an expression is a division sign with nothing before it there. Each
    /// refusal below is 2.0.6's, run there; each acceptance parses there.
    #[test]
    fn a_literal_opening_a_bracket_that_opens_an_expression_is_refused_as_jsonata_js_refuses_it() {
        for expr in [
            "[/a/]",
            "(/a/)",
            "( /a/ )",
            "[ /* c */ /a/]",
            "[[/a/]]",
            "[/a/, /b/]",
            "1 + (/a/)",
            "-/a/",
            "{/a/: 1}",
            "(1; (/a/))",
        ] {
            assert_eq!(
                division_where_literal(expr).as_deref(),
                Some(r#"The symbol "/" cannot be used as a unary operator"#),
                "{expr}"
            );
        }
        for expr in [
            "[1, /a/]",
            "$x[/a/]",
            "$match(\"a\", /a/)",
            "/a/",
            "($x := 1; /a/)",
            "true ? /a/ : /b/",
            "{\"k\": /a/}",
            "$f(/a/)",
            "$x{/a/: 1}",
            "(a and /x/)",
            "('s' in /x/)",
        ] {
            assert_eq!(division_where_literal(expr), None, "{expr}");
        }
    }
}
