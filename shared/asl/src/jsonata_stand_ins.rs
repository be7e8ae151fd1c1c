//! The builtins of jsonata-js's that Baton stands in for (their stand-ins are
//! `jsonata_functions`', `jsonata_input_bounds`', `jsonata_url`'s, `jsonata_regex_backtracking`'s,
//! `jsonata_to_millis`' and `jsonata_integer_picture`'s), and the names each way of reaching one
//! is registered under: a call given its arguments, a call where the context item may stand in
//! for the first (`jsonata_stand_in_calls`), and its value.

use jsonata_core::evaluator::{Context as Bindings, Evaluator, EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;

use crate::jsonata_functions as functions;
use crate::jsonata_input_bounds as bounds;
use crate::jsonata_integer_picture as integer_picture;
use crate::jsonata_regex_backtracking as regex;
use crate::jsonata_stand_in_calls;
use crate::jsonata_to_millis;
use crate::jsonata_url::{URL_FUNCTIONS, UrlFunction};

/// A builtin of jsonata-js's that Baton stands in for, and the names each way of reaching it is
/// registered under (`jsonata_stand_in_calls` rewrites an expression to reach it so).
pub(crate) struct StandIn {
    /// The builtin's name.
    pub(crate) name: &'static str,
    /// The name a call of it given its arguments reaches: the builtin's own, which the stand-in
    /// overrides, or, for a builtin the engine compiles (whose calls no override reaches), one no
    /// expression can write, bound to the builtin's name (`bind`).
    called: &'static str,
    /// The name of its call where the context item may stand in for its first argument, handed
    /// that item first.
    pub(crate) on_context: &'static str,
    /// The name of its value (`$map(xs, $trim)`), which takes as many of the arguments it is
    /// handed as it has parameters, as jsonata-js hands a builtin passed to a higher-order
    /// function (`hofFuncArgs`, `getFunctionArity`).
    pub(crate) as_value: &'static str,
    /// jsonata-js's arity of it: its implementation's parameters.
    pub(crate) arity: usize,
    /// Whether it stands in only in an expression holding a regular expression the engine
    /// cannot run (`jsonata_regex_backtracking`), the engine's own answering every other.
    pub(crate) for_backtracking: bool,
    call: fn(&[JValue]) -> HostFnResult,
}

macro_rules! stand_in {
    ($name:literal, $arity:literal, $call:expr) => {
        stand_in!(@ $name, $name, false, $arity, $call)
    };
    (compiled $name:literal, $arity:literal, $call:expr) => {
        stand_in!(@ $name, concat!($name, " (jsonata-js)"), false, $arity, $call)
    };
    (regex $name:literal, $arity:literal, $call:expr) => {
        stand_in!(@ $name, $name, true, $arity, $call)
    };
    (regex compiled $name:literal, $arity:literal, $call:expr) => {
        stand_in!(@ $name, concat!($name, " (jsonata-js)"), true, $arity, $call)
    };
    (@ $name:literal, $called:expr, $for_backtracking:literal, $arity:literal, $call:expr) => {
        StandIn {
            name: $name,
            called: $called,
            on_context: concat!($name, " (context)"),
            as_value: concat!($name, " (value)"),
            arity: $arity,
            for_backtracking: $for_backtracking,
            call: $call,
        }
    };
}

/// The builtins Baton stands in for, with jsonata-js's arity of each (its implementation's
/// parameters: `function pad(str, width, char)`). The engine compiles `$number`, `$keys`,
/// `$trim`, `$exists`, `$distinct`, `$split` and `$contains`, so their calls reach their
/// stand-ins through a binding of the name, which the engine lets shadow a builtin. `$match`,
/// `$replace`, `$split` and `$contains` are stood in for only in an expression that holds a
/// regular expression the engine cannot run (`jsonata_regex_backtracking`).
pub(crate) static STAND_INS: [StandIn; 25] = [
    stand_in!("fromMillis", 3, functions::from_millis),
    stand_in!("toMillis", 2, jsonata_to_millis::to_millis),
    stand_in!("parseInteger", 2, integer_picture::parse_integer),
    stand_in!("formatBase", 2, functions::format_base),
    stand_in!("reduce", 3, functions::reduce),
    stand_in!("sort", 2, |args| functions::signature_checked("sort", args)),
    stand_in!("single", 2, |args| functions::signature_checked("single", args)),
    stand_in!("sift", 2, |args| functions::signature_checked("sift", args)),
    stand_in!("spread", 1, functions::spread),
    stand_in!("base64decode", 1, functions::base64decode),
    stand_in!("pad", 3, bounds::pad),
    stand_in!("formatInteger", 2, bounds::format_integer),
    stand_in!(compiled "number", 1, functions::number),
    stand_in!(compiled "keys", 1, functions::keys),
    stand_in!(compiled "trim", 1, functions::trim),
    stand_in!(compiled "exists", 1, functions::exists),
    stand_in!(compiled "distinct", 1, bounds::distinct),
    stand_in!("encodeUrl", 1, |args| URL[0].call(args)),
    stand_in!("encodeUrlComponent", 1, |args| URL[1].call(args)),
    stand_in!("decodeUrl", 1, |args| URL[2].call(args)),
    stand_in!("decodeUrlComponent", 1, |args| URL[3].call(args)),
    stand_in!(regex "match", 3, regex::r#match),
    stand_in!(regex "replace", 4, regex::replace),
    stand_in!(regex compiled "split", 3, regex::split),
    stand_in!(regex compiled "contains", 2, regex::contains),
];

const URL: [UrlFunction; 4] = URL_FUNCTIONS;

/// The builtin Baton stands in for under `name`, in an expression that holds a regular
/// expression the engine cannot run or not (`backtracking`).
pub(crate) fn stand_in(name: &str, backtracking: bool) -> Option<&'static StandIn> {
    STAND_INS.iter().find(|s| s.name == name && (backtracking || !s.for_backtracking))
}

/// Whether a function registered under `name` is bound in an expression that holds a regular
/// expression the engine cannot run or not (`backtracking`): any but a way of reaching the
/// stand-ins that serve such expressions alone.
pub(crate) fn in_play(name: &str, backtracking: bool) -> bool {
    backtracking
        || !STAND_INS
            .iter()
            .any(|s| s.for_backtracking && [s.name, s.on_context, s.as_value].contains(&name))
}

/// The names each way of reaching a stand-in is registered under.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    STAND_INS.iter().flat_map(|s| [s.name, s.on_context, s.as_value])
}

/// The name an expression wrote for `registered`, a name its reading of a variable or call of a
/// function became (`jsonata_stand_in_calls`): a workflow variable of that name is what it reads.
/// Asked for each name an expression reads at each evaluation: a name as written, which cannot
/// end in `)`, is answered without looking through the table.
pub(crate) fn written(registered: &str) -> &str {
    if !registered.ends_with(')') {
        return registered;
    }
    STAND_INS
        .iter()
        .find(|s| s.on_context == registered || s.as_value == registered)
        .map_or(registered, |s| s.name)
}

/// Binds the names of the stand-ins for a builtin the engine compiles, of those `used`: a binding
/// shadows a builtin, as a jsonata-js frame binding does. A workflow variable bound under the
/// name already shadows both, as such a binding shadows the builtin.
pub(crate) fn bind(bindings: &mut Bindings, used: &[&'static str]) {
    for s in STAND_INS.iter().filter(|s| s.called != s.name) {
        if used.contains(&s.name) && bindings.lookup(s.name).is_none() {
            bindings.bind(s.name.into(), JValue::Builtin { name: s.called.into() });
        }
    }
}

/// Registers on `evaluator` the ways of reaching a stand-in that `used` names.
pub(crate) fn register(evaluator: &mut Evaluator, used: &[&'static str]) -> Result<(), EvaluatorError> {
    for s in &STAND_INS {
        if used.contains(&s.name) {
            match s.called == s.name {
                true => evaluator.register_fn_override(s.called, s.call)?,
                false => evaluator.register_fn(s.called, s.call)?,
            }
        }
        if used.contains(&s.on_context) {
            evaluator.register_fn(s.on_context, |args: &[JValue]| jsonata_stand_in_calls::on_context(s, args))?;
        }
        if used.contains(&s.as_value) {
            evaluator.register_fn(s.as_value, |args: &[JValue]| jsonata_stand_in_calls::as_value(s, args))?;
        }
    }
    Ok(())
}

impl StandIn {
    /// The stand-in called with `args`.
    pub(crate) fn call(&self, args: &[JValue]) -> HostFnResult {
        (self.call)(args)
    }
}
