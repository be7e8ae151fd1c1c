//! The builtins Baton stands in for (`jsonata_stand_ins::STAND_INS`) wherever jsonata-js reaches
//! them, not only where a call hands one its arguments. Two ways reached the embedded engine's
//! own builtin instead, which answers otherwise, and for an input, without the bounds its
//! stand-in keeps (`jsonata_input_bounds`): `[1/0].$formatInteger('w')` ended the process, as
//! `$reduce(['w'], $formatInteger, 1/0)` did.
//!
//! - A call where the context item may stand in for its first argument (`items.$pad(5)`,
//!   `$trim()`): jsonata-js's `validate` hands the call the item where the arguments given leave
//!   that parameter empty, and refuses an item of a type the parameter does not take (`T0411`).
//!   The engine hands a function Baton binds its arguments only. Each such call is rewritten
//!   once parsed into a call of `on_context`, handed the context item, `$`, before them.
//! - Its value (`$map(xs, $trim)`, `$f := $pad`): jsonata-js's higher-order functions hand a
//!   builtin as many of their arguments as its implementation has parameters, where the engine
//!   hands a function Baton binds all of them. Each reference is rewritten into one to the
//!   stand-in's value (`as_value`), which takes that many.
//!
//! A name the expression binds itself (`$pad := …`, a function's parameter) is left as written.
//! A workflow variable of the name is read under the name its reference became
//! (`jsonata_stand_ins::written`), so it still shadows the builtin, as in jsonata-js.

use std::collections::HashSet;

use jsonata_core::ast::{AstNode, BinaryOp};
use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

use crate::jsonata_signatures::{SIGNATURES, context_stands_in, first_accepts, letter};
use crate::jsonata_stand_ins::{STAND_INS, StandIn, stand_in};

/// `ast` with the stand-ins' calls where the context item may stand in, and their values,
/// rewritten as the module says.
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
    let backtracking = crate::jsonata_regex_backtracking::held(&nodes);
    let ours = |name: &str| stand_in(name, backtracking).filter(|_| !bound.contains(name));
    // Written `$name(…)`, and not partly applied (`$pad(?, 5)`), which the engine makes of the
    // builtin's name.
    let on_context = |node: &AstNode| match node {
        AstNode::Function { name, args, is_builtin } => {
            *is_builtin && !args.iter().any(|arg| matches!(arg, AstNode::Placeholder)) && ours(name).and_then(signature).is_some()
        }
        _ => false,
    };
    // A call on the right of `~>` is handed the left side as its first argument instead.
    let chained: HashSet<*const AstNode> = crate::jsonata_calls::chains(&nodes)
        .into_iter()
        .map(|(_, call)| std::ptr::from_ref(call))
        .collect();
    let values: HashSet<*const AstNode> = nodes
        .iter()
        .filter(|node| matches!(node, AstNode::Variable(name) if ours(name).is_some()))
        .map(|node| std::ptr::from_ref(*node))
        .collect();
    let calls: HashSet<*const AstNode> = nodes
        .iter()
        .filter(|node| on_context(node))
        .map(|node| std::ptr::from_ref(*node))
        .filter(|at| !chained.contains(at))
        .collect();
    drop(nodes);
    if values.is_empty() && calls.is_empty() {
        return;
    }
    let mut pending = vec![ast];
    while let Some(node) = pending.pop() {
        let at = std::ptr::from_ref::<AstNode>(node);
        match node {
            AstNode::Variable(name) if values.contains(&at) => {
                if let Some(s) = stand_in(name, true) {
                    *name = s.as_value.into();
                }
            }
            AstNode::Function { name, args, .. } if calls.contains(&at) => {
                if let Some(s) = stand_in(name, true) {
                    *name = s.on_context.into();
                    args.insert(0, AstNode::Variable(String::new()));
                }
            }
            _ => {}
        }
        pending.extend(crate::jsonata_references::children_mut(node));
    }
}

/// Whether a call of `name` is one of a stand-in's that the rewrite hands the context item first.
pub(crate) fn handed_the_context_item(name: &str) -> bool {
    STAND_INS.iter().any(|s| s.on_context == name)
}

/// The signature of `s`'s builtin, where its first parameter is one the context item may
/// stand in for.
fn signature(s: &StandIn) -> Option<&'static str> {
    SIGNATURES
        .iter()
        .find(|(name, signature)| *name == s.name && crate::jsonata_signatures::first_takes_context(signature))
        .map(|(_, signature)| *signature)
}

/// `s` called with `args`, the first of which is the context item: handed that item first where
/// the others leave its first parameter empty, as jsonata-js's `validate` hands it, else the
/// others alone. An item that parameter does not take is `T0411` there.
pub(crate) fn on_context(s: &StandIn, args: &[JValue]) -> HostFnResult {
    let (Some(signature), Some((item, given))) = (signature(s), args.split_first()) else {
        return s.call(args);
    };
    let letters: String = given.iter().map(letter).collect();
    if !context_stands_in(signature, &letters) {
        return s.call(given);
    }
    if !first_accepts(signature, item) {
        return Err(EvaluatorError::TypeError(format!(
            "T0411: Context value is not a compatible type with argument 1 of function \"{}\"",
            s.name
        )));
    }
    let mut with_item = Vec::with_capacity(args.len());
    with_item.push(item.clone());
    with_item.extend_from_slice(given);
    s.call(&with_item)
}

/// `s` passed as a value and called with `args`: the first of them, as many as its
/// implementation has parameters.
pub(crate) fn as_value(s: &StandIn, args: &[JValue]) -> HostFnResult {
    s.call(&args[..args.len().min(s.arity)])
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::jsonata_step_functions::tests::eval;

    /// Each way to a stand-in keeps the bound it holds for an input: every one of these reached
    /// the engine's own builtin, which recursed until the process died (an infinite number in
    /// words) or wrote 10^10 spaces or a year of 2^32 digits.
    #[test]
    fn every_way_to_a_stand_in_keeps_its_bounds() {
        let stack = "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive";
        let memory = "Expression evaluation memory limit exceeded: Check for excessive memory usage";
        for (expr, bound) in [
            ("[1/0].$formatInteger('w')", stack),
            ("(0/0).$formatInteger('W')", stack),
            ("$reduce(['w'], $formatInteger, 1/0)", stack),
            ("($f := $formatInteger; $f(1/0, 'w'))", stack),
            ("['x'].$pad(1e10)", memory),
            ("[0].$fromMillis('[Y,-4294967296]')", memory),
        ] {
            let cause = eval(expr).unwrap_err();
            assert!(cause.ends_with(&format!(": {bound}")), "{expr}: {cause}");
        }
    }

    /// jsonata-js 2.0.6's answers, run there: the context item stands in where the arguments
    /// leave the first parameter empty, inside a step's block too, and an item of another type
    /// is refused; a value is handed as many arguments as the builtin has parameters.
    #[test]
    fn the_context_item_and_a_value_reach_the_stand_in() {
        assert_eq!(eval("['ab', 'c'].($pad(3, '-'))"), Ok(json!(["ab-", "c--"])));
        assert_eq!(eval("['ab'].$pad('x', 3)"), Ok(json!("x  ")));
        let cause = eval("[{'a': 1}].$pad(4)").unwrap_err();
        assert!(
            cause.ends_with(". T0411: Context value is not a compatible type with argument 1 of function \"pad\""),
            "{cause}"
        );
        assert_eq!(eval("$map([2.5, 3.5], $formatBase)").map_err(|c| c.contains("D3100")), Err(true));
        assert_eq!(eval("$map(['a b'], $encodeUrl)"), Ok(json!("a%20b")));
        assert_eq!(eval("$filter([' ', 'a'], $trim)"), Ok(json!("a")));
    }

    /// A name the expression binds itself is its own: neither its calls nor its value are the
    /// stand-in's, and no context item stands in for a function's parameter (jsonata-js 2.0.6,
    /// run there).
    #[test]
    fn a_name_the_expression_binds_is_left_as_written() {
        assert_eq!(eval("($pad := function($s, $n){ $s & $n }; ['a'].$pad(1))"), Ok(json!("1")));
        assert_eq!(eval("($trim := function($s){ '!' }; $map(['a'], $trim))"), Ok(json!("!")));
    }
}
