//! AWS's words and locations for what a JSONata expression in a definition may be and read:
//! an expression that does not parse, one written in a later JSONata than Step Functions
//! runs, a name read from the top-level context, `$states` fields the state does not have.

use serde_json::{Value, json};

use super::tests::{diagnostics, pass};

/// What validating a JSONata Pass state whose `Output` is `expression` reports.
fn output_refused(expression: &str) -> Vec<String> {
    diagnostics(pass(json!({"Output": format!("{{% {expression} %}}")}), "JSONata"))
}

/// AWS's words for the shapes floci-io/floci#2745 recorded (2026-08-29): jsonata-js's parser
/// messages without their codes, each token written as JSON.
#[test]
fn a_jsonata_expression_that_does_not_parse_gives_the_parser_s_words_without_its_code() {
    for (expression, words) in [
        ("1 +", "Unexpected end of expression"),
        ("a[1,2)", "Expected \"]\", got \",\""),
        ("\"unterminated", "String literal must be terminated by a matching quote"),
        ("{\"a\":}", "The symbol \"}\" cannot be used as a unary operator"),
        ("$x :=", "Unexpected end of expression"),
    ] {
        assert_eq!(
            output_refused(expression),
            [format!("INVALID_JSONATA_EXPRESSION: {words} at /States/Main/Output")],
            "{expression}"
        );
    }
}

/// Step Functions runs JSONata 2.0.6 (developer guide, Transforming data with JSONata), which
/// has neither of 2.1's `??` and `?:`: jsonata-js 2.0.6's words for them, run there.
#[test]
fn jsonata_2_1_s_operators_are_refused_as_jsonata_2_0_6_refuses_them() {
    for (expression, symbol) in [
        ("$states.input.region ?? 'us-east-1'", "?"),
        ("$states.input.name ?: 'anonymous'", ":"),
    ] {
        assert_eq!(
            output_refused(expression),
            [format!(
                "INVALID_JSONATA_EXPRESSION: The symbol \"{symbol}\" cannot be used as a unary operator at /States/Main/Output"
            )],
            "{expression}"
        );
    }
}

/// jsonata-js 2.0.6 reads `..` only as an item of an array constructor, so a slice written as
/// other languages write one stops the filter around it, and only `i` and `m` after a regular
/// expression, so JavaScript's `g` stops the call around it. Its words, run there.
#[test]
fn a_range_or_a_flag_jsonata_2_0_6_does_not_read_is_refused_in_its_words() {
    for (expression, words) in [
        ("$states.input.items[0..2]", "Expected \"]\", got \"..\""),
        ("$count(1..3)", "Expected \")\", got \"..\""),
        ("1..3", "Syntax error: \"..\""),
        ("$replace($states.input.name, /-/g, '_')", "Expected \")\", got \"g\""),
    ] {
        assert_eq!(
            output_refused(expression),
            [format!("INVALID_JSONATA_EXPRESSION: {words} at /States/Main/Output")],
            "{expression}"
        );
    }
    assert!(output_refused("$states.input.items[[0..2]]").is_empty());
}

#[test]
fn a_jsonata_name_read_from_the_top_level_context_is_named() {
    assert_eq!(
        diagnostics(pass(json!({"Output": {"v": "{% phone %}"}}), "JSONata")),
        ["UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported. at /States/Main/Output/v"]
    );
}

/// `$states.errorOutput` is a catcher's (ASL spec, JSONata: "can be referenced in a Catcher's
/// Output and Assign fields"); AWS refuses it in a Task's Arguments with
/// "UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.errorOutput' does not exist." (a Terraform
/// apply quoted in anomalyco/sst#6110).
#[test]
fn the_error_output_is_read_in_a_catcher_only() {
    let task = |extra: Value| {
        let mut state = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done", "Output": "{% $states.errorOutput.Cause %}"}]});
        state.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": state, "Done": {"Type": "Succeed"}}})
    };
    assert!(diagnostics(task(json!({"Arguments": {"FunctionName": "f"}}))).is_empty());
    assert_eq!(
        diagnostics(task(
            json!({"Arguments": {"FunctionName": "f", "Payload": {"errorMsg": "{% $states.errorOutput %}"}}})
        )),
        ["UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.errorOutput' does not exist. at /States/T/Arguments/Payload/errorMsg"]
    );
}

/// `$states.result` is a Task, Map or Parallel state's, read in its own top-level Output and
/// Assign (ASL spec, JSONata); anywhere else `$states` has no such field (see `StatesView`).
#[test]
fn the_result_is_read_in_its_own_state_s_output_and_assign_only() {
    let machine = |state: Value| {
        let mut m = json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": state}});
        if m.to_string().contains("\"Done\"") {
            m["States"]["Done"] = json!({"Type": "Succeed"});
        }
        m
    };
    let branch = json!({"StartAt": "B", "States": {"B": {"Type": "Succeed"}}});
    let read = "{% $states.result %}";
    for taken in [
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Output": read, "Assign": {"r": read}, "End": true}),
        json!({"Type": "Parallel", "Branches": [branch], "Output": read, "Assign": {"r": read}, "End": true}),
        json!({"Type": "Map", "ItemProcessor": branch, "Output": read, "Assign": {"r": read}, "End": true}),
    ] {
        assert!(diagnostics(machine(taken.clone())).is_empty(), "{taken}");
    }
    let refused = |state: Value, at: &str| {
        assert_eq!(
            diagnostics(machine(state)),
            [format!(
                "UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.result' does not exist. at /States/S/{at}"
            )]
        );
    };
    refused(json!({"Type": "Pass", "Output": read, "End": true}), "Output");
    refused(json!({"Type": "Pass", "Assign": {"r": read}, "End": true}), "Assign/r");
    refused(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"p": read}, "End": true}),
        "Arguments/p",
    );
    refused(
        json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done", "Output": read}]}),
        "Catch/0/Output",
    );
    refused(
        json!({"Type": "Map", "ItemProcessor": branch, "ItemSelector": {"i": read}, "End": true}),
        "ItemSelector/i",
    );
    refused(
        json!({"Type": "Choice", "Default": "Done", "Choices": [{"Condition": "{% true %}", "Next": "Done", "Output": read}]}),
        "Choices/0/Output",
    );
}
