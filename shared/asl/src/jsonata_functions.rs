//! The functions Baton binds beside the embedded engine's: those Step Functions adds
//! (`jsonata_step_functions`), and the one it takes away: "`$eval` is not available; use
//! `$parse` instead". The rest are jsonata-js's, which the embedded engine has only in part:
//! `$now` with a picture and a timezone, the URL functions (`jsonata_url`),
//! `$fromMillis` and `$formatBase` of a number with a fraction, `$reduce` from nothing, and
//! `$sort`, `$single` and `$sift` given nothing for their function, `$number` of a string
//! that is no JSON number, `$keys` and `$spread` of an array of arrays, `$trim` of a text
//! holding white space other than a space, a tab, a carriage return or a line feed, and
//! `$exists($)` in a path step. One is AWS's own: `$base64decode` of text that is not base64
//! fails there. Some bound what an input may ask of the engine (`jsonata_input_bounds`).

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Evaluator, EvaluatorError, HostFnResult};
use jsonata_core::value::{JMap, JValue};

use crate::jsonata_engine_calls::builtin;
use crate::jsonata_input_bounds as bounds;
use crate::jsonata_signatures;
use crate::jsonata_stand_ins as stand_ins;
use crate::jsonata_step_functions as added;
use crate::jsonata_transform as transform;

type Bind = fn(&mut Evaluator) -> Result<(), EvaluatorError>;

/// The functions this module binds beside the stand-ins for jsonata-js's builtins
/// (`jsonata_stand_ins`), by name, each of which an expression may call or pass as a value.
const FUNCTIONS: [(&str, Bind); 9] = [
    ("partition", |e| e.register_fn("partition", added::partition)),
    ("range", |e| e.register_fn("range", added::range)),
    ("hash", |e| e.register_fn("hash", added::hash)),
    ("uuid", |e| e.register_fn("uuid", added::uuid)),
    ("parse", |e| e.register_fn("parse", added::parse)),
    ("random", |e| e.register_fn_override("random", added::random)),
    ("now", |e| e.register_fn_override("now", now)),
    (transform::FUNCTION, |e| e.register_fn(transform::FUNCTION, transform::transform)),
    // What AWS answers a call of it, recorded by TestState (floci-io/floci#2737): "… threw an
    // error during evaluation. T1006: Attempted to invoke a non-function".
    ("eval", |e| {
        e.register_fn_override("eval", |_: &[JValue]| {
            Err(EvaluatorError::EvaluationError("T1006: Attempted to invoke a non-function".into()))
        })
    }),
];

/// The names of the functions this module binds, each way of reaching a stand-in among them.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.into_iter().map(|(name, _)| name).chain(stand_ins::names())
}

/// Whether a call of `name` with `args` needs the function this module binds for it: every call
/// does but one of `$exists`, which the engine answers as jsonata-js does, and faster, unless
/// its argument is the context item (`exists`).
pub(crate) fn needed(name: &str, args: &[AstNode]) -> bool {
    name != "exists" || matches!(args, [AstNode::Variable(context)] if context.is_empty())
}

/// Registers on `evaluator` the functions `used` names: binding one costs an allocation, and
/// most expressions call none of them.
pub(crate) fn register(evaluator: &mut Evaluator, used: &[&'static str]) -> Result<(), EvaluatorError> {
    for (_, bind) in FUNCTIONS.into_iter().filter(|(name, _)| used.contains(name)) {
        bind(evaluator)?;
    }
    stand_ins::register(evaluator, used)
}

/// jsonata-js's `$now(picture?, timezone?)` (signature `<s?s?:s>`): the time of the call, as
/// `$fromMillis` writes it with that picture and timezone. AWS's JSONata is jsonata-js 2.0.6
/// (the developer guide's "Transforming data with JSONata"), where `$now('[Y0001]')` is the
/// year; the embedded engine's `$now` takes no arguments.
fn now(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check("now", "<s?s?:s>", args).map_err(EvaluatorError::TypeError)?;
    bounds::date_picture_within_memory_bound(args.first())?;
    let mut call = vec![JValue::Number(now_millis())];
    call.extend_from_slice(args);
    builtin("fromMillis", &call)
}

/// The clock jsonata-js reads, in epoch milliseconds: `$now`'s time, and what `$toMillis` fills
/// a picture's missing parts from.
pub(crate) fn now_millis() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64)
}

/// jsonata-js makes a `Date` of the number, which drops a fraction of a millisecond toward
/// zero: `$fromMillis(1700000000123.7)` is `2023-11-14T22:13:20.123Z` there, where the
/// embedded engine refuses it ("fromMillis() requires an integer"), as it would any epoch
/// seconds with a fraction times 1000.
pub(crate) fn from_millis(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("fromMillis", args).map_err(EvaluatorError::TypeError)?;
    bounds::date_picture_within_memory_bound(args.get(1))?;
    let mut args = args.to_vec();
    if let Some(JValue::Number(millis)) = args.first_mut() {
        *millis = millis.trunc();
    }
    builtin("fromMillis", &args)
}

/// jsonata-js rounds the number and the radix as its `$round` does, half to even, before
/// writing one in the other: `$formatBase(2.5)` is "2" and `$formatBase(-0.5)` "0" there,
/// where the embedded engine rounds half away from zero ("3", "-1").
pub(crate) fn format_base(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("formatBase", args).map_err(EvaluatorError::TypeError)?;
    let args: Vec<JValue> = args
        .iter()
        .map(|arg| match arg {
            // `+ 0.0` makes a rounded -0 the 0 JavaScript writes.
            JValue::Number(n) => JValue::Number(n.round_ties_even() + 0.0),
            other => other.clone(),
        })
        .collect();
    builtin("formatBase", &args)
}

/// jsonata-js's `foldLeft` starts from the initial value, and from the first item where that
/// is nothing: an empty array with none folds to nothing (the embedded engine answers null),
/// and an initial value that is nothing is none (`$reduce(xs, f, $missing)` folds `xs` as
/// `$reduce(xs, f)` does, where the engine starts from nothing and answers nothing).
pub(crate) fn reduce(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("reduce", args).map_err(EvaluatorError::TypeError)?;
    let args = match args {
        [given @ .., JValue::Undefined] if given.len() == 2 => given,
        _ => args,
    };
    let arity = match args.get(1) {
        Some(JValue::Lambda(lambda)) => Some(lambda.params.len()),
        Some(JValue::Builtin { name }) => stand_ins::STAND_INS.iter().find(|s| s.as_value == &**name).map(|s| s.arity),
        _ => None,
    };
    match args {
        // jsonata-js's `foldLeft` asks the function's arity before it looks at the items, or
        // at the initial value.
        [items, _, ..] if !matches!(items, JValue::Undefined) && arity.is_some_and(|arity| arity < 2) => {
            Err(EvaluatorError::EvaluationError(
                "D3050: The second argument of reduce function must be a function with at least two arguments".into(),
            ))
        }
        [JValue::Array(items), _] if items.is_empty() => Ok(JValue::Undefined),
        _ => builtin("reduce", args),
    }
}

/// jsonata-js's signatures take nothing for a function parameter (`f`, where `s` or `n` take
/// `m`): a misspelt comparator, `$sort(xs, $states.input.none)`, is `T0410: Argument 2 of
/// function "sort" does not match function signature` there, and so for `$single` and `$sift`,
/// where the embedded engine takes it as no function given and answers (the array unsorted,
/// D3139, nothing).
pub(crate) fn signature_checked(name: &str, args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin(name, args).map_err(EvaluatorError::TypeError)?;
    builtin(name, args)
}

/// jsonata-js's `keys`: an object's keys, and an array's, at any depth, the keys of the objects
/// it holds, each once, in the order met. `$keys([[{"a": 1}], {"b": 2}])` is `["a", "b"]` there,
/// where the embedded engine looks one level down (`"b"`). Written whole here rather than in
/// front of the engine's: a call of it is as common as a call of `$count`.
pub(crate) fn keys(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("keys", args).map_err(EvaluatorError::TypeError)?;
    let keys = match args.first() {
        Some(JValue::Object(object)) => object.keys().map(|key| JValue::string(key.as_str())).collect(),
        Some(JValue::Array(items)) => {
            let mut seen = HashSet::new();
            let mut keys = Vec::new();
            keys_at_any_depth(items, &mut seen, &mut keys);
            keys
        }
        _ => Vec::new(),
    };
    // A sequence, as jsonata-js's `createSequence()`: none is nothing, one is that key.
    Ok(JValue::sequence(keys))
}

fn keys_at_any_depth<'a>(items: &'a [JValue], seen: &mut HashSet<&'a str>, keys: &mut Vec<JValue>) {
    for item in items {
        match item {
            JValue::Object(object) => {
                keys.extend(
                    object
                        .keys()
                        .filter(|key| seen.insert(key.as_str()))
                        .map(|key| JValue::string(key.as_str())),
                );
            }
            JValue::Array(inner) => keys_at_any_depth(inner, seen, keys),
            _ => {}
        }
    }
}

/// jsonata-js's `spread`, answered here whole: of an array, the fold of each item's (an array's
/// own items at any depth, an object's one-key objects, anything else as it is), so
/// `$spread([[1, 2], [3]])` is `[1, 2, 3]` and `$spread([[]])` `[]` there, where the embedded
/// engine looks one level down. (Handed to the engine and back, an answer would lose what makes
/// it a sequence.)
pub(crate) fn spread(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("spread", args).map_err(EvaluatorError::TypeError)?;
    Ok(match args.first() {
        // A sequence, as jsonata-js pushes the objects: one is that object, none nothing.
        Some(JValue::Object(object)) => JValue::sequence(one_key_objects(object)?),
        // Never folded, an empty array stays the empty sequence jsonata-js starts from.
        Some(JValue::Array(items)) if items.is_empty() => JValue::sequence(Vec::new()),
        Some(JValue::Array(items)) => {
            let mut spread = Vec::with_capacity(items.len());
            spread_at_any_depth(items, &mut spread)?;
            // A plain array, not a sequence: jsonata-js's `append` ends in `concat`.
            JValue::array(spread)
        }
        // Null, a function, any other value, or nothing: as it is.
        other => other.cloned().unwrap_or(JValue::Undefined),
    })
}

/// An object's members, each as an object of its own, in order.
fn one_key_objects(object: &JMap) -> Result<Vec<JValue>, EvaluatorError> {
    Ok(match jsonata_core::functions::object::spread(object)? {
        JValue::Array(entries) => entries.to_vec(),
        entry => vec![entry],
    })
}

fn spread_at_any_depth(items: &[JValue], spread: &mut Vec<JValue>) -> Result<(), EvaluatorError> {
    for item in items {
        match item {
            JValue::Array(inner) => spread_at_any_depth(inner, spread)?,
            JValue::Object(object) => spread.extend(one_key_objects(object)?),
            // The engine leaves a function out of an array it spreads.
            function if function.is_function() => {}
            other => spread.push(other.clone()),
        }
    }
    Ok(())
}

/// jsonata-js's `trim` takes a space, a tab, a carriage return and a line feed for white space,
/// and no other character: each run of them becomes one space, then a space that starts or ends
/// the text goes. A no-break space (U+00A0, as text pasted from a web page or a spreadsheet
/// holds) stays there, where the embedded engine trims every Unicode white space.
pub(crate) fn trim(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("trim", args).map_err(EvaluatorError::TypeError)?;
    // Its signature (`<s-:s>`) takes text or nothing, and of nothing it is nothing.
    let Some(JValue::String(text)) = args.first() else {
        return Ok(JValue::Undefined);
    };
    let mut trimmed = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            if !in_space {
                trimmed.push(' ');
            }
            in_space = true;
        } else {
            trimmed.push(c);
            in_space = false;
        }
    }
    let trimmed = trimmed.strip_prefix(' ').unwrap_or(&trimmed);
    let trimmed = trimmed.strip_suffix(' ').unwrap_or(trimmed);
    Ok(JValue::string(trimmed))
}

/// jsonata-js's `exists`: whether its argument is anything, null included. The embedded engine
/// reads a `$` argument as a variable and, inside a path step, finds none: `items.$exists($)` and
/// `items[$exists($)]` were false for every item there, where jsonata-js answers true.
pub(crate) fn exists(args: &[JValue]) -> HostFnResult {
    // Its signature (`<x:b>`) takes one argument of any type, or nothing: as common a call as
    // any, answered without the signature's pattern. Any other count fails the check.
    if let [one] = args {
        return Ok(JValue::Bool(!matches!(one, JValue::Undefined)));
    }
    jsonata_signatures::check_builtin("exists", args).map_err(EvaluatorError::TypeError)?;
    Ok(JValue::Bool(false))
}

/// AWS fails `$base64decode` of text that is not base64, with an error of its own
/// (`jsonata_errors::INTERNAL`): `$base64decode("!!!")` is one (floci-io/floci#2736), where
/// jsonata-js under Node skips what it cannot read and the embedded engine answers "". A
/// character outside base64's alphabet is what that recording shows; white space, missing
/// padding and a short last group are read as the engine reads them.
pub(crate) fn base64decode(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("base64decode", args).map_err(EvaluatorError::TypeError)?;
    let Some(JValue::String(text)) = args.first() else {
        return Ok(JValue::Undefined);
    };
    let base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=') || c.is_ascii_whitespace();
    if !text.chars().all(base64) {
        return Err(EvaluatorError::EvaluationError(crate::jsonata_errors::INTERNAL.into()));
    }
    Ok(jsonata_core::functions::encoding::base64decode(text)?)
}

/// jsonata-js casts a string to a number only when it is a JSON number or reads as a `0x`, `0o`
/// or `0b` literal (`json_number`, `radix_literal`); else D3030 (JSONata's documentation: "Strings
/// that contain a sequence of characters that represent a legal JSON number are converted to that
/// number"). The embedded engine also reads `" 12"`, `"+5"`, `".5"` and `"5."`: `$number` of a
/// CSV field with a space after its comma ran locally where jsonata-js refuses it.
///
/// The everyday calls — a number, a boolean, a JSON number's text — are answered here, as
/// jsonata-js answers them, without the engine's round trip.
pub(crate) fn number(args: &[JValue]) -> HostFnResult {
    match args {
        [JValue::Number(_)] => Ok(args[0].clone()),
        [JValue::Bool(b)] => Ok(JValue::Number(if *b { 1.0 } else { 0.0 })),
        [JValue::String(text)] if json_number(text) => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(JValue::Number(n)),
            // `1e999`: the engine refuses it in jsonata-js's words.
            _ => builtin("number", args),
        },
        [JValue::String(text)] if !radix_literal(text) => Err(EvaluatorError::EvaluationError(format!(
            "D3030: Unable to cast value to a number: {}",
            crate::jsonata_errors::as_json(text)
        ))),
        _ => {
            jsonata_signatures::check_builtin("number", args).map_err(EvaluatorError::TypeError)?;
            builtin("number", args)
        }
    }
}

/// jsonata-js's `/^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/`.
fn json_number(text: &str) -> bool {
    fn digits(s: &str) -> (usize, &str) {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (n, &s[n..])
    }
    let (whole, rest) = digits(text.strip_prefix('-').unwrap_or(text));
    let rest = match rest.strip_prefix('.').map(digits) {
        Some((0, _)) => return false,
        Some((_, after)) => after,
        None => rest,
    };
    let rest = match rest.strip_prefix(['e', 'E']) {
        Some(exponent) => match digits(exponent.strip_prefix(['+', '-']).unwrap_or(exponent)) {
            (0, _) => return false,
            (_, after) => after,
        },
        None => rest,
    };
    whole > 0 && rest.is_empty()
}

/// jsonata-js's `/^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/`, whose anchors bind to the
/// first and last alternatives alone: a hexadecimal literal that starts the text, an octal one
/// anywhere in it, a binary one that ends it (what it matches beyond a whole literal the engine
/// answers).
fn radix_literal(text: &str) -> bool {
    let literal = |s: &str, marks: [char; 2], digit: fn(&char) -> bool| {
        s.strip_prefix('0')
            .and_then(|s| s.strip_prefix(marks))
            .is_some_and(|s| s.chars().next().as_ref().is_some_and(digit))
    };
    let octal = |c: &char| ('0'..='7').contains(c);
    let binary = |c: &char| matches!(c, '0' | '1');
    literal(text, ['x', 'X'], char::is_ascii_hexdigit)
        || text.char_indices().any(|(i, _)| literal(&text[i..], ['o', 'O'], octal))
        || text.char_indices().any(|(i, _)| {
            let tail = &text[i..];
            literal(tail, ['b', 'B'], binary) && tail[2..].chars().all(|c| binary(&c))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::jsonata::{Env, evaluate};
    use crate::jsonata_step_functions::tests::eval;

    /// The answers of jsonata-js 2.0.6's two regular expressions, run in Node, for each text.
    #[test]
    fn a_string_casts_where_jsonata_js_s_patterns_match() {
        let answers = [
            ("12", true, false),
            ("-12", true, false),
            ("1.5", true, false),
            ("-1.5e3", true, false),
            ("1E+2", true, false),
            ("1e-2", true, false),
            (" 12", false, false),
            ("12 ", false, false),
            ("+5", false, false),
            (".5", false, false),
            ("5.", false, false),
            ("1e", false, false),
            ("1.e2", false, false),
            ("-", false, false),
            ("", false, false),
            ("--1", false, false),
            ("0x1F", false, true),
            ("0X1f", false, true),
            ("0xg", false, false),
            ("x0x1", false, false),
            ("zz0o7", false, true),
            ("0o8", false, false),
            ("0b101", false, true),
            ("1 0b1", false, true),
            ("0b12", false, false),
            ("0b", false, false),
            ("a0B1", false, true),
            ("1e999", true, false),
            ("0x1Fzz", false, true),
            ("١٢", false, false),
        ];
        for (text, json, radix) in answers {
            assert_eq!((super::json_number(text), super::radix_literal(text)), (json, radix), "{text:?}");
        }
    }

    /// A workflow variable named `number` shadows `$number`, stand-in and builtin alike: calling
    /// it calls the variable's value, as a jsonata-js frame binding does, on a path step's item
    /// too, and reading it reads the variable.
    #[test]
    fn a_workflow_variable_named_number_shadows_the_builtin() {
        let variables = [("number".to_string(), json!(5))].into_iter().collect();
        let env = Env {
            states: &json!({ "input": {} }),
            variables: &variables,
        };
        for call in ["$number('1')", "['1'].$number()"] {
            let cause = evaluate(call, &env, "Output").map_err(|e| e.cause);
            assert!(
                cause
                    .as_ref()
                    .is_err_and(|c| c.ends_with("T1006: Attempted to invoke a non-function")),
                "{call}: {cause:?}"
            );
        }
        assert_eq!(evaluate("$number + 1", &env, "Output").map_err(|e| e.cause), Ok(Some(json!(6))));
        assert_eq!(eval("$number(' 1')").map_err(|c| c.contains("D3030")), Err(true));
    }

    /// `$reduce`'s function runs where the engine's own `$reduce` runs it, and still reads
    /// `$states` and calls the functions Step Functions adds.
    #[test]
    fn a_function_handed_to_reduce_calls_step_functions_own() {
        assert_eq!(
            eval("$reduce([1, 2], function($a, $b){ $a & $b & $substring($hash($states.input.content, 'MD5'), 0, 4) }, '')"),
            Ok(json!("15d4125d41"))
        );
    }

    /// jsonata-js 2.0.6's answers, run there: `$now('[Y0001]')` is the year, `$now('[H01]',
    /// '-0500')` the hour five hours west, and a picture that is no string is refused.
    #[test]
    fn now_takes_a_picture_and_a_timezone() {
        let year = eval("$now('[Y0001]')").unwrap();
        assert_eq!(year, eval("$substring($now(), 0, 4)").unwrap());
        let utc: i64 = eval("$now('[H01]')").unwrap().as_str().unwrap().parse().unwrap();
        let west: i64 = eval("$now('[H01]', '-0500')").unwrap().as_str().unwrap().parse().unwrap();
        assert_eq!((utc - west).rem_euclid(24), 5);
        assert!(eval("$now()").unwrap().as_str().unwrap().ends_with('Z'));
        let err = eval("$now(1)").unwrap_err();
        assert!(
            err.ends_with(". T0410: Argument 1 of function \"now\" does not match function signature"),
            "{err}"
        );
    }

    /// jsonata-js 2.0.6's answers, run there; the embedded engine's own gave "a b", "/" and "%".
    #[test]
    fn url_functions_are_javascript_s() {
        assert_eq!(eval("$encodeUrl('https://x.com/a b')").unwrap(), json!("https://x.com/a%20b"));
        assert_eq!(eval("$decodeUrl('a%2Fb%20c')").unwrap(), json!("a%2Fb c"));
        let err = eval("$decodeUrl('%')").unwrap_err();
        assert!(err.ends_with(". D3140: Malformed URL passed to $decodeUrl(): \"%\""), "{err}");
    }

    /// AWS's cause for text that is not base64 ends in a fresh id (floci-io/floci#2736).
    #[test]
    fn base64_that_is_not_base64_fails_with_a_fresh_id() {
        let sentence =
            "The JSONata expression '$base64decode(\"!!!\")' specified for the field 'Output' threw an internal error during evaluation. ";
        let ids: Vec<String> = (0..2)
            .map(|_| {
                let cause = eval("$base64decode(\"!!!\")").unwrap_err();
                let id = cause.strip_prefix(sentence).unwrap_or_else(|| panic!("{cause}"));
                assert!(uuid::Uuid::parse_str(id).is_ok(), "{cause}");
                id.to_string()
            })
            .collect();
        assert_ne!(ids[0], ids[1]);
        assert_eq!(eval("$base64decode('aGk')"), Ok(json!("hi")));
    }
}
