//! A Distributed Map's ItemReader and ResultWriter: the shapes the developer guide requires, and
//! the calls they make checked as a Task's.

use serde_json::{Value, json};

use super::tests::{diagnostics, map};

/// A ResultWriter holds one of the guide's "Required field combinations" (ResultWriter (Map)):
/// a WriterConfig, a Resource with its Parameters, or all three; an empty one is refused.
#[test]
fn a_result_writer_holds_one_of_the_combinations_the_guide_requires() {
    let check = |writer: Value| {
        let mut machine = map(json!({"ResultWriter": writer}));
        machine["States"]["M"]["ItemProcessor"]["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
        diagnostics(machine)
    };
    let put = json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}});
    for taken in [
        json!({"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}}),
        put.clone(),
        json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}, "WriterConfig": {"OutputType": "JSONL"}}),
    ] {
        assert!(check(taken.clone()).is_empty(), "{taken}");
    }
    for refused in [json!({}), json!({"Resource": "arn:aws:states:::s3:putObject"})] {
        assert_eq!(
            check(refused.clone()),
            [
                "SCHEMA_VALIDATION_FAILED: A ResultWriter holds a WriterConfig, or a Resource with its Parameters (Arguments in JSONata), or all three at /States/M/ResultWriter"
            ],
            "{refused}"
        );
    }
}

/// The calls a Distributed Map's ItemReader and ResultWriter make are checked as a Task's are:
/// each `.$` field a path or an intrinsic function, each JSONata expression one that parses and
/// reads what the Map state's input offers (its result is not there yet).
#[test]
fn a_distributed_map_s_reader_and_writer_calls_are_checked_as_a_task_s() {
    let check = |jsonata: bool, field: &str, call: Value| {
        let mut machine = map(json!({field: call}));
        machine["States"]["M"]["ItemProcessor"]["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
        if jsonata {
            machine["QueryLanguage"] = json!("JSONata");
        }
        diagnostics(machine)
    };
    let reader = |arguments: &str, bucket: &str| {
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
            arguments: {"Bucket": bucket, "Key": "k"}})
    };
    let writer = |arguments: &str, bucket: &str| json!({"Resource": "arn:aws:states:::s3:putObject", arguments: {"Bucket": bucket}});
    assert_eq!(
        check(
            false,
            "ResultWriter",
            json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket.$": "$.a["}})
        ),
        [
            "SCHEMA_VALIDATION_FAILED: The value for the field 'Bucket.$' must be a valid JSONPath or a valid intrinsic function call (Value is not a valid JSON path: \"$.a[\") at /States/M/ResultWriter/Parameters"
        ]
    );
    assert_eq!(
        check(true, "ItemReader", reader("Arguments", "{% $states.result %}")),
        ["UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.result' does not exist. at /States/M/ItemReader/Arguments/Bucket"]
    );
    assert_eq!(
        check(true, "ResultWriter", writer("Arguments", "{% 1 + %}")),
        ["INVALID_JSONATA_EXPRESSION: Unexpected end of expression at /States/M/ResultWriter/Arguments/Bucket"]
    );
    assert!(
        check(
            false,
            "ItemReader",
            json!({"Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket.$": "$.b", "Key.$": "States.Format('{}.json', $.k)"}})
        )
        .is_empty()
    );
    assert!(check(true, "ItemReader", reader("Arguments", "{% $states.input.b %}")).is_empty());
    assert!(check(true, "ResultWriter", writer("Arguments", "{% $states.input.b %}")).is_empty());
}
