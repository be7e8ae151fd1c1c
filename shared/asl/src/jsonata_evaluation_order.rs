//! Which of several nodes jsonata-js 2.0.6 evaluates first, where that is certain. It
//! evaluates an operator's operands left to right before the operator, a call's arguments before
//! the call, and a path's steps in order: after its children, left to right (post-order). Some
//! nodes may be evaluated many times or never, or overtaken: a conditional's branches, the right
//! operand of `and` and `or` (which it may not need), a function's body, and the items of an
//! array constructor of more than one, which 2.0.6 evaluates together (`Promise.all`), so the
//! first to fail is the one with the shortest way to its failure. When one of those comes first,
//! the order is left undecided.

use jsonata_core::ast::{AstNode, BinaryOp};

/// The node of `candidates` that `ast` evaluates first: the first in post-order, when it is
/// evaluated in that order. Nothing that may wait is evaluated before what comes earlier than it
/// in post-order (a branch after its condition, a function's body only once it is defined), so
/// a later candidate cannot overtake it; none when the first may wait itself.
pub(crate) fn first_evaluated<'a>(ast: &'a AstNode, candidates: &[&'a AstNode]) -> Option<&'a AstNode> {
    // A stack, not recursion: an expression may nest deeper than a thread's stack allows.
    let mut pending = vec![(ast, false, false)];
    while let Some((node, uncertain, expanded)) = pending.pop() {
        if expanded {
            if candidates.iter().any(|candidate| std::ptr::eq(*candidate, node)) {
                return (!uncertain).then_some(node);
            }
            continue;
        }
        pending.push((node, uncertain, true));
        let children = crate::jsonata_references::children(node);
        for (at, child) in children.into_iter().enumerate().rev() {
            pending.push((child, uncertain || may_wait(node, at), false));
        }
    }
    None
}

/// Whether `node`'s child at `at` may be evaluated many times, not at all, or overtaken.
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

    /// What the first negation `expr` evaluates negates, of all its negations.
    fn first_negated(expr: &str) -> Option<String> {
        let ast = jsonata_core::parser::parse(expr).unwrap();
        let candidates: Vec<&AstNode> = crate::jsonata_references::nodes(&ast)
            .into_iter()
            .filter(|node| matches!(node, AstNode::Unary { .. }))
            .collect();
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
        // What comes before what may wait is evaluated before it.
        assert_eq!(first_negated("-'a' + ($x or -'b')").as_deref(), Some("a"));
        assert_eq!(first_negated("-'a' + [1, -'b']").as_deref(), Some("a"));
        assert_eq!(first_negated("-'a' + (true ? -'b' : 1)").as_deref(), Some("a"));
    }

    #[test]
    fn what_may_wait_first_leaves_the_order_undecided() {
        for expr in [
            "$x ? -'a' : -'b'",
            "($x or -'b') + -'a'",
            "[-'a', -'b']",
            "$f(function(){ -'b' }) + -'a'",
        ] {
            assert_eq!(first_negated(expr), None, "{expr}");
        }
    }
}
