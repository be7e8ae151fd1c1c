//! The JSONata functions Step Functions adds ("Transforming data with JSONata in Step
//! Functions", JSONata functions provided by Step Functions): `$partition`, `$range`, `$hash`,
//! `$uuid` and `$parse`, and `$random` with an optional seed. Each does what its intrinsic
//! counterpart does (States.ArrayPartition, States.ArrayRange, States.Hash, States.UUID,
//! States.StringToJson), by the same code, within JSONata's own bounds and signatures where AWS
//! was seen to differ (`BOUNDS`, `SIGNED`). And the one it takes away: "`$eval` is not
//! available; use `$parse` instead". The rest are jsonata-js's, which the embedded engine has
//! only in part: `$now` with a picture and a timezone, the URL functions (`jsonata_url`),
//! `$fromMillis` and `$formatBase` of a number with a fraction, `$reduce` from nothing, and
//! `$sort`, `$single` and `$sift` given nothing for their function, and `$number` of a string
//! that is no JSON number.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonata_core::evaluator::{Context as Bindings, Evaluator, EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;
use serde_json::Value;

use crate::intrinsics::{self, Bounds};
use crate::{jsonata_signatures, jsonata_url};

type Bind = fn(&mut Evaluator) -> Result<(), EvaluatorError>;

/// The functions this module binds, by name, each of which an expression may call or pass as a
/// value.
const FUNCTIONS: [(&str, Bind); 19] = [
    ("partition", |e| e.register_fn("partition", partition)),
    // `$range` yields a JSONata sequence, so one number is that number: AWS answered
    // `$range(1, 9, 9)` with `1` (recorded in localstack/localstack, tests/aws/services/
    // stepfunctions/v2/intrinsic_functions/test_array_jsonata.snapshot.json, 2024-11-15), where
    // `$partition([0], 1)` is `[[0]]`.
    ("range", |e| {
        e.register_fn("range", |args: &[JValue]| {
            via("$range", "States.ArrayRange", args).map(|range| match range {
                JValue::Array(one) if one.len() == 1 => one[0].clone(),
                other => other,
            })
        })
    }),
    ("hash", |e| {
        e.register_fn("hash", |args: &[JValue]| via("$hash", "States.Hash", args))
    }),
    ("uuid", |e| {
        e.register_fn("uuid", |args: &[JValue]| via("$uuid", "States.UUID", args))
    }),
    ("parse", |e| e.register_fn("parse", parse)),
    ("random", |e| e.register_fn_override("random", random)),
    ("now", |e| e.register_fn_override("now", now)),
    ("fromMillis", |e| e.register_fn_override("fromMillis", from_millis)),
    ("formatBase", |e| e.register_fn_override("formatBase", format_base)),
    ("reduce", |e| e.register_fn_override("reduce", reduce)),
    ("sort", |e| {
        e.register_fn_override("sort", |args: &[JValue]| signature_checked("sort", args))
    }),
    ("single", |e| {
        e.register_fn_override("single", |args: &[JValue]| signature_checked("single", args))
    }),
    ("sift", |e| {
        e.register_fn_override("sift", |args: &[JValue]| signature_checked("sift", args))
    }),
    // The engine compiles `$number`, so it cannot be replaced where called: its stand-in is
    // reached through a binding of the name (`bind`), which the engine lets shadow a builtin.
    ("number", |e| e.register_fn(NUMBER, number)),
    ("encodeUrl", |e| {
        e.register_fn_override("encodeUrl", |args: &[JValue]| jsonata_url::ENCODE_URL.call(args))
    }),
    ("encodeUrlComponent", |e| {
        e.register_fn_override("encodeUrlComponent", |args: &[JValue]| jsonata_url::ENCODE_URL_COMPONENT.call(args))
    }),
    ("decodeUrl", |e| {
        e.register_fn_override("decodeUrl", |args: &[JValue]| jsonata_url::DECODE_URL.call(args))
    }),
    ("decodeUrlComponent", |e| {
        e.register_fn_override("decodeUrlComponent", |args: &[JValue]| jsonata_url::DECODE_URL_COMPONENT.call(args))
    }),
    // What AWS answers a call of it, recorded by TestState (floci-io/floci#2737): "… threw an
    // error during evaluation. T1006: Attempted to invoke a non-function".
    ("eval", |e| {
        e.register_fn_override("eval", |_: &[JValue]| {
            Err(EvaluatorError::EvaluationError("T1006: Attempted to invoke a non-function".into()))
        })
    }),
];

/// The names of the functions this module binds.
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.into_iter().map(|(name, _)| name)
}

/// Whether a function stands in for a builtin only where it is called. Passed as a value
/// (`$map(xs, $formatBase)`), a builtin is handed the higher-order function's extra arguments
/// cut to its own arity, as jsonata-js cuts them, which the engine does for its builtins and not
/// for a function Baton binds; these keep the engine's in an expression that passes one as a
/// value, and in one that calls one on the context item (`jsonata_references::called_on_context`),
/// which a function Baton binds is not handed.
pub(crate) fn only_where_called(name: &str) -> bool {
    matches!(name, "fromMillis" | "formatBase" | "reduce" | "sort" | "single" | "sift" | "number")
}

/// The name `$number`'s stand-in is registered under: one no expression can write, so that only
/// the binding `bind` makes reaches it.
const NUMBER: &str = "number (jsonata-js)";

/// Binds the names of the stand-ins that replace a builtin the engine compiles, of those `used`
/// names: a binding shadows a builtin, as a jsonata-js frame binding does. A workflow variable
/// bound under the name already shadows both, as such a binding shadows the builtin.
pub(crate) fn bind(bindings: &mut Bindings, used: &[&'static str]) {
    if used.contains(&"number") && bindings.lookup("number").is_none() {
        bindings.bind("number".into(), JValue::Builtin { name: NUMBER.into() });
    }
}

/// Registers on `evaluator` the functions `used` names: binding one costs an allocation, and
/// most expressions call none of them.
pub(crate) fn register(evaluator: &mut Evaluator, used: &[&'static str]) -> Result<(), EvaluatorError> {
    for (_, bind) in FUNCTIONS.into_iter().filter(|(name, _)| used.contains(name)) {
        bind(evaluator)?;
    }
    Ok(())
}

/// What a JSONata function may make or read: no bound is on record, where an intrinsic has
/// AWS's. AWS gave `$range(1, 1001, 1)` all 1,001 items and hashed 10,001 characters (a public
/// Step Functions conformance catalogue run against AWS, its group Feature.JSONataBuiltins,
/// 019 and 026). A range stops at a million items, Baton's bound, so that a hostile count
/// cannot take the memory; a text is already held to the payload's size.
const BOUNDS: Bounds = Bounds {
    range_items: 1_000_000,
    text_units: usize::MAX,
};

/// The functions whose arguments AWS checks by type before the call, as jsonata-js checks a
/// signature, where the intrinsic takes more: `$uuid("x")`, `$uuid(null)` and `$uuid(1, 2)`,
/// `$random("seed")`, `$random(null)` and `$random({…})`, `$hash(123, "SHA-256")`, and
/// `$parse(123)` and `$parse(null)` all failed (the catalogue's Feature.JSONataBuiltins, 029,
/// 035, 036 and 040 to 045). The cause's words are jsonata-js's for a misfit (not on record).
const SIGNED: [(&str, &str); 4] = [("uuid", "<:s>"), ("random", "<n?:n>"), ("hash", "<ss:s>"), ("parse", "<s:j>")];

fn signed(name: &str, args: &[JValue]) -> Result<(), EvaluatorError> {
    match SIGNED.iter().find(|(signed, _)| *signed == name) {
        Some((_, signature)) => jsonata_signatures::check(name, signature, args).map_err(EvaluatorError::TypeError),
        None => Ok(()),
    }
}

/// Calls the intrinsic `intrinsic` with `args`, its failure said under the JSONata name.
fn via(name: &str, intrinsic: &str, args: &[JValue]) -> HostFnResult {
    signed(name.trim_start_matches('$'), args)?;
    let args: Vec<Value> = args.iter().map(Value::from).collect();
    intrinsics::call(intrinsic, &args, BOUNDS)
        .map(JValue::from)
        .map_err(|e| EvaluatorError::EvaluationError(e.0.replace(intrinsic, name)))
}

/// `$partition(array)`, with no chunk size, is the whole array as its one chunk: AWS answered
/// `$partition([1, 2, 3])` with `[[1, 2, 3]]` (the catalogue's Feature.JSONataBuiltins, 014).
fn partition(args: &[JValue]) -> HostFnResult {
    match args {
        [JValue::Array(items)] => {
            let whole = JValue::Number(items.len().max(1) as f64);
            via("$partition", "States.ArrayPartition", &[args[0].clone(), whole])
        }
        _ => via("$partition", "States.ArrayPartition", args),
    }
}

/// `$parse` is States.StringToJson, but blank text is no JSON: AWS failed `$parse("")` (the
/// catalogue's Feature.JSONataBuiltins, 034), where the intrinsic makes it null.
fn parse(args: &[JValue]) -> HostFnResult {
    if let [JValue::String(text)] = args
        && text.trim().is_empty()
    {
        return Err(EvaluatorError::EvaluationError("$parse: blank text holds no JSON".into()));
    }
    via("$parse", "States.StringToJson", args)
}

/// `$random()` is a number in [0, 1); `$random(seed)` the same number for the same seed. A
/// number seed is `java.util.Random`'s: AWS answers `$random(42)` with 0.7275636800328681, bit
/// for bit (measured in floci-io/floci#2662), Java's first `nextDouble()` for seed 42. A seed
/// with a fraction is cut to its whole part, as Java's `longValue()` cuts it (not recorded).
fn random(args: &[JValue]) -> HostFnResult {
    signed("random", args)?;
    let value = match args {
        [JValue::Number(seed)] => java_next_double(*seed as i64),
        _ => fastrand::f64(),
    };
    Ok(JValue::Number(value))
}

/// jsonata-js's `$now(picture?, timezone?)` (signature `<s?s?:s>`): the time of the call, as
/// `$fromMillis` writes it with that picture and timezone. AWS's JSONata is jsonata-js 2.0.6
/// (the developer guide's "Transforming data with JSONata"), where `$now('[Y0001]')` is the
/// year; the embedded engine's `$now` takes no arguments.
fn now(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check("now", "<s?s?:s>", args).map_err(EvaluatorError::TypeError)?;
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64);
    let mut call = vec![JValue::Number(millis)];
    call.extend_from_slice(args);
    builtin("fromMillis", &call)
}

/// jsonata-js makes a `Date` of the number, which drops a fraction of a millisecond toward
/// zero: `$fromMillis(1700000000123.7)` is `2023-11-14T22:13:20.123Z` there, where the
/// embedded engine refuses it ("fromMillis() requires an integer"), as it would any epoch
/// seconds with a fraction times 1000.
fn from_millis(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("fromMillis", args).map_err(EvaluatorError::TypeError)?;
    let mut args = args.to_vec();
    if let Some(JValue::Number(millis)) = args.first_mut() {
        *millis = millis.trunc();
    }
    builtin("fromMillis", &args)
}

/// jsonata-js rounds the number and the radix as its `$round` does, half to even, before
/// writing one in the other: `$formatBase(2.5)` is "2" and `$formatBase(-0.5)` "0" there,
/// where the embedded engine rounds half away from zero ("3", "-1").
fn format_base(args: &[JValue]) -> HostFnResult {
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
fn reduce(args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin("reduce", args).map_err(EvaluatorError::TypeError)?;
    let args = match args {
        [given @ .., JValue::Undefined] if given.len() == 2 => given,
        _ => args,
    };
    match args {
        [JValue::Array(items), _] if items.is_empty() => Ok(JValue::Undefined),
        _ => builtin("reduce", args),
    }
}

/// jsonata-js's signatures take nothing for a function parameter (`f`, where `s` or `n` take
/// `m`): a misspelt comparator, `$sort(xs, $states.input.none)`, is `T0410: Argument 2 of
/// function "sort" does not match function signature` there, and so for `$single` and `$sift`,
/// where the embedded engine takes it as no function given and answers (the array unsorted,
/// D3139, nothing).
fn signature_checked(name: &str, args: &[JValue]) -> HostFnResult {
    jsonata_signatures::check_builtin(name, args).map_err(EvaluatorError::TypeError)?;
    builtin(name, args)
}

/// jsonata-js casts a string to a number only when it is a JSON number or reads as a `0x`, `0o`
/// or `0b` literal (`json_number`, `radix_literal`); else D3030 (JSONata's documentation: "Strings
/// that contain a sequence of characters that represent a legal JSON number are converted to that
/// number"). The embedded engine also reads `" 12"`, `"+5"`, `".5"` and `"5."`: `$number` of a
/// CSV field with a space after its comma ran locally where jsonata-js refuses it.
///
/// The everyday calls — a number, a boolean, a JSON number's text — are answered here, as
/// jsonata-js answers them, without the engine's round trip.
fn number(args: &[JValue]) -> HostFnResult {
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

/// The embedded engine's own builtin `name`, called with `args` (its signature checked first,
/// so at most three). A function handed to it (`$reduce`'s, `$sort`'s) may call the functions
/// this module binds, so they stand beside it then, but for `name` itself, the engine's here.
fn builtin(name: &str, args: &[JValue]) -> HostFnResult {
    const PARAMS: [&str; 3] = ["a0", "a1", "a2"];
    let mut bindings = Bindings::new();
    for (param, arg) in PARAMS.into_iter().zip(args) {
        bindings.bind(param.into(), arg.clone());
    }
    let params: Vec<String> = PARAMS.iter().take(args.len()).map(|param| format!("${param}")).collect();
    let call = format!("${name}({})", params.join(", "));
    let ast = crate::jsonata::parse(&call).map_err(EvaluatorError::EvaluationError)?;
    let mut evaluator = Evaluator::with_context(bindings);
    if args.iter().any(|arg| matches!(arg, JValue::Lambda(_))) {
        let others: Vec<&'static str> = names().filter(|other| *other != name).collect();
        register(&mut evaluator, &others)?;
    }
    evaluator.evaluate(&ast, &JValue::Undefined)
}

/// The first `nextDouble()` of `new java.util.Random(seed)`: the 48-bit linear congruential
/// generator of the class's documentation, two draws of 26 and 27 bits.
fn java_next_double(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    let mut state = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| {
        state = state.wrapping_mul(MULTIPLIER).wrapping_add(0xB) & MASK;
        state >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    ((high << 27) + low) as f64 * f64::powi(2.0, -53)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::jsonata::{Env, evaluate};

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

    fn eval(expr: &str) -> Result<serde_json::Value, String> {
        let variables = Default::default();
        let env = Env {
            states: &json!({ "input": { "content": "hello", "doc": "{\"a\":[1,2]}", "seed": 7 } }),
            variables: &variables,
        };
        evaluate(expr, &env, "Output").map(Option::unwrap_or_default).map_err(|e| e.cause)
    }

    /// A workflow variable named `number` shadows `$number`, stand-in and builtin alike: calling
    /// it calls the variable's value, as a jsonata-js frame binding does.
    #[test]
    fn a_workflow_variable_named_number_shadows_the_builtin() {
        let variables = [("number".to_string(), json!(5))].into_iter().collect();
        let env = Env {
            states: &json!({ "input": {} }),
            variables: &variables,
        };
        let cause = evaluate("$number('1')", &env, "Output").map_err(|e| e.cause);
        assert!(
            cause
                .as_ref()
                .is_err_and(|c| c.ends_with("T1006: Attempted to invoke a non-function")),
            "{cause:?}"
        );
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

    #[test]
    fn a_failure_is_a_query_evaluation_error_under_the_jsonata_name() {
        let err = eval("$hash('x', 'CRC32')").unwrap_err();
        assert!(err.contains("$hash: unknown algorithm `CRC32`"), "{err}");
        let err = eval("$partition([1], 0)").unwrap_err();
        assert!(err.contains("$partition: chunk size must be positive"), "{err}");
    }
}
