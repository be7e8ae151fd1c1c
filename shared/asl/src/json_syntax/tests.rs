//! The scan's answers, each the words Jackson gives the same fault.

use super::{first_error, first_error_at_run_time};

fn message(text: &str) -> String {
    first_error(text).map(|e| e.message).unwrap_or_default()
}

/// The one fault AWS's words are recorded for (test_sfn_api_validation.snapshot.json).
#[test]
fn a_bare_word_is_an_unrecognized_token_as_aws_recorded() {
    let e = first_error("not a definition").unwrap();
    assert_eq!(
        e.message,
        "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
    );
    assert_eq!(e.location, "[Source: (String)\"not a definition\"; line: 1, column: 4]");
    assert_eq!((e.line, e.column), (1, 1));
}

/// AWS's StartExecution answer for an input with a stray quote, quoted in a developer's
/// notes: "Invalid State Machine Execution Input: 'com.fasterxml.jackson.core.
/// JsonParseException: Unexpected character ('\"' (code 34)): was expecting comma to separate
/// Object entries at [Source: (String)\"…\"; line: 1, column: 58]'".
#[test]
fn a_stray_quote_is_placed_where_aws_placed_it() {
    let text = r#"{"courseId": "6225", "department": "CSYE", "boardId": """, "size": "0"}"#;
    let e = first_error(text).unwrap();
    assert_eq!(
        e.message,
        "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries"
    );
    assert_eq!(e.location, format!("[Source: (String)\"{text}\"; line: 1, column: 58]"));
}

#[test]
fn json_has_no_fault() {
    assert_eq!(first_error(r#" {"a": [1, -2.5e3, true, null, "x\n\u00e9"], "b": {}} "#), None);
    assert_eq!(first_error("   "), None);
}

#[test]
fn each_fault_in_jacksons_words() {
    for (text, expected) in [
        (
            r#"{"a":1,}"#,
            "Unexpected character ('}' (code 125)): was expecting double-quote to start field name",
        ),
        (
            r#"{a:1}"#,
            "Unexpected character ('a' (code 97)): was expecting double-quote to start field name",
        ),
        (
            r#"{"a" 1}"#,
            "Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value",
        ),
        (
            r#"{"a":1 "b":2}"#,
            "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries",
        ),
        (
            r#"[1 2]"#,
            "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries",
        ),
        (r#"[1,]"#, "Unexpected character (']' (code 93)): expected a value"),
        (r#"{"a":}"#, "Unexpected character ('}' (code 125)): expected a value"),
        (
            r#"{"a":#}"#,
            "Unexpected character ('#' (code 35)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        ),
        (
            r#"{"a":tru}"#,
            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        ),
        (
            r#"{"a":nulls}"#,
            "Unrecognized token 'nulls': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
        ),
        (r#"{"a":01}"#, "Invalid numeric value: Leading zeroes not allowed"),
        (
            r#"{"a":-x}"#,
            "Unexpected character ('x' (code 120)) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
        ),
        (
            r#"{"a":1.}"#,
            "Unexpected character ('}' (code 125)) in numeric value: Decimal point not followed by a digit",
        ),
        (r#"{"a":"\q"}"#, "Unrecognized character escape 'q' (code 113)"),
        (
            "{\"a\":\"x\ny\"}",
            "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value",
        ),
        (
            r#"{"a":"x"#,
            "Unexpected end-of-input: was expecting closing quote for a string value",
        ),
        (r#"{"a"#, "Unexpected end-of-input in field name"),
        (r#"{"a":"#, "Unexpected end-of-input within/between Object entries"),
        (
            "// c\n{}",
            "Unexpected character ('/' (code 47)): maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
        ),
        (
            "{}\u{7}",
            "Illegal character ((CTRL-CHAR, code 7)): only regular white space (\\r, \\n, \\t) is allowed between tokens",
        ),
    ] {
        assert_eq!(message(text), expected, "{text}");
    }
}

#[test]
fn an_unclosed_or_mismatched_bracket_names_where_it_opened() {
    assert_eq!(
        message("{\n  \"a\": [1"),
        "Unexpected end-of-input: expected close marker for Array (start marker at [Source: (String)\"{\n  \"a\": [1\"; line: 2, column: 8])"
    );
    assert_eq!(
        message(r#"{"a":1]"#),
        "Unexpected close marker ']': expected '}' (for Object starting at [Source: (String)\"{\"a\":1]\"; line: 1, column: 0])"
    );
}

#[test]
fn positions_count_lines_and_point_at_the_fault() {
    let e = first_error("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap();
    assert_eq!((e.line, e.column), (3, 7));
    assert!(e.location.ends_with("; line: 3, column: 8]"), "{}", e.location);
}

#[test]
fn the_quoted_content_is_cut_at_500_characters() {
    let text = format!("{{\"a\": {}x", "1,".repeat(300));
    let e = first_error(&text).unwrap();
    assert!(
        e.location.starts_with(&format!("[Source: (String)\"{}", &text[..500])),
        "{}",
        e.location
    );
    assert!(
        e.location.contains(&format!("\"[truncated {} chars]; line: 1", text.len() - 500)),
        "{}",
        e.location
    );
}

/// The scan refuses nesting where serde_json does, at the bracket that goes past, before a
/// fault deeper in: a hostile file cannot make it recurse.
#[test]
fn json_nested_past_the_readers_limit_is_refused_at_the_bracket() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(serde_json::from_str::<serde_json::Value>(&nested(127)).is_ok());
    assert_eq!(first_error(&nested(127)), None);
    let text = format!("{}1,]", "[".repeat(100_000));
    let e = serde_json::from_str::<serde_json::Value>(&text).unwrap_err();
    let crate::error::DefinitionError::Json { message, column, .. } = super::not_json(&text, &e) else {
        panic!("not a JSON error");
    };
    assert_eq!(message, "Objects and arrays nested more than 127 deep are not supported");
    assert_eq!(column, 128);
}

/// serde_json cannot hold a number past a double's range; the scan says so at the number, where
/// the fallbacks said "Unexpected content" (a definition) and "nested too deeply" (an input).
#[test]
fn a_number_past_a_doubles_range_is_refused_at_the_number() {
    for (text, column) in [(r#"{"a": 1E400}"#, 7), (r#"[1, -2e308]"#, 5)] {
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err());
        let e = first_error(text).unwrap();
        assert!(e.message.starts_with("Numeric value ("), "{}", e.message);
        assert!(
            e.message
                .contains(") out of range of double (-1.7976931348623157E308 - 1.7976931348623157E308)"),
            "{}",
            e.message
        );
        assert_eq!((e.line, e.column), (1, column), "{text}");
    }
    assert_eq!(first_error(r#"[1e308, 1e-400, 123456789012345678901234567890]"#), None);
}

/// The run time's reader (States.StringToJson's) words the same faults, the text kept out, a
/// fault in one character at that character and a start marker at its bracket's column, as
/// recorded on AWS (see `first_error_at_run_time`); the definition's reader is unchanged.
#[test]
fn the_run_time_reader_places_faults_as_aws_recorded() {
    let redacted = |line: usize, column: usize| {
        format!("[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {column}]")
    };
    let e = first_error_at_run_time("{bad json}").unwrap();
    assert_eq!(
        e.message,
        "Unexpected character ('b' (code 98)): was expecting double-quote to start field name"
    );
    assert_eq!(e.location, redacted(1, 2));
    assert_eq!(
        first_error("{bad json}").unwrap().location,
        "[Source: (String)\"{bad json}\"; line: 1, column: 3]"
    );
    let e = first_error_at_run_time("{\"a\":1").unwrap();
    assert_eq!(
        e.message,
        format!(
            "Unexpected end-of-input: expected close marker for Object (start marker at {})",
            redacted(1, 1)
        )
    );
    assert_eq!(e.location, redacted(1, 7));
    assert_eq!(first_error_at_run_time("undefined").unwrap().location, redacted(1, 10));
}
