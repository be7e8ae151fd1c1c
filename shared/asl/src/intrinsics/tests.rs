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
    // Padding only at the end, and at most two: the fuzzer's `====` once looped without end.
    for bad in ["====", "Zg==Zg==", "Zm9v===="] {
        let e = eval("States.Base64Decode($.e)", json!({ "e": bad })).unwrap_err();
        assert!(e.cause.contains("not valid base64"), "{bad}: {e}");
    }
}

#[test]
fn errors_are_intrinsic_failures() {
    let e = eval("States.Format('{}')", json!({})).unwrap_err();
    assert_eq!(e.error, "States.IntrinsicFailure");
    assert!(eval("States.Nope()", json!({})).is_err());
    assert!(eval("States.Array(1", json!({})).is_err());
}

/// Text that is not JSON fails in Jackson's words, as AWS's reader gives them (the same scan
/// that words a definition that is not JSON), never serde_json's "expected value at line 1".
#[test]
fn string_to_json_names_what_is_not_json_in_jacksons_words() {
    let e = eval("States.StringToJson($.s)", json!({"s": "x{"})).unwrap_err();
    assert_eq!(e.error, "States.IntrinsicFailure");
    assert_eq!(
        e.cause,
        "States.StringToJson: Unrecognized token 'x': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at [Source: (String)\"x{\"; line: 1, column: 2]"
    );
    let e = eval("States.StringToJson($.s)", json!({"s": "{\"a\": 1"})).unwrap_err();
    assert!(!e.cause.contains("line 1 column"), "{}", e.cause);
}
