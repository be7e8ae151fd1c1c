//! AWS's own words and locations for the diagnostics measured against
//! ValidateStateMachineDefinition in floci-io/floci's issues (#2670, #2735, #2745, #2968, #3733); the
//! conformance cases check only the codes.

use serde_json::{Value, json};

use super::validate;

pub(super) fn diagnostics(definition: Value) -> Vec<String> {
    validate(&definition).iter().map(ToString::to_string).collect()
}

pub(super) fn pass(extra: Value, language: &str) -> Value {
    let mut state = json!({"Type": "Pass", "End": true});
    state.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"QueryLanguage": language, "StartAt": "Main", "States": {"Main": state}})
}

pub(super) fn map(extra: Value) -> Value {
    let mut state = json!({"Type": "Map", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true});
    state.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    json!({"StartAt": "M", "States": {"M": state}})
}

#[test]
fn a_field_the_state_does_not_take_is_named_at_the_state() {
    assert_eq!(
        diagnostics(pass(json!({"TimeoutSeconds": 5}), "JSONPath")),
        ["SCHEMA_VALIDATION_FAILED: Field 'TimeoutSeconds' is not supported at /States/Main"]
    );
}

#[test]
fn a_field_of_the_other_query_language_says_which_language_takes_it() {
    assert_eq!(
        diagnostics(pass(json!({"Output": {"a": 1}}), "JSONPath")),
        [
            "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage at /States/Main"
        ]
    );
    let jsonata_map = json!({"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {"Type": "Map", "MaxConcurrencyPath": "$.n", "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}});
    assert_eq!(
        diagnostics(jsonata_map),
        [
            "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'MaxConcurrencyPath' is only supported for the 'JSONPath' QueryLanguage at /States/M"
        ]
    );
}

#[test]
fn a_jsonpath_state_in_a_jsonata_machine_is_refused_at_the_state() {
    assert_eq!(
        diagnostics(pass(json!({"QueryLanguage": "JSONPath"}), "JSONata")),
        ["SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine at /States/Main"]
    );
}

#[test]
fn a_map_s_numbers_are_bounded_and_given_once() {
    assert_eq!(
        diagnostics(map(json!({"MaxConcurrency": -1, "MaxConcurrencyPath": "$$.Execution.Input.n"}))),
        [
            "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [MaxConcurrency, MaxConcurrencyPath] at /States/M",
            "SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/MaxConcurrency",
            "SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/M/MaxConcurrencyPath",
        ]
    );
    assert!(diagnostics(map(json!({"MaxConcurrencyPath": "$maxConcurrency"}))).is_empty());
    assert!(diagnostics(map(json!({"MaxConcurrencyPath": "$config.limits[0]"}))).is_empty());
    // A path to more than one node is no Reference Path (floci-io/floci's
    // ValidateStateMachineDefinition tests, maxConcurrencyPathMustSelectASingleNode).
    assert_eq!(
        diagnostics(map(json!({"MaxConcurrencyPath": "$.limits[*]"}))),
        ["SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/M/MaxConcurrencyPath"]
    );
}

/// An ItemReader's MaxItems as AWS bounds it (floci-io/floci#3733, measured on AWS on
/// 2026-09-16: "Maximum value is 100000000", given once with its path, no context object).
#[test]
fn an_item_reader_s_max_items_are_bounded_and_given_once() {
    let reader = |config: Value| {
        map(json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": config, "Parameters": {"Bucket": "b", "Key": "k"}}}))
    };
    let distributed = |mut machine: Value| {
        machine["States"]["M"]["ItemProcessor"]["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
        machine
    };
    assert!(diagnostics(distributed(reader(json!({"InputType": "JSON", "MaxItems": 100_000_000})))).is_empty());
    assert_eq!(
        diagnostics(distributed(reader(
            json!({"InputType": "JSON", "MaxItems": 100_000_001, "MaxItemsPath": "$$.Execution.Input.n"})
        ))),
        [
            "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [MaxItems, MaxItemsPath] at /States/M/ItemReader/ReaderConfig",
            "SCHEMA_VALIDATION_FAILED: Maximum value is 100000000 at /States/M/ItemReader/ReaderConfig/MaxItems",
            "SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/M/ItemReader/ReaderConfig/MaxItemsPath",
        ]
    );
    assert_eq!(
        diagnostics(distributed(reader(json!({"InputType": "JSON", "MaxItems": -1})))),
        ["SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/ItemReader/ReaderConfig/MaxItems"]
    );
}

#[test]
fn a_map_s_processor_cannot_set_a_query_language() {
    let mut definition = map(json!({}));
    definition["States"]["M"]["ItemProcessor"]["QueryLanguage"] = json!("JSONata");
    assert_eq!(
        diagnostics(definition),
        ["SCHEMA_VALIDATION_FAILED: Field 'QueryLanguage' is not supported at /States/M/ItemProcessor"]
    );
}

/// AWS names the `.$` field and locates the object that holds it (localstack/localstack#6811,
/// quoting AWS's Step Functions Local: "… must be a valid JSONPath or a valid intrinsic function
/// call at /States/…/Parameters"); Baton adds what it found wrong in parentheses.
#[test]
fn a_template_field_holding_no_path_is_named_at_the_object_that_holds_it() {
    let found = diagnostics(pass(
        json!({"Parameters": {"x.$": "foo", "y": {"z.$": "States.Format('a\\nb')"}, "n.$": 5}}),
        "JSONPath",
    ));
    let sentence = |field: &str| format!("The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call (");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[0].starts_with(&format!("SCHEMA_VALIDATION_FAILED: {}", sentence("x.$"))),
        "{found:?}"
    );
    assert!(found[0].ends_with("at /States/Main/Parameters"), "{found:?}");
    assert!(
        found[1].contains(&sentence("z.$")) && found[1].contains("'\\n' is not an escape"),
        "{found:?}"
    );
    assert!(found[1].ends_with("at /States/Main/Parameters/y"), "{found:?}");
    assert!(
        found[2].contains(&sentence("n.$")) && found[2].ends_with("at /States/Main/Parameters"),
        "{found:?}"
    );
}

/// localstack/localstack, tests/aws/services/stepfunctions/v2/test_sfn_api_validation.snapshot.json
/// (2025-10-19): AWS names every missing required field at once, at "/".
#[test]
fn missing_required_fields_are_named_together_at_the_root() {
    assert_eq!(
        diagnostics(json!({})),
        ["SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] at /"]
    );
    assert_eq!(
        diagnostics(json!({"States": {"P": {"Type": "Pass", "End": true}}})),
        ["SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt] at /"]
    );
}

/// A Task's Resource that is no ARN, a deployment's placeholder left unsubstituted among them:
/// "SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/ResolveConfig/Resource"
/// (AWS's answer quoted in two projects' deployment notes, for `${ResolveConfigLambdaArn}` and
/// for `"http"`).
#[test]
fn a_resource_that_is_no_arn_is_refused_where_it_is() {
    let task = |resource: &str| json!({"StartAt": "ResolveConfig", "States": {"ResolveConfig": {"Type": "Task", "Resource": resource, "End": true}}});
    let refusal = ["SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN at /States/ResolveConfig/Resource"];
    assert_eq!(diagnostics(task("${ResolveConfigLambdaArn}")), refusal);
    assert_eq!(diagnostics(task("http")), refusal);
    for arn in [
        "arn:aws:states:::lambda:invoke",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws-us-gov:states:us-gov-west-1:123456789012:activity:a",
    ] {
        assert!(diagnostics(task(arn)).is_empty(), "{arn}");
    }
}

/// A pattern the service does not offer is refused at the Task's Resource, wherever the Task
/// stands (AWS's words for `dynamodb:putItem.waitForTaskToken`, quoted in a deployment log; the
/// table is in `integration_patterns`).
#[test]
fn a_pattern_the_service_does_not_offer_is_refused_where_it_is() {
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Store", "States": {"Store": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem.waitForTaskToken", "End": true}}}]}}});
    assert_eq!(
        diagnostics(definition),
        [
            "SCHEMA_VALIDATION_FAILED: The resource provided arn:aws:states:::dynamodb:putItem.waitForTaskToken is not recognized. \
          The value is not a valid resource ARN, or the resource is not available in this region. at /States/P/Branches/0/States/Store/Resource"
        ]
    );
}

/// State names are unique in the whole machine, nested ones included: "DUPLICATE_STATE_NAME:
/// Duplicate State name: MissingValue at /States/MissingValue" (the shared validator's words, as
/// Step Functions Local refused one), here for a Map's processor reusing a name.
#[test]
fn a_state_name_used_again_in_a_nested_machine_is_a_duplicate() {
    let definition = json!({"StartAt": "Scan", "States": {
        "Scan": {"Type": "Map", "Next": "MissingValue", "ItemProcessor": {"StartAt": "MissingValue", "States": {
            "MissingValue": {"Type": "Pass", "End": true}}}},
        "MissingValue": {"Type": "Pass", "End": true}}});
    assert_eq!(
        diagnostics(definition),
        ["DUPLICATE_STATE_NAME: Duplicate State name: MissingValue at /States/MissingValue"]
    );
}

/// The graph's problems as AWS reports them (floci-io/floci#2735 and #2786, measured with
/// validate-state-machine-definition): no terminal state is one MISSING_END_STATE with no
/// location, standing for the unreachable states too; an unreachable state is a
/// MISSING_TRANSITION_TARGET ending with a period; a transition to no state says `Next`
/// wherever it is, at a bracketed place, before the MISSING_END_STATE it may also cause.
#[test]
fn the_graph_s_problems_are_named_as_aws_names_them() {
    let machine = |states: Value| json!({"StartAt": "A", "States": states});
    let looped = json!({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}});
    let no_end = ["MISSING_END_STATE: Workflow has no terminal state at null"];
    assert_eq!(diagnostics(machine(looped.clone())), no_end);
    let mut stray = looped.clone();
    stray["C"] = json!({"Type": "Pass", "Next": "A"});
    assert_eq!(
        diagnostics(machine(stray)),
        no_end,
        "MISSING_END_STATE stands for the unreachable state"
    );
    let mut unreachable_end = looped;
    unreachable_end["C"] = json!({"Type": "Pass", "End": true});
    assert_eq!(
        diagnostics(machine(unreachable_end)),
        ["MISSING_TRANSITION_TARGET: State \"C\" is not reachable. at /States/C"]
    );
    assert_eq!(
        diagnostics(machine(json!({"A": {"Type": "Pass", "Next": "NOPE"}}))),
        [
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: NOPE at /States/A/Next",
            no_end[0]
        ]
    );
    assert_eq!(
        diagnostics(json!({"StartAt": "aws_own.run_step", "States": {"run_step": {"Type": "Pass", "End": true}}})),
        [
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: aws_own.run_step at /StartAt",
            "MISSING_TRANSITION_TARGET: State \"run_step\" is not reachable. at /States/run_step",
        ],
        "as CreateStateMachine answered serverless-operations/serverless-step-functions#250"
    );
    let dangling = machine(json!({
        "A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "NOPE"}], "Default": "GONE"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "LOST"}]}}));
    assert_eq!(
        diagnostics(dangling),
        [
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: NOPE at /States/A/Choices[0]/Next",
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: GONE at /States/A/Default",
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: LOST at /States/T/Catch[0]/Next",
            "MISSING_TRANSITION_TARGET: State \"T\" is not reachable. at /States/T",
        ]
    );
}

/// A path field that holds no path, in the words CreateStateMachine answered deployments with:
/// "SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at /States/Pass/OutputPath" for an
/// OutputPath of "Test" (aws-cloudformation/cfn-lint#4078) and "SCHEMA_VALIDATION_FAILED: Value
/// is not a Reference Path: Reference path didn't start with '$'" for a Choice Variable of
/// "Test" (cfn-lint#4076; the same answer to a Terraform apply whose Variable was an intrinsic
/// call). A ResultPath that names more than one node is no Reference Path either.
#[test]
fn a_path_field_holding_no_path_is_refused_in_aws_s_words() {
    assert_eq!(
        diagnostics(pass(json!({"OutputPath": "Test"}), "JSONPath")),
        ["SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at /States/Main/OutputPath"]
    );
    assert_eq!(
        diagnostics(pass(json!({"InputPath": "$.a["}), "JSONPath")),
        ["SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at /States/Main/InputPath"]
    );
    let choice = |rule: Value| {
        json!({"StartAt": "Choice", "States": {
            "Choice": {"Type": "Choice", "Choices": [rule], "Default": "Success"},
            "Success": {"Type": "Succeed"}}})
    };
    let not_a_reference = "Value is not a Reference Path: Reference path didn't start with '$'";
    assert_eq!(
        diagnostics(choice(json!({"Variable": "Test", "StringMatches": "Test", "Next": "Success"}))),
        [format!(
            "SCHEMA_VALIDATION_FAILED: {not_a_reference} at /States/Choice/Choices/0/Variable"
        )]
    );
    assert_eq!(
        diagnostics(choice(
            json!({"Variable": "States.ArrayLength($.Arns)", "NumericEquals": 0, "Next": "Success"})
        )),
        [format!(
            "SCHEMA_VALIDATION_FAILED: {not_a_reference} at /States/Choice/Choices/0/Variable"
        )]
    );
    assert_eq!(
        diagnostics(pass(json!({"ResultPath": "result"}), "JSONPath")),
        [format!("SCHEMA_VALIDATION_FAILED: {not_a_reference} at /States/Main/ResultPath")]
    );
    assert_eq!(
        diagnostics(pass(json!({"ResultPath": "$.a[*]"}), "JSONPath")),
        ["SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/Main/ResultPath"]
    );
    // Paths AWS runs stay accepted: a wildcard in a Variable, the context object in InputPath.
    assert!(diagnostics(choice(json!({"Variable": "$.a[*].b", "IsPresent": true, "Next": "Success"}))).is_empty());
    assert!(diagnostics(pass(json!({"InputPath": "$$.Execution.Id"}), "JSONPath")).is_empty());
}

/// AWS's refusal of a long state name, quoted from CreateStateMachine in
/// ChristopheBougere/asl-validator#69 and aws-cloudformation/cfn-lint#4079: its own code, the name
/// quoted, at the state.
#[test]
fn a_state_name_over_80_characters_is_an_invalid_state_name() {
    let long = format!("P{}", "s".repeat(80));
    let definition = json!({"StartAt": long, "States": {long.clone(): {"Type": "Pass", "End": true}}});
    assert_eq!(
        diagnostics(definition),
        [format!(
            "INVALID_STATE_NAME: Invalid State name: State '{long}' exceeds the 80-character limit allowed by the service at /States/{long}"
        )]
    );
    let eighty = "s".repeat(80);
    assert!(diagnostics(json!({"StartAt": eighty, "States": {eighty.clone(): {"Type": "Pass", "End": true}}})).is_empty());
}

/// A value written in an integration's Parameters that the integration does not take is refused
/// at creation, at the Parameters (AWS's "The value for the field 'Size' must be an INTEGER at
/// /States/task-step-1/Parameters", aws/aws-cdk#12284); `lambda:invoke`'s Payload is a string.
#[test]
fn an_integration_field_of_the_wrong_type_is_refused_at_the_parameters() {
    let task = |payload: Value| {
        json!({"StartAt": "Invoke", "States": {"Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload": payload}, "End": true}}})
    };
    assert_eq!(
        diagnostics(task(json!(1))),
        ["SCHEMA_VALIDATION_FAILED: The value for the field 'Payload' must be a STRING at /States/Invoke/Parameters"]
    );
    assert!(diagnostics(task(json!({"n": 1}))).is_empty());
}

/// A catcher's Assign is checked as a state's is: its expressions parse, read `$states` as the
/// catcher sees it (the error output, no result) and name valid variables; in JSONPath its
/// `.$` values are paths or intrinsic calls.
#[test]
fn a_catcher_s_assign_is_checked_as_a_state_s_is() {
    let machine = |language: &str, assign: Value| {
        json!({"QueryLanguage": language, "StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done", "Assign": assign}]},
            "Done": {"Type": "Succeed"}}})
    };
    assert!(diagnostics(machine("JSONata", json!({"e": "{% $states.errorOutput.Error %}"}))).is_empty());
    assert!(diagnostics(machine("JSONPath", json!({"e.$": "$.Cause"}))).is_empty());
    let at = " at /States/T/Catch/0/Assign";
    for (assign, refused) in [
        (
            json!({"e": "{% $states.result %}"}),
            format!("UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.result' does not exist.{at}/e"),
        ),
        (
            json!({"e": "{% 1 + %}"}),
            format!("INVALID_JSONATA_EXPRESSION: Unexpected end of expression{at}/e"),
        ),
        (
            json!({"e": "{% phone %}"}),
            format!("UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level is not supported.{at}/e"),
        ),
    ] {
        assert_eq!(diagnostics(machine("JSONata", assign)), [refused]);
    }
    let named = diagnostics(machine("JSONata", json!({"1bad": 1})));
    assert!(
        named.len() == 1 && named[0].contains("\"1bad\" is not a valid variable name"),
        "{named:?}"
    );
    let path = diagnostics(machine("JSONPath", json!({"e.$": "nope"})));
    assert!(path.len() == 1 && path[0].ends_with(at), "{path:?}");
}

/// ReaderConfig fields that do not go together are refused in AWS's words (see
/// `reader_config.rs`), and the combinations the developer guide shows are taken.
#[test]
fn an_item_reader_s_config_fields_go_together_as_aws_takes_them() {
    let check = |config: Value| {
        let mut machine = map(json!({"ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": config, "Parameters": {"Bucket": "b", "Key": "k"}}}));
        machine["States"]["M"]["ItemProcessor"]["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
        diagnostics(machine)
    };
    for taken in [
        json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}),
        json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id"]}),
        json!({"InputType": "JSON", "ItemsPointer": "/data/items"}),
        json!({"ManifestType": "S3_INVENTORY"}),
        json!({"ManifestType": "ATHENA_DATA", "InputType": "PARQUET"}),
        json!({"Transformation": "LOAD_AND_FLATTEN", "InputType": "JSONL"}),
    ] {
        assert!(check(taken.clone()).is_empty(), "{taken}");
    }
    let at = " at /States/M/ItemReader/ReaderConfig";
    for (refused, why) in [
        (
            json!({"ManifestType": "S3_INVENTORY", "InputType": "CSV"}),
            "The field 'CSVHeaderLocation' is required",
        ),
        (json!({"Transformation": "LOAD_AND_FLATTEN"}), "The field 'InputType' is required"),
        (
            json!({"InputType": "CSV", "ItemsPointer": "/data/items"}),
            "The field 'CSVHeaderLocation' is required",
        ),
        (
            json!({"InputType": "JSON", "ItemsPointer": "data/items"}),
            "Invalid input: JSON Pointer expression must start with '/': \"data/items\"",
        ),
        (
            json!({"InputType": "JSON", "CSVHeaderLocation": "FIRST_ROW"}),
            "Field 'CSVHeaderLocation' is not supported",
        ),
        (
            json!({"ManifestType": "ATHENA_DATA", "InputType": "JSON"}),
            "Field 'ManifestType' is not supported",
        ),
        (
            json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN"}),
            "These fields are required: [CSVHeaders]",
        ),
    ] {
        assert_eq!(
            check(refused.clone()),
            [format!("SCHEMA_VALIDATION_FAILED: {why}{at}")],
            "{refused}"
        );
    }
    assert_eq!(
        check(json!({"InputType": "JSONL", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id"]})),
        [
            format!("SCHEMA_VALIDATION_FAILED: Field 'CSVHeaderLocation' is not supported{at}"),
            format!("SCHEMA_VALIDATION_FAILED: Field 'CSVHeaders' is not supported{at}"),
        ]
    );
}

/// An inner scope may not assign a name a scope around it assigns, however deep it is nested,
/// while sibling branches may each assign one, and a distributed Map's child workflow, which
/// reads no outer variable, may assign any (`scopes`).
#[test]
fn an_inner_scope_cannot_assign_a_name_a_scope_around_it_assigns() {
    let assigning = |state: &str, name: &str| json!({"StartAt": state, "States": {state: {"Type": "Pass", "Assign": {format!("{name}.$"): "$"}, "End": true}}});
    let deep = json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "Assign": {"x": 1}, "End": true,
        "ItemProcessor": {"StartAt": "N", "States": {"N": {"Type": "Map", "End": true, "ItemProcessor": assigning("I", "x")}}}
    }}});
    assert_eq!(
        diagnostics(deep),
        [
            "SCHEMA_VALIDATION_FAILED: The variable name 'x' was already defined in a parent scope. at /States/M/ItemProcessor/States/N/ItemProcessor/States/I/Assign/x.$"
        ]
    );
    let siblings = json!({"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": true, "Branches": [assigning("A", "y"), assigning("B", "y")]
    }}});
    assert_eq!(diagnostics(siblings), Vec::<String>::new());
    let distributed = json!({"StartAt": "S", "States": {
        "S": {"Type": "Pass", "Assign": {"z": 1}, "Next": "D"},
        "D": {"Type": "Map", "End": true, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "C", "States": {"C": {"Type": "Pass", "Assign": {"z": 2}, "End": true}}
        }}
    }});
    assert_eq!(diagnostics(distributed), Vec::<String>::new());
}

/// ValidateStateMachineDefinition's answers recorded in gabrielmoreira/tiny-asl-machine,
/// tests/conformance/cases/.snapshots/aws/Validation.BasicStructure-001 to -005 (the messages,
/// joined in AWS's order; the codes and places are Baton's).
#[test]
fn a_state_s_type_and_transition_and_an_empty_machine_are_named_as_aws_names_them() {
    let messages = |definition: Value| -> Vec<String> { validate(&definition).iter().map(|d| d.message.clone()).collect() };
    assert_eq!(
        messages(json!({"StartAt": "First", "States": {"First": {"End": true}}})),
        ["The field 'Type' is required", "Workflow has no terminal state"]
    );
    assert_eq!(
        messages(json!({"StartAt": "First", "States": {"First": {"Type": "UnknownStateType", "End": true}}})),
        ["The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]"]
    );
    assert_eq!(
        messages(json!({"StartAt": "First", "States": {"First": {"Type": "Pass"}}})),
        [
            "This object should have only one of the following fields: [Next, End]",
            "Workflow has no terminal state"
        ]
    );
    assert_eq!(
        messages(json!({"StartAt": "First", "States": {}})),
        [
            "Value cannot be empty",
            "Missing 'Next' target: First",
            "Workflow has no terminal state"
        ]
    );
}

/// ValidateStateMachineDefinition's one sentence for States.ALL beside other names or before
/// the last retrier or catcher (gabrielmoreira/tiny-asl-machine, tests/conformance/cases/
/// .snapshots/aws/Validation.Structure-004 to -007).
#[test]
fn states_all_alone_and_last_is_one_sentence() {
    let task = |field: &str, entries: Value| {
        json!({"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sts:getCallerIdentity", field: entries, "End": true},
            "R": {"Type": "Pass", "End": true}}})
    };
    let sentence = "States.ALL must appear alone and at end of list";
    for field in ["Retry", "Catch"] {
        let with_next = |errors: Value| {
            if field == "Catch" {
                json!({"ErrorEquals": errors, "Next": "R"})
            } else {
                json!({"ErrorEquals": errors})
            }
        };
        for entries in [
            json!([with_next(json!(["States.ALL", "CustomError"]))]),
            json!([with_next(json!(["States.ALL"])), with_next(json!(["CustomError"]))]),
        ] {
            let found = diagnostics(task(field, entries));
            assert_eq!(found.iter().filter(|d| d.contains(sentence)).count(), 1, "{field}: {found:?}");
        }
    }
}

/// ValidateStateMachineDefinition's answers for a Choice rule with no operator or two, and for
/// empty Choices and Or (gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/
/// aws/Feature.ChoiceValidation-002, -003, -005, -006).
#[test]
fn a_choice_rule_s_operators_and_empty_lists_are_named_as_aws_names_them() {
    let choice = |choices: Value| {
        json!({"StartAt": "D", "States": {
            "D": {"Type": "Choice", "Choices": choices, "Default": "F"},
            "M": {"Type": "Pass", "End": true},
            "F": {"Type": "Pass", "End": true}}})
    };
    let messages = |definition: Value| -> Vec<String> {
        validate(&definition)
            .iter()
            .map(|d| d.message.clone())
            .filter(|m| !m.ends_with("is not reachable."))
            .collect()
    };
    let none = &messages(choice(json!([{"Variable": "$.s", "Next": "M"}])))[0];
    assert!(
        none.starts_with("This object should have only one of the following fields: [StringEquals, IsBoolean, "),
        "{none}"
    );
    let two = &messages(choice(
        json!([{"Variable": "$.v", "StringEquals": "1", "NumericGreaterThan": 0, "Next": "M"}]),
    ))[0];
    assert!(
        two.starts_with("There should only be one of the following fields: [StringEquals, IsBoolean, "),
        "{two}"
    );
    assert!(two.ends_with(", NumericGreaterThanEqualsPath]"), "{two}");
    assert_eq!(messages(choice(json!([]))), ["Value cannot be empty"]);
    assert_eq!(
        messages(choice(json!([{"Not": {"Or": []}, "Next": "M"}]))),
        ["Value cannot be empty"]
    );
}
