//! The URL functions Baton binds (`jsonata_url`) where jsonata-js reaches them other than by a
//! call given its argument. Passed as a value, a function is handed by jsonata-js's
//! higher-order functions as many arguments as it takes (`$map(urls, $encodeUrl)` gives it
//! each URL alone), where the engine hands a function bound from outside it all three (item,
//! index, array), which `$encodeUrl` refuses. Called with no argument on a path step's item
//! (`urls.$encodeUrl()`), it is handed the item there, which a function bound from outside is
//! not: it answered nothing. Each is rewritten once parsed: a reference into a function of one
//! parameter that calls it, a call with no argument into a call given the context item, `$`,
//! under a name whose refusal is jsonata-js's for the context item (`T0411`). A workflow
//! variable named as one of them is not one a reference can mean: variables hold JSON.

use std::collections::HashSet;

use jsonata_core::ast::{AstNode, BinaryOp};

use crate::jsonata_url::URL_FUNCTIONS;

const PARAMETER: &str = "value (url)";

/// `ast` with the URL functions' references and calls on the context item rewritten as the
/// module says, but for a name the expression binds itself (`$encodeUrl := …`).
pub(crate) fn as_jsonata_js_calls(ast: &mut AstNode) {
    let nodes = crate::jsonata_references::nodes(ast);
    let bound: HashSet<&str> = nodes
        .iter()
        .flat_map(|node| match node {
            AstNode::Binary {
                op: BinaryOp::ColonEqual,
                lhs,
                ..
            } => match lhs.as_ref() {
                AstNode::Variable(name) => vec![name.as_str()],
                _ => Vec::new(),
            },
            AstNode::Lambda { params, .. } => params.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    let ours = |name: &str| URL_FUNCTIONS.iter().any(|f| f.name == name) && !bound.contains(name);
    let rewrites = nodes.iter().any(|node| match node {
        AstNode::Variable(name) => ours(name),
        AstNode::Function { name, args, .. } => args.is_empty() && ours(name),
        _ => false,
    });
    if !rewrites {
        return;
    }
    // A call on the right of `~>` is handed the left side as its first argument instead.
    let chained: HashSet<*const AstNode> = crate::jsonata_calls::chains(&nodes)
        .into_iter()
        .map(|(_, call)| std::ptr::from_ref(call))
        .collect();
    let rename: Vec<_> = URL_FUNCTIONS.into_iter().filter(|f| ours(f.name)).collect();
    drop(nodes);
    let mut pending = vec![ast];
    while let Some(node) = pending.pop() {
        let at = std::ptr::from_ref::<AstNode>(node);
        match node {
            AstNode::Variable(name) if rename.iter().any(|f| f.name == name) => {
                let call = AstNode::Function {
                    name: name.clone(),
                    args: vec![AstNode::Variable(PARAMETER.into())],
                    is_builtin: true,
                };
                *node = AstNode::Lambda {
                    params: vec![PARAMETER.into()],
                    body: Box::new(call),
                    signature: None,
                    thunk: false,
                };
                continue;
            }
            AstNode::Function { name, args, .. } if args.is_empty() && !chained.contains(&at) => {
                if let Some(f) = rename.iter().find(|f| f.name == name) {
                    *name = f.on_context_name.into();
                    args.push(AstNode::Variable(String::new()));
                }
            }
            _ => {}
        }
        pending.extend(crate::jsonata_references::children_mut(node));
    }
}
