//! What jsonata-js 2.0.6 expects where an expression ends too soon. Its parser reads the end as
//! a terminal and carries on, so the first construct left open fails when it asks for its next
//! token (`S0203`, `Expected ")" before end of expression`); with none open, its check of the
//! finished tree meets the end (`S0207`, `Unexpected end of expression`). The embedded engine
//! says the second for both.

use crate::jsonata_regex_literals::{Punct, punctuation};

/// A construct opened and not yet finished, and the token it asks for next.
enum Open {
    /// A block, a call's arguments or a lambda's parameters: `)`.
    Paren { lambda: bool },
    /// A lambda's body: `}`.
    Body,
    /// An array constructor, a filter or a sort: `]`.
    Bracket,
    /// An object constructor or a group-by: `:` after a key, `}` after a value.
    Brace { key_done: bool },
    /// A transform `| pattern | update |`, and how many of its bars were read.
    Transform { bars: u8 },
}

/// The token jsonata-js expects where `expr` ends, when a construct is left open.
pub(crate) fn expected_at_end(expr: &str) -> Option<char> {
    let mut open = Vec::new();
    // A lambda's parameters were just closed: its body is due.
    let mut body_due = false;
    for Punct {
        symbol,
        opens_expression,
        before_equals,
        after_lambda,
    } in punctuation(expr)?
    {
        let lambda_closed = symbol == ')' && matches!(open.last(), Some(Open::Paren { lambda: true }));
        match symbol {
            '(' => open.push(Open::Paren { lambda: after_lambda }),
            '[' => open.push(Open::Bracket),
            '{' if body_due => open.push(Open::Body),
            '{' => open.push(Open::Brace { key_done: false }),
            ')' | ']' | '}' => {
                open.pop();
            }
            '|' if opens_expression => open.push(Open::Transform { bars: 1 }),
            '|' => match open.last_mut() {
                Some(Open::Transform { bars }) if *bars == 2 => {
                    open.pop();
                }
                Some(Open::Transform { bars }) => *bars += 1,
                _ => {}
            },
            ',' | ':' => {
                if let Some(Open::Brace { key_done }) = open.last_mut()
                    && !(symbol == ':' && before_equals)
                {
                    *key_done = symbol == ':';
                }
            }
            _ => {}
        }
        body_due = lambda_closed;
    }
    if body_due {
        return Some('{');
    }
    open.last().map(|construct| match construct {
        Open::Paren { .. } => ')',
        Open::Body => '}',
        Open::Bracket => ']',
        Open::Brace { key_done: false } => ':',
        Open::Brace { key_done: true } => '}',
        Open::Transform { .. } => '|',
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jsonata-js 2.0.6's answers, run there.
    #[test]
    fn the_first_construct_left_open_names_what_it_expects() {
        for (expr, expected) in [
            ("$count(", Some(')')),
            ("$count($x >", Some(')')),
            ("[1,", Some(']')),
            ("$x[$ >", Some(']')),
            ("{", Some(':')),
            ("{\"a\"", Some(':')),
            ("{\"a\": 1", Some('}')),
            ("{\"a\": 1,", Some(':')),
            ("{\"a\": $x ? 1 :", Some('}')),
            ("$x{\"a\"", Some(':')),
            ("{\"a\": [1,", Some(']')),
            ("[1, {\"a\"", Some(':')),
            ("$ ~> |a", Some('|')),
            ("$ ~> |a|{}", Some('|')),
            ("$ ~> |a|{\"b\"", Some(':')),
            ("$ ~> |a|{}| ~> $f(", Some(')')),
            ("{'}': (", Some(')')),
            ("$f(')', /[a](b)/, `(`, /* ( */ ", Some(')')),
            ("function($v){", Some('}')),
            ("function($v){$v", Some('}')),
            ("$map($x, function($v)", Some('{')),
            ("$map($x, λ($v){ {\"a\"", Some(':')),
            ("$f(){\"a\"", Some(':')),
            ("$x >", None),
            ("$x ? 1 :", None),
            ("$count($x) + ", None),
        ] {
            assert_eq!(expected_at_end(expr), expected, "{expr}");
        }
    }
}
