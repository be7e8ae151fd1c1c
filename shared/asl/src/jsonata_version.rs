//! JSONata as Step Functions runs it: "Step Functions implements JSONata based on the 2.0.6
//! specification" (developer guide, Transforming data with JSONata). The embedded engine
//! parses JSONata 2.1's two operators as well, `??` (coalescing) and `?:` (default), which
//! Step Functions does not take (users found both refused, re:Post "Which version of JSONata
//! does AWS Step Functions support?"): jsonata-js 2.0.6 reads their first character as an
//! operator with nothing before it and refuses the expression, so a definition holding one is
//! refused as AWS refuses an expression that does not parse (`INVALID_JSONATA_EXPRESSION`).

use jsonata_core::ast::{AstNode, BinaryOp};

/// jsonata-js 2.0.6's words for the first operator, in the order written, that it does not
/// have (`$x ?? 1`: `The symbol "?" cannot be used as a unary operator`, its `S0211` without
/// the code, as AWS words a parse error).
pub(crate) fn operator_missing(ast: &AstNode) -> Option<String> {
    // In the order written: a binary operator stands between its operands. A stack, not
    // recursion: an expression may nest deeper than a thread's stack allows a walk.
    enum Next<'a> {
        Node(&'a AstNode),
        Missing(&'static str),
    }
    let mut pending = vec![Next::Node(ast)];
    while let Some(next) = pending.pop() {
        match next {
            Next::Missing(symbol) => return Some(format!("The symbol \"{symbol}\" cannot be used as a unary operator")),
            Next::Node(AstNode::Binary { op, lhs, rhs }) => {
                pending.push(Next::Node(rhs));
                match op {
                    // 2.0.6 meets `?` then `?`, or `?` then `:`, and stops at the second.
                    BinaryOp::Coalesce => pending.push(Next::Missing("?")),
                    BinaryOp::Default => pending.push(Next::Missing(":")),
                    _ => {}
                }
                pending.push(Next::Node(lhs));
            }
            Next::Node(node) => pending.extend(crate::jsonata_references::children(node).into_iter().rev().map(Next::Node)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(expr: &str) -> Option<String> {
        operator_missing(&jsonata_core::parser::parse(expr).expect("the engine parses it"))
    }

    /// jsonata-js 2.0.6's messages for the same expressions, run there.
    #[test]
    fn the_operators_of_jsonata_2_1_are_refused_in_2_0_6_s_words() {
        for (expr, words) in [
            ("$states.input.x ?? 'none'", "The symbol \"?\" cannot be used as a unary operator"),
            ("$states.input.x ?: 'none'", "The symbol \":\" cannot be used as a unary operator"),
            ("{'a': [1, ($x ?: 2)]}", "The symbol \":\" cannot be used as a unary operator"),
            ("($a ?? 1) ?: 2", "The symbol \"?\" cannot be used as a unary operator"),
            ("$a ?: ($b ?? 1)", "The symbol \":\" cannot be used as a unary operator"),
        ] {
            assert_eq!(missing(expr).as_deref(), Some(words), "{expr}");
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
        ] {
            assert_eq!(missing(expr), None, "{expr}");
        }
    }
}
