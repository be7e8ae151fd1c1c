//! The JSONata functions Step Functions adds ("Transforming data with JSONata in Step
//! Functions", JSONata functions provided by Step Functions): `$partition`, `$range`, `$hash`,
//! `$uuid` and `$parse`, and `$random` with an optional seed. Each does what its intrinsic
//! counterpart does (States.ArrayPartition, States.ArrayRange, States.Hash, States.UUID,
//! States.StringToJson), by the same code, within JSONata's own bounds (`BOUNDS`). AWS checks
//! their arguments as jsonata-js checks a signature (`SIGNED`), refuses what its functions
//! cannot take in words of its own under the code jsonata-js gives an error a function raises
//! (`D3137`, `$error`'s), and answers nothing to some calls the intrinsic refuses.
//!
//! The cases cited by number were recorded on AWS in gabrielmoreira/tiny-asl-machine,
//! tests/conformance/cases/.snapshots/aws/Feature.JSONataBuiltins-NNN-….json.

use jsonata_core::evaluator::{EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;
use serde_json::Value;

use crate::intrinsics::{self, Bounds, InvalidArguments};
use crate::jsonata_signatures;

/// What a JSONata function may make or read: no bound is on record, where an intrinsic has
/// AWS's. AWS gave `$range(1, 1001, 1)` all 1,001 items and hashed 10,001 characters (019,
/// 026). A range stops at a million items, Baton's bound, so that a hostile count cannot take
/// the memory; a text is already held to the payload's size.
const BOUNDS: Bounds = Bounds {
    range_items: 1_000_000,
    text_units: usize::MAX,
};

/// The functions' signatures, as AWS checks them before the call: `$uuid("x")`, `$uuid(1, 2)`,
/// `$random(null)`, `$random({…})`, `$random(77, 88)`, `$hash(123, "SHA-256")`, `$hash()`,
/// `$parse(123)`, `$parse(null)`, `$parse(json, 1)`, `$partition(xs, "2")`, `$partition(xs,
/// null)`, `$partition(xs, 2, 99)`, `$range("a", 5, 1)`, `$range(1, 5, null)` and `$range(1, 5,
/// 1, 99)` all failed with jsonata-js's `T0410: Argument N of function "…" does not match
/// function signature`, N the argument jsonata-js blames (011, 012, 015, 020, 021, 023, 029 to
/// 031, 035 to 037, 039, 040, 042, 044 to 046). A size, a step and the text to parse may be
/// left out.
const SIGNED: [(&str, &str); 6] = [
    ("uuid", "<:s>"),
    ("random", "<n?:n>"),
    ("hash", "<ss:s>"),
    ("parse", "<s?:j>"),
    ("partition", "<an?:a>"),
    ("range", "<nnn?:a>"),
];

fn signed(name: &str, args: &[JValue]) -> Result<(), EvaluatorError> {
    match SIGNED.iter().find(|(signed, _)| *signed == name) {
        Some((_, signature)) => jsonata_signatures::check(name, signature, args).map_err(EvaluatorError::TypeError),
        None => Ok(()),
    }
}

/// An error in AWS's own words, under jsonata-js's code for an error a function raises.
fn refused(message: &str) -> EvaluatorError {
    EvaluatorError::EvaluationError(format!("D3137: {message}"))
}

/// Calls the intrinsic `intrinsic` with `args`.
fn intrinsic(intrinsic: &str, args: &[JValue]) -> Result<JValue, InvalidArguments> {
    let args: Vec<Value> = args.iter().map(Value::from).collect();
    intrinsics::call(intrinsic, &args, BOUNDS).map(JValue::from)
}

/// Calls the intrinsic `intrinsic` with `args`, a failure AWS's words are not on record for said
/// in Baton's, under the JSONata name.
fn via(name: &str, intrinsic_name: &str, args: &[JValue]) -> HostFnResult {
    intrinsic(intrinsic_name, args).map_err(|why| EvaluatorError::EvaluationError(why.why.replace(intrinsic_name, name)))
}

/// `$partition(array, size)`. jsonata-js reads one value as an array of one, but not for a
/// parameter whose items are typed: AWS refused `$partition("not-array", 2)` with `T0412:
/// Argument 1 of function "partition" must be an array of undefined` (013), the items' type
/// having no plural in jsonata-js's table. Without a size the array is its one chunk (014); a
/// size is cut to its whole part (008), and is then nothing at 0 (009); below 0 it is refused
/// (010).
pub(crate) fn partition(args: &[JValue]) -> HostFnResult {
    signed("partition", args)?;
    if args
        .first()
        .is_some_and(|first| !matches!(first, JValue::Array(_) | JValue::Undefined))
    {
        return Err(EvaluatorError::TypeError(
            "T0412: Argument 1 of function \"partition\" must be an array of undefined".into(),
        ));
    }
    match args {
        [JValue::Array(items)] | [JValue::Array(items), JValue::Undefined] => {
            let whole = JValue::Number(items.len().max(1) as f64);
            via("$partition", "States.ArrayPartition", &[args[0].clone(), whole])
        }
        [_, JValue::Number(size)] if *size < 0.0 => Err(refused("Second argument must be zero or greater")),
        [_, JValue::Number(size)] if size.trunc() == 0.0 => Ok(JValue::Undefined),
        _ => via("$partition", "States.ArrayPartition", args),
    }
}

/// `$range(start, end, step)`, a JSONata sequence, so one number is that number: AWS answered
/// `$range(1, 9, 9)` with `1` (recorded in localstack/localstack, tests/aws/services/
/// stepfunctions/v2/intrinsic_functions/test_array_jsonata.snapshot.json, 2024-11-15), where
/// `$partition([0], 1)` is `[[0]]`. Without a step, or with one cut to 0, it is nothing (017,
/// 018, 022).
pub(crate) fn range(args: &[JValue]) -> HostFnResult {
    signed("range", args)?;
    match args {
        [_, _] | [_, _, JValue::Undefined] => return Ok(JValue::Undefined),
        [_, _, JValue::Number(step)] if step.trunc() == 0.0 => return Ok(JValue::Undefined),
        _ => {}
    }
    via("$range", "States.ArrayRange", args).map(|range| match range {
        JValue::Array(one) if one.len() == 1 => one[0].clone(),
        other => other,
    })
}

/// `$hash(text, algorithm)`: an algorithm States.Hash does not know, the one failure left once
/// the signature holds, is refused in the intrinsic's reason, AWS's words (027, 028).
pub(crate) fn hash(args: &[JValue]) -> HostFnResult {
    signed("hash", args)?;
    intrinsic("States.Hash", args).map_err(|why| refused(&why.why))
}

pub(crate) fn uuid(args: &[JValue]) -> HostFnResult {
    signed("uuid", args)?;
    via("$uuid", "States.UUID", args)
}

/// `$parse(text)`: text that is no JSON, blank text included (which States.StringToJson makes
/// null), is `D3137: Invalid JSON` (033, 034); no text at all is nothing (038).
pub(crate) fn parse(args: &[JValue]) -> HostFnResult {
    signed("parse", args)?;
    match args {
        [] | [JValue::Undefined] => Ok(JValue::Undefined),
        [JValue::String(text)] if text.trim().is_empty() => Err(refused("Invalid JSON")),
        _ => intrinsic("States.StringToJson", args).map_err(|why| {
            tracing::debug!(why = %why.why, "$parse refused its text");
            refused("Invalid JSON")
        }),
    }
}

/// `$random()` is a number in [0, 1); `$random(seed)` the same number for the same seed. A
/// number seed is `java.util.Random`'s: AWS answers `$random(42)` with 0.7275636800328681, bit
/// for bit (measured in floci-io/floci#2662), Java's first `nextDouble()` for seed 42. A seed
/// with a fraction is cut to its whole part, as Java's `longValue()` cuts it (not recorded).
pub(crate) fn random(args: &[JValue]) -> HostFnResult {
    signed("random", args)?;
    let value = match args {
        [JValue::Number(seed)] => crate::java_random::JavaRandom::new(*seed as i64).next_double(),
        _ => fastrand::f64(),
    };
    Ok(JValue::Number(value))
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use crate::jsonata::{Env, evaluate};

    /// `expr`'s value (`None` for nothing) over a state input of a few fields, or the cause of
    /// its failure.
    fn value(expr: &str) -> Result<Option<serde_json::Value>, String> {
        let variables = Default::default();
        let env = Env {
            states: &json!({ "input": { "content": "hello", "doc": "{\"a\":[1,2]}", "seed": 7 } }),
            variables: &variables,
        };
        evaluate(expr, &env, "Output").map_err(|e| e.cause)
    }

    /// `expr`'s value, null for nothing, or the cause of its failure.
    pub(crate) fn eval(expr: &str) -> Result<serde_json::Value, String> {
        value(expr).map(Option::unwrap_or_default)
    }

    /// The examples of the Step Functions developer guide for each function.
    #[test]
    fn the_guides_examples() {
        assert_eq!(
            eval("$partition([1,2,3,4,5,6,7,8,9], 3)").unwrap(),
            json!([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        );
        assert_eq!(eval("$partition([1,2,3,4], 3)").unwrap(), json!([[1, 2, 3], [4]]));
        assert_eq!(eval("$range(0, 10, 2)").unwrap(), json!([0, 2, 4, 6, 8, 10]));
        assert_eq!(eval("$range(10, 0, -5)").unwrap(), json!([10, 5, 0]));
        assert_eq!(
            eval("$hash($states.input.content, 'SHA-256')").unwrap(),
            json!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
        assert_eq!(eval("$parse($states.input.doc)").unwrap(), json!({ "a": [1, 2] }));
        let uuid = eval("$uuid()").unwrap();
        assert_eq!(uuid.as_str().map(str::len), Some(36), "{uuid}");
        assert_eq!(&uuid.as_str().unwrap()[14..15], "4", "version 4");
    }

    #[test]
    fn random_takes_a_seed() {
        let unseeded = eval("$random()").unwrap().as_f64().unwrap();
        assert!((0.0..1.0).contains(&unseeded));
        assert_eq!(eval("$random($states.input.seed)").unwrap(), eval("$random(7)").unwrap());
    }

    /// AWS's answer to `$random(42)` (floci-io/floci#2662), and Java's for seeds 0 and -1.
    #[test]
    fn a_number_seed_draws_as_java_util_random() {
        assert_eq!(eval("$random(42)").unwrap(), json!(0.7275636800328681));
        assert_eq!(eval("$random(0)").unwrap(), json!(0.730967787376657));
        assert_eq!(eval("$random(-1)").unwrap(), json!(0.26894263088050496));
    }

    /// AWS's answers to calls the intrinsics refuse (the cases cited in the module's notes).
    #[test]
    fn refusals_are_in_aws_s_words() {
        let refused = |expr: &str, message: &str| {
            let cause = eval(expr).unwrap_err();
            assert!(
                cause.ends_with(&format!("threw an error during evaluation. {message}")),
                "{expr}: {cause}"
            );
        };
        refused(
            "$hash('hello', 'sha-256')",
            "D3137: Hash algorithm 'sha-256' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5",
        );
        refused("$parse('{bad json}')", "D3137: Invalid JSON");
        refused("$parse('')", "D3137: Invalid JSON");
        refused("$partition([1, 2, 3], -1)", "D3137: Second argument must be zero or greater");
        refused(
            "$partition('not-array', 2)",
            "T0412: Argument 1 of function \"partition\" must be an array of undefined",
        );
        refused(
            "$partition([1], 2, 99)",
            "T0410: Argument 3 of function \"partition\" does not match function signature",
        );
        refused(
            "$range(1, 5, null)",
            "T0410: Argument 3 of function \"range\" does not match function signature",
        );
    }

    #[test]
    fn some_refused_calls_answer_nothing() {
        for expr in [
            "$partition([1, 2, 3], 0)",
            "$range(1, 10, 0)",
            "$range(1, 10, 0.49)",
            "$range(1, 5)",
            "$parse()",
        ] {
            assert_eq!(value(expr), Ok(None), "{expr}");
        }
        assert_eq!(eval("$partition([1, 2, 3, 4, 5], 2.6)"), Ok(json!([[1, 2], [3, 4], [5]])));
    }
}
