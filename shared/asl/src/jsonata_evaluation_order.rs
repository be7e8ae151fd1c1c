//! Which of two nodes jsonata-js 2.0.6 evaluates first, where that is certain. It evaluates an
//! operator's operands left to right before the operator, a call's arguments before the call,
//! and a path's steps in order: after its children, left to right (post-order). Some nodes may
//! be evaluated later, many times or never, and are left undecided: a conditional's branches,
//! the right operand of `and` and `or` (which it may not need), a function's body, and the
//! items of an array constructor of more than one, which 2.0.6 evaluates together
//! (`Promise.all`), so the first to fail is the one with the shortest way to its failure.

use jsonata_core::ast::{AstNode, BinaryOp};

/// The node of `candidates` that `ast` evaluates first, when each is evaluated in a certain
/// order; none when one may not be.
pub(crate) fn first_evaluated<'a>(ast: &'a AstNode, candidates: &[&'a AstNode]) -> Option<&'a AstNode> {
    // A stack, not recursion: an expression may nest deeper than a thread's stack allows.
    let mut pending = vec![(ast, false, false)];
    let mut first: Option<&AstNode> = None;
    while let Some((node, uncertain, expanded)) = pending.pop() {
        if expanded {
            if candidates.iter().any(|candidate| std::ptr::eq(*candidate, node)) {
                if uncertain {
                    return None;
                }
                first = first.or(Some(node));
            }
            continue;
        }
        pending.push((node, uncertain, true));
        let children = crate::jsonata_references::children(node);
        for (at, child) in children.into_iter().enumerate().rev() {
            pending.push((child, uncertain || may_wait(node, at), false));
        }
    }
    first
}

/// Whether `node`'s child at `at` may be evaluated out of order, many times or not at all.
fn may_wait(node: &AstNode, at: usize) -> bool {
    match node {
        AstNode::Conditional { .. } => at > 0,
        AstNode::Binary {
            op: BinaryOp::And | BinaryOp::Or,
            ..
        } => at > 0,
        AstNode::Array(items) => items.len() > 1,
        AstNode::Lambda { .. } | AstNode::Transform { .. } => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nodes of `expr` that are negations, in the order `nodes` lists them.
    fn negations(ast: &AstNode) -> Vec<&AstNode> {
        crate::jsonata_references::nodes(ast)
            .into_iter()
            .filter(|node| matches!(node, AstNode::Unary { .. }))
            .collect()
    }

    fn first_negated(expr: &str) -> Option<String> {
        let ast = jsonata_core::parser::parse(expr).unwrap();
        let candidates = negations(&ast);
        first_evaluated(&ast, &candidates).map(|node| match node {
            AstNode::Unary { operand, .. } => match operand.as_ref() {
                AstNode::String(s) => s.clone(),
                other => format!("{other:?}"),
            },
            other => format!("{other:?}"),
        })
    }

    /// jsonata-js 2.0.6, run there: each fails negating the value named.
    #[test]
    fn operands_come_before_their_operator_and_left_before_right() {
        assert_eq!(first_negated("-'a' + -'b'").as_deref(), Some("a"));
        assert_eq!(first_negated("$f(-'a', -'b')").as_deref(), Some("a"));
        assert_eq!(first_negated("-(-'a' & 'b') & -'c'").as_deref(), Some("a"));
        assert_eq!(first_negated("$x.(-'a').(-'b')").as_deref(), Some("a"));
    }

    #[test]
    fn what_may_be_evaluated_out_of_order_is_undecided() {
        for expr in [
            "$x ? -'a' : -'b'",
            "-'a' + ($x or -'b')",
            "[-'a', -'b']",
            "-'a' + $f(function(){ -'b' })",
        ] {
            assert_eq!(first_negated(expr), None, "{expr}");
        }
        // Alone, a candidate is certain wherever it is.
        assert_eq!(first_negated("[1, -'a']").as_deref(), None);
    }
}
