//! Calling the engine from a function Baton binds (`jsonata_functions`): the engine's own builtin
//! behind a stand-in, or a function the expression made (a transform's clause), each in an
//! evaluator of its own, under what is left of the expression's bounds (`jsonata::bounds`).

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context as Bindings, Evaluator, HostFnResult};
use jsonata_core::value::JValue;

use crate::jsonata_functions::{names, register};

/// The embedded engine's own builtin `name`, called with `args` (its signature checked first,
/// so at most three). A function handed to it (`$reduce`'s, `$sort`'s), one the expression made
/// or a stand-in's value (`jsonata_stand_in_calls`), may call the functions Baton binds, so they
/// stand beside it then, but for `name` itself, the engine's here.
pub(crate) fn builtin(name: &str, args: &[JValue]) -> HostFnResult {
    let others: Vec<&'static str> = match args.iter().any(|arg| matches!(arg, JValue::Lambda(_) | JValue::Builtin { .. })) {
        true => names().filter(|other| *other != name).collect(),
        false => Vec::new(),
    };
    call(name, Bindings::new(), args, &others)
}

/// `function` (a function an expression made) called with `args`, as the engine calls it: with
/// the variables it closed over, and the functions Baton binds that `bound` names.
pub(crate) fn apply(function: &JValue, args: &[JValue], bound: &[&'static str]) -> HostFnResult {
    const CALLED: &str = "called (jsonata-js)";
    let mut bindings = Bindings::new();
    bindings.bind(CALLED.into(), function.clone());
    call(CALLED, bindings, args, bound)
}

/// `$callee(args…)` evaluated with `bindings`, the functions `registered` names bound beside the
/// engine's (the signatures checked first, so at most three arguments).
fn call(callee: &str, mut bindings: Bindings, args: &[JValue], registered: &[&'static str]) -> HostFnResult {
    const PARAMS: [&str; 3] = ["a0", "a1", "a2"];
    for (param, arg) in PARAMS.into_iter().zip(args) {
        bindings.bind(param.into(), arg.clone());
    }
    let args = PARAMS
        .iter()
        .take(args.len())
        .map(|param| AstNode::Variable((*param).into()))
        .collect();
    let ast = AstNode::Function {
        name: callee.into(),
        args,
        is_builtin: true,
    };
    let mut evaluator = Evaluator::with_options(bindings, crate::jsonata::bounds());
    register(&mut evaluator, registered)?;
    evaluator.evaluate(&ast, &JValue::Undefined)
}
