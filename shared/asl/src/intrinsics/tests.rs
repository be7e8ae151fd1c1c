use super::*;
use serde_json::json;

fn eval(expr: &str, input: Value) -> Result<Value, StatesError> {
    evaluate(expr, &input, &Context::fixed(json!({"Execution": {"Id": "x"}})))
}

#[test]
fn format_with_paths_and_escapes() {
    let v = eval(
        "States.Format('Hello \\{ {} from {}', $.name, $$.Execution.Id)",
        json!({"name": "Ada"}),
    );
    assert_eq!(v.unwrap(), json!("Hello { Ada from x"));
}

/// States.Format writes its arguments as Java prints them (the recorded `{Arg1=1, Arg2=[]}`), so
/// a fraction as `Double.toString` does, inside a list too.
#[test]
fn format_writes_fractions_as_java_does() {
    let v = eval(
        "States.Format('{} {} {} {}', $.big, $.round, $.small, $.list)",
        json!({"big": 1e20, "round": 100.0, "small": 1e-7, "list": [2.5, 3]}),
    );
    assert_eq!(v.unwrap(), json!("1.0E20 100.0 1.0E-7 [2.5, 3]"));
}

#[test]
fn nested_calls_and_merge() {
    let v = eval(
        "States.JsonMerge(States.JsonMerge($.a, $.b, false), $.c, false)",
        json!({"a": {"x": 1}, "b": {"y": 2}, "c": {"x": 3}}),
    );
    assert_eq!(v.unwrap(), json!({"x": 3, "y": 2}));
}

#[test]
fn arrays() {
    assert_eq!(eval("States.ArrayRange(1, 9, 4)", json!({})).unwrap(), json!([1, 5, 9]));
    assert_eq!(
        eval("States.ArrayPartition($.xs, 2)", json!({"xs": [1, 2, 3]})).unwrap(),
        json!([[1, 2], [3]])
    );
    assert_eq!(
        eval("States.ArrayUnique(States.Array(1, 1, 'a'))", json!({})).unwrap(),
        json!([1, "a"])
    );
    assert_eq!(eval("States.ArrayLength($.xs)", json!({"xs": [1, 2]})).unwrap(), json!(2));
}

#[test]
fn base64_round_trip() {
    for s in ["", "f", "fo", "foo", "foob", "hello world"] {
        let encoded = eval(&format!("States.Base64Encode('{s}')"), json!({})).unwrap();
        let decoded = eval("States.Base64Decode($.e)", json!({"e": encoded})).unwrap();
        assert_eq!(decoded, json!(s));
    }
    assert_eq!(eval("States.Base64Encode('foob')", json!({})).unwrap(), json!("Zm9vYg=="));
    // Decoded as leniently as AWS decodes: what is not base64 is skipped and the first `=`
    // ends the text (the fuzzer's `====` once looped without end in a stricter decoder).
    for (text, decoded) in [
        ("====", ""),
        ("Zg==Zg==", "f"),
        ("Zm9v====", "foo"),
        (" YWJjZA== ", "abcd"),
        ("YW\nJj", "abc"),
        ("abc", "i\u{FFFD}"),
    ] {
        assert_eq!(
            eval("States.Base64Decode($.e)", json!({ "e": text })).unwrap(),
            json!(decoded),
            "{text}"
        );
    }
}

/// A call that cannot take its arguments fails as AWS fails it, `States.Runtime` (which no
/// catcher takes) naming only the function (recorded on AWS; see `InvalidArguments`).
#[test]
fn a_refused_call_is_a_runtime_error_naming_only_the_function() {
    let e = eval("States.Format('{}')", json!({})).unwrap_err();
    assert_eq!(e.error, "States.Runtime");
    assert_eq!(
        e.cause,
        "There was an error while evaluating the intrinsic function: States.Format('{}'). Invalid arguments in States.Format"
    );
    let e = eval("States.ArrayLength(States.MathAdd($.a, 1))", json!({"a": "x"})).unwrap_err();
    assert!(e.cause.ends_with("Invalid arguments in States.MathAdd"), "{}", e.cause);
    assert!(eval("States.Nope()", json!({})).is_err());
    assert!(eval("States.Array(1", json!({})).is_err());
}

/// Text that is not JSON is refused in AWS's words, its reader's (Jackson's) message and
/// location quoted, never serde_json's "expected value at line 1" (recorded on AWS; see
/// `text::string_to_json`).
#[test]
fn string_to_json_names_what_is_not_json_in_jacksons_words() {
    let e = eval("States.StringToJson($.s)", json!({ "s": "{\"a\":1" })).unwrap_err();
    assert_eq!(
        e.cause,
        "There was an error while evaluating the intrinsic function: States.StringToJson($.s). Cannot convert String to Json in States.StringToJson, caused by: Unexpected end-of-input: expected close marker for Object (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1])\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 7]"
    );
    let e = eval("States.StringToJson($.s)", json!({ "s": "x{" })).unwrap_err();
    assert!(e.cause.ends_with("caused by: Unrecognized token 'x': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]"), "{}", e.cause);
    let e = eval("States.StringToJson($.s)", json!({ "s": 1 })).unwrap_err();
    assert!(e.cause.ends_with(". Invalid arguments in States.StringToJson"), "{}", e.cause);
}

/// Base64Encode, Base64Decode and Hash take "up to 10,000 characters": AWS took 10,000 and
/// refused 10,001, counted as Java counts (UTF-16 units, so an emoji is two).
#[test]
fn text_functions_take_up_to_ten_thousand_characters() {
    for function in ["States.Base64Encode($.s)", "States.Base64Decode($.s)", "States.Hash($.s, 'MD5')"] {
        assert!(eval(function, json!({ "s": "A".repeat(10_000) })).is_ok(), "{function}");
        let e = eval(function, json!({ "s": "A".repeat(10_001) })).unwrap_err();
        assert_eq!(e.error, "States.Runtime", "{function}");
        let e = eval(function, json!({ "s": "😀".repeat(5_001) })).unwrap_err();
        assert!(e.cause.contains("Invalid arguments in States."), "{function}: {}", e.cause);
    }
}

/// Numbers are Java ints: AWS took MathAdd(2147483646, 1) and refused MathAdd(2147483647, 1)
/// and MathAdd(3000000000, 1) (the catalogue's MADD-011, MADD-013, MADD-015); a hostile bound
/// can no longer overflow a range's counter either.
#[test]
fn numbers_are_java_ints() {
    assert_eq!(eval("States.MathAdd(2147483646, 1)", json!({})).unwrap(), json!(2147483647));
    assert_eq!(eval("States.MathAdd(-2147483647, -1)", json!({})).unwrap(), json!(-2147483648_i64));
    for refused in [
        "States.MathAdd(2147483647, 1)",
        "States.MathAdd(3000000000, 1)",
        "States.MathAdd(-2147483648, -1)",
    ] {
        let e = eval(refused, json!({})).unwrap_err();
        assert!(e.cause.ends_with("Invalid arguments in States.MathAdd"), "{refused}: {}", e.cause);
    }
    let v = eval("States.ArrayRange(2147483640, 2147483647, 5)", json!({}));
    assert_eq!(v.unwrap(), json!([2147483640, 2147483645]));
    assert!(
        eval(
            "States.ArrayRange(9000000000000000000, 9100000000000000000, 9000000000000000000)",
            json!({})
        )
        .is_err()
    );
}

/// How many arguments a function takes is checked when it is called, as AWS checks it: the
/// definition holds the call, and the execution fails (see `Parser::call_arguments`).
#[test]
fn arity_is_checked_when_called() {
    assert!(parse("States.Hash('hello', 'SHA-256', 'extra')").is_ok());
    assert!(parse("States.StringToJson()").is_ok());
    let e = eval("States.Hash('hello', 'SHA-256', 'extra')", json!({})).unwrap_err();
    assert_eq!(e.error, "States.Runtime");
    let why = call("States.MathRandom", &[json!(1)], INTRINSIC_BOUNDS).unwrap_err();
    assert_eq!(why.why, "States.MathRandom takes 2 to 3 arguments, got 1");
    assert!(parse("States.Nope(1)").is_err(), "an unknown function is still refused");
}
