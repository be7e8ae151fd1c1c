//! Where an expression's calls are evaluated: on the left side of `~>`, with a path step's items
//! or a function's parameters, or handed a function. An error is worded again from the calls
//! the expression pins.

use jsonata_core::ast::{AstNode, BinaryOp, PathStep};

use crate::jsonata_references::{filters, nodes};

/// The two sides of each `~>` of `nodes` (an expression's): a call on the right is handed the
/// left side as its first argument (`xs ~> $keys()` is `$keys(xs)`), not the context item.
pub(crate) fn chains<'a>(nodes: &[&'a AstNode]) -> Vec<(&'a AstNode, &'a AstNode)> {
    nodes
        .iter()
        .filter_map(|node| match node {
            AstNode::Binary {
                op: BinaryOp::ChainPipe,
                lhs,
                rhs,
            } => Some((lhs.as_ref(), rhs.as_ref())),
            _ => None,
        })
        .collect()
}

/// The calls anywhere inside a path's later steps (their filters too) or the body of a
/// function handed to a call: their arguments read that step's item or the function's
/// parameters, so they cannot be evaluated again from the expression alone. Each comes with its
/// outermost such enclosure, the path or the call handed the function, which can be: where that
/// evaluates, the call did not fail. `all` are an expression's nodes (`nodes`).
pub(crate) fn calls_reading_an_inner_context<'a>(all: &[&'a AstNode]) -> Vec<(&'a AstNode, &'a AstNode)> {
    let mut found: Vec<(&AstNode, &AstNode)> = Vec::new();
    // `all` lists an enclosure before what it encloses, so a call is met first in its outermost.
    for node in all {
        let inner: Vec<&AstNode> = match node {
            // The first step's own expression reads the path's input; its filters, its items.
            AstNode::Path { steps } => steps
                .iter()
                .enumerate()
                .flat_map(|(at, step)| children_of_step(step).into_iter().skip(usize::from(at == 0)))
                .collect(),
            AstNode::Function { .. } => calls_handed_a_function(&[*node]).into_iter().map(|(_, body)| body).collect(),
            _ => continue,
        };
        for call in inner.into_iter().flat_map(nodes).filter(|n| matches!(n, AstNode::Function { .. })) {
            if !found.iter().any(|(known, _)| std::ptr::eq(*known, call)) {
                found.push((call, *node));
            }
        }
    }
    found
}

/// Each call handed a function written in place, with that function's body.
pub(crate) fn calls_handed_a_function<'a>(nodes: &[&'a AstNode]) -> Vec<(&'a AstNode, &'a AstNode)> {
    nodes
        .iter()
        .flat_map(|node| match node {
            AstNode::Function { args, .. } => args
                .iter()
                .filter_map(|arg| match arg {
                    AstNode::Lambda { body, .. } => Some((*node, body.as_ref())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// A path step's expression and its filters.
fn children_of_step(step: &PathStep) -> Vec<&AstNode> {
    std::iter::once(&step.node).chain(filters(step)).collect()
}
