//! JSONata as Step Functions runs it: "Step Functions implements JSONata based on the 2.0.6
//! specification" (developer guide, Transforming data with JSONata). The embedded engine parses
//! more than jsonata-js 2.0.6 does, and a definition holding what 2.0.6 does not parse is
//! refused as AWS refuses an expression that does not parse (`INVALID_JSONATA_EXPRESSION`):
//!
//! - JSONata 2.1's two operators, `??` (coalescing) and `?:` (default), which Step Functions
//!   does not take (users found both refused, re:Post "Which version of JSONata does AWS Step
//!   Functions support?"): 2.0.6 reads their first character as an operator with nothing
//!   before it.
//! - A range `a..b` anywhere but as an item of an array constructor (`$items[0..2]`, a slice
//!   as other languages write one): 2.0.6 reads `..` only there, so elsewhere it ends the
//!   expression before it and the construct around it meets a token it did not expect.
//! - A regular expression's flags other than `i` and `m` (`/a/g`, as JavaScript writes a
//!   global match): 2.0.6 reads only those two, and the letters from the first other one on
//!   are a name the construct around the literal did not expect.
//! - `:=` with anything but a variable on its left (`1 := 2`).

use jsonata_core::ast::{AstNode, BinaryOp};

use crate::jsonata_errors::as_json;
use crate::jsonata_parse_errors::{expected_got, syntax_error};

/// jsonata-js 2.0.6's words for the first thing, in the order written, that it does not parse
/// (`$x ?? 1`: `The symbol "?" cannot be used as a unary operator`, its `S0211` without the
/// code, as AWS words a parse error).
pub(crate) fn refusal(ast: &AstNode) -> Option<String> {
    // In the order written: a binary operator stands between its operands. A stack, not
    // recursion: an expression may nest deeper than a thread's stack allows a walk.
    enum Next<'a> {
        Node(&'a AstNode, Closer),
        Refuse(String),
    }
    let mut pending = vec![Next::Node(ast, Closer::End)];
    while let Some(next) = pending.pop() {
        let (node, closer) = match next {
            Next::Refuse(words) => return Some(words),
            Next::Node(node, closer) => (node, closer),
        };
        if let AstNode::Regex { flags, .. } = node
            && let Some(at) = flags.find(|flag| !matches!(flag, 'i' | 'm'))
        {
            return Some(closer.met(&flags[at..]));
        }
        if let AstNode::Binary { op, lhs, rhs } = node {
            let missing = match op {
                // 2.0.6 meets `?` then `?`, or `?` then `:`, and stops at the second.
                BinaryOp::Coalesce => Some(unary("?")),
                BinaryOp::Default => Some(unary(":")),
                BinaryOp::Range => Some(closer.met("..")),
                BinaryOp::ColonEqual if !matches!(**lhs, AstNode::Variable(_)) => {
                    Some("The left side of := must be a variable name (start with $)".to_string())
                }
                _ => None,
            };
            pending.push(Next::Node(rhs, closer));
            pending.extend(missing.map(Next::Refuse));
            pending.push(Next::Node(lhs, closer));
            continue;
        }
        for child in crate::jsonata_references::children(node).into_iter().rev() {
            match (node, child) {
                // The one place 2.0.6 reads a range: an item of an array constructor, which
                // then expects `,` or `]` (so `[1..2..3]` stops at the second `..`).
                (
                    AstNode::Array(_) | AstNode::ArrayGroup(_),
                    AstNode::Binary {
                        op: BinaryOp::Range,
                        lhs,
                        rhs,
                    },
                ) => {
                    let within = Closer::Token("]");
                    pending.push(Next::Node(rhs, within));
                    pending.push(Next::Node(lhs, within));
                }
                _ => pending.push(Next::Node(child, closer.within(node, child))),
            }
        }
    }
    None
}

fn unary(symbol: &str) -> String {
    crate::jsonata_parse_errors::not_unary(&as_json(symbol))
}

/// What 2.0.6's parser expects where an expression ends: the token that closes the construct
/// around it, or the end of the whole expression.
#[derive(Clone, Copy)]
enum Closer {
    End,
    Token(&'static str),
}

impl Closer {
    /// Its words on meeting `token` instead (`S0201` at the end, `S0202` in a construct).
    fn met(self, token: &str) -> String {
        match self {
            Closer::End => syntax_error(&as_json(token)),
            Closer::Token(expected) => expected_got(&as_json(expected), &as_json(token)),
        }
    }

    /// What is expected after `child`, an operand of `parent`: the token that closes `parent`
    /// where `parent` is a bracketed construct, otherwise what is expected after `parent`
    /// (an operator's operands and a condition's branches end where it ends).
    fn within(self, parent: &AstNode, child: &AstNode) -> Closer {
        let is = |node: &AstNode| std::ptr::eq(node, child);
        let token = match parent {
            AstNode::Path { steps } if steps.iter().any(|s| is(&s.node)) => return self,
            AstNode::Path { .. } => "]",
            AstNode::Function { .. } | AstNode::Block(_) => ")",
            AstNode::Call { procedure, .. } | AstNode::Sort { input: procedure, .. } if is(procedure) => return self,
            AstNode::Call { .. } | AstNode::Sort { .. } => ")",
            AstNode::Lambda { .. } => "}",
            AstNode::Array(_) | AstNode::ArrayGroup(_) => "]",
            AstNode::ObjectTransform { input, .. } if is(input) => return self,
            AstNode::Object(pairs) | AstNode::ObjectTransform { pattern: pairs, .. } if pairs.iter().any(|(key, _)| is(key)) => ":",
            AstNode::Object(_) | AstNode::ObjectTransform { .. } => "}",
            AstNode::Transform { .. } => "|",
            _ => return self,
        };
        Closer::Token(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(expr: &str) -> Option<String> {
        refusal(&jsonata_core::parser::parse(expr).expect("the engine parses it"))
    }

    /// jsonata-js 2.0.6's messages for the same expressions, run there.
    #[test]
    fn what_2_0_6_does_not_parse_is_refused_in_its_words() {
        for (expr, words) in [
            ("$states.input.x ?? 'none'", "The symbol \"?\" cannot be used as a unary operator"),
            ("$states.input.x ?: 'none'", "The symbol \":\" cannot be used as a unary operator"),
            ("{'a': [1, ($x ?: 2)]}", "The symbol \":\" cannot be used as a unary operator"),
            ("($a ?? 1) ?: 2", "The symbol \"?\" cannot be used as a unary operator"),
            ("$a ?: ($b ?? 1)", "The symbol \":\" cannot be used as a unary operator"),
            ("1..3", "Syntax error: \"..\""),
            ("1 + 1..3", "Syntax error: \"..\""),
            ("-1..3", "Syntax error: \"..\""),
            ("$states.input.items[0..2]", "Expected \"]\", got \"..\""),
            ("[1..2][0..1]", "Expected \"]\", got \"..\""),
            ("[1..3..4]", "Expected \"]\", got \"..\""),
            ("$f(1..2)", "Expected \")\", got \"..\""),
            ("(1..3)", "Expected \")\", got \"..\""),
            ("[(1..3)]", "Expected \")\", got \"..\""),
            ("{\"a\": 1..2}", "Expected \"}\", got \"..\""),
            ("$map([1..2], function($v){$v..3})", "Expected \"}\", got \"..\""),
            ("x ? 1..2 : 3", "Syntax error: \"..\""),
            ("$x ?? [0..1][0..1]", "The symbol \"?\" cannot be used as a unary operator"),
            ("[0..1][0..1] ?? $x", "Expected \"]\", got \"..\""),
            ("/a/g", "Syntax error: \"g\""),
            ("$replace($s, /a/gim, 'b')", "Expected \")\", got \"gim\""),
            ("$match($s, /a/ig)", "Expected \")\", got \"g\""),
            ("1 := 2", "The left side of := must be a variable name (start with $)"),
            ("($x := 1) := 2", "The left side of := must be a variable name (start with $)"),
        ] {
            assert_eq!(refused(expr).as_deref(), Some(words), "{expr}");
        }
    }

    #[test]
    fn what_2_0_6_has_is_taken() {
        for expr in [
            "$states.input.x ? 1 : 2",
            "a ? b",
            "$s := 'a?b:c'",
            "{'?': 1}.`?`",
            "$match('a', /a?:/)",
            "[1..3]",
            "[1, 2..3]",
            "[1 .. 2]",
            "[1 + 2..$count($x)]",
            "a.[b..c]",
            "$map([0..9], function($i){$i * 2})[[0..1]]",
            "$match($s, /a/mi)",
            "$x := $y := 1",
        ] {
            assert_eq!(refused(expr), None, "{expr}");
        }
    }
}
