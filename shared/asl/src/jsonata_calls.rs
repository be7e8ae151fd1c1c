//! Where an expression's calls are evaluated: on the context item (a later step of a path, a
//! call with no argument), on the left side of `~>`, with a path step's items or a function's
//! parameters, or handed a function. The embedded engine hands a function Baton binds its
//! arguments only, and an error is worded again from the calls the expression pins.

use jsonata_core::ast::{AstNode, BinaryOp, PathStep};

use crate::jsonata_references::{filters, nodes};

/// The functions called where the context item may stand in for their first argument: as a
/// step of a path after its first (`calls_past_a_first_step`), or with no argument at all but
/// on the right of `~>`, which hands the call its left side as that argument instead.
/// jsonata-js hands such a call the item the step is reading; a function bound from outside
/// the engine is handed its arguments only, so a builtin Baton stands in for keeps the engine's
/// own there. `nodes` are an expression's (`nodes`).
pub(crate) fn called_on_context<'a>(nodes: &[&'a AstNode]) -> Vec<&'a str> {
    let name = |call: &'a AstNode| match call {
        AstNode::Function { name, .. } => Some(name.as_str()),
        _ => None,
    };
    let chained = chains(nodes);
    let without_arguments = nodes
        .iter()
        .filter(|node| !chained.iter().any(|(_, call)| std::ptr::eq(*call, **node)))
        .filter_map(|node| match call(node) {
            Some(AstNode::Function { name, args, .. }) if args.is_empty() => Some(name.as_str()),
            _ => None,
        });
    calls_past_a_first_step(nodes)
        .into_iter()
        .filter_map(name)
        .chain(without_arguments)
        .collect()
}

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

/// The calls that are a step of a path after its first (`xs.$fromMillis()`, `o.$sift(f)`),
/// evaluated with the step before's values as their context item. `nodes` are an expression's.
fn calls_past_a_first_step<'a>(nodes: &[&'a AstNode]) -> Vec<&'a AstNode> {
    nodes
        .iter()
        .filter_map(|node| match node {
            AstNode::Path { steps } => Some(steps.iter().skip(1).filter_map(|step| call(&step.node))),
            _ => None,
        })
        .flatten()
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

/// The call `node` is, itself or applied to a path's values (`.$f()`).
fn call(node: &AstNode) -> Option<&AstNode> {
    match node {
        AstNode::Function { .. } => Some(node),
        AstNode::FunctionApplication(inner) => call(inner),
        _ => None,
    }
}

/// A path step's expression and its filters.
fn children_of_step(step: &PathStep) -> Vec<&AstNode> {
    std::iter::once(&step.node).chain(filters(step)).collect()
}
