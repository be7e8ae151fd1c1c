//! Which of several nodes jsonata-js 2.0.6 evaluates first, where that is certain. It
//! evaluates an operator's operands left to right before the operator, a call's arguments before
//! the call, and a path's steps in order: after its children, left to right (post-order). Some
//! nodes may be evaluated many times or never, or overtaken: a conditional's branches, the right
//! operand of `and` and `or` (which it may not need), a function's body, and the items of an
//! array constructor of more than one, which 2.0.6 evaluates together (`Promise.all`), so the
//! first to fail is the one with the shortest way to its failure. When one of those comes first,
//! the order is left undecided, but for a conditional whose condition reads no context item: its
//! condition, evaluated again, says which branch is taken.

use jsonata_core::ast::{AstNode, BinaryOp};
use jsonata_core::value::JValue;

use crate::jsonata_blame::ValueOf;

/// A node met on the way: whether it may wait, whether it is read with a context item (inside a
/// path's steps, a function, a sort or a group), and whether its children were met.
struct Met<'a> {
    node: &'a AstNode,
    uncertain: bool,
    contextual: bool,
    expanded: bool,
}

/// The node of `candidates` that `ast` evaluates first: the first in post-order, when it is
/// evaluated in that order. Nothing that may wait is evaluated before what comes earlier than it
/// in post-order (a branch after its condition, a function's body only once it is defined), so
/// a later candidate cannot overtake it; none when the first may wait itself. `value_of`
/// evaluates a condition.
fn first_evaluated<'a>(ast: &'a AstNode, candidates: &[&'a AstNode], value_of: &mut ValueOf) -> Option<&'a AstNode> {
    // A stack, not recursion: an expression may nest deeper than a thread's stack allows.
    let mut pending = vec![Met {
        node: ast,
        uncertain: false,
        contextual: false,
        expanded: false,
    }];
    while let Some(met) = pending.pop() {
        let Met {
            node,
            uncertain,
            contextual,
            expanded,
        } = met;
        if expanded {
            if candidates.iter().any(|candidate| std::ptr::eq(*candidate, node)) {
                return (!uncertain).then_some(node);
            }
            continue;
        }
        pending.push(Met { expanded: true, ..met });
        let taken = match node {
            AstNode::Conditional { condition, .. } if !contextual => Some(taken_branch(condition, value_of)),
            _ => None,
        };
        let children = crate::jsonata_references::children(node);
        for (at, child) in children.into_iter().enumerate().rev() {
            let waits = match taken {
                // A branch not taken is never evaluated; the one taken is, after the condition.
                Some(branch) if at > 0 && branch != Some(at) => continue,
                Some(_) => false,
                None => may_wait(node, at),
            };
            pending.push(Met {
                node: child,
                uncertain: uncertain || waits,
                contextual: contextual || reads_a_context_item(node),
                expanded: false,
            });
        }
    }
    None
}

/// The child a conditional evaluates after `condition`: 1 (then) or 2 (else), or none when the
/// condition fails to evaluate.
fn taken_branch(condition: &AstNode, value_of: &mut ValueOf) -> Option<usize> {
    let value = value_of(condition, &JValue::Undefined)?;
    let truthy = matches!(jsonata_core::functions::boolean::boolean(&value), Ok(JValue::Bool(true)));
    Some(if truthy { 1 } else { 2 })
}

/// Whether `node`'s children are read with a context item other than the expression's.
fn reads_a_context_item(node: &AstNode) -> bool {
    matches!(
        node,
        AstNode::Path { .. }
            | AstNode::FunctionApplication(_)
            | AstNode::Sort { .. }
            | AstNode::ObjectTransform { .. }
            | AstNode::Lambda { .. }
    )
}

/// Of `found` (nodes of `ast`, each with what was found at it), the only one, or of several the
/// one `ast` evaluates first where that is certain (`first_evaluated`).
pub(crate) fn the_one_evaluated_first<'a, T>(
    ast: &'a AstNode,
    mut found: Vec<(&'a AstNode, T)>,
    value_of: &mut ValueOf,
) -> Option<(&'a AstNode, T)> {
    if found.len() > 1 {
        let nodes: Vec<&AstNode> = found.iter().map(|(node, _)| *node).collect();
        let first = first_evaluated(ast, &nodes, value_of)?;
        return found.into_iter().find(|(node, _)| std::ptr::eq(*node, first));
    }
    found.pop()
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

    /// What the first negation `expr` evaluates negates, of all its negations; conditions are
    /// literal booleans.
    fn first_negated(expr: &str) -> Option<String> {
        let ast = jsonata_core::parser::parse(expr).unwrap();
        let candidates: Vec<&AstNode> = crate::jsonata_references::nodes(&ast)
            .into_iter()
            .filter(|node| matches!(node, AstNode::Unary { .. }))
            .collect();
        let mut value_of = |node: &AstNode, _: &JValue| match node {
            AstNode::Boolean(b) => Some(JValue::Bool(*b)),
            _ => None,
        };
        first_evaluated(&ast, &candidates, &mut value_of).map(|node| match node {
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

    /// A condition that evaluates says which branch is taken (jsonata-js 2.0.6, run there).
    #[test]
    fn a_condition_that_evaluates_decides_its_branch() {
        assert_eq!(first_negated("(true ? -'b' : -'c') + -'a'").as_deref(), Some("b"));
        assert_eq!(first_negated("(false ? -'b' : -'c') + -'a'").as_deref(), Some("c"));
        assert_eq!(first_negated("(false ? -'b' : 1) + -'a'").as_deref(), Some("a"));
        // Read with a context item, it does not.
        assert_eq!(first_negated("$x.(true ? -'b' : -'c')"), None);
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
