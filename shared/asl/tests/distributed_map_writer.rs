//! A Distributed Map's ResultWriter transforms the children's results and writes them through
//! the interpreter's objects (developer guide, ResultWriter (Map)).

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod held_objects;

use std::sync::Arc;

use baton_asl::{ExecutionOutcome, ExecutionStatus, NullSink, StateMachine};
use held_objects::{Held, execute, held};
use serde_json::{Value, json};

/// A Distributed Map labelled `Orders` over `$.items`, one failure tolerated, whose children
/// pass their item on, but fail on `"bad"`; its results written as `writer` says.
async fn write(writer: Value, input: Value, objects: Option<Arc<Held>>) -> ExecutionOutcome {
    let definition = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Label": "Orders", "ItemsPath": "$.items", "ToleratedFailureCount": 1, "ResultWriter": writer, "End": true,
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "C", "States": {
                  "C": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "F"}], "Default": "P"},
                  "F": {"Type": "Fail", "Error": "Bad", "Cause": "bad item"},
                  "P": {"Type": "Pass", "End": true}}}}}});
    let machine = StateMachine::from_json(&definition.to_string()).unwrap();
    execute(&machine, input, objects, Arc::new(NullSink)).await
}

fn orders() -> Value {
    json!({"items": [[1, 2], [3], "bad", 4], "prefix": "jobs"})
}

/// The members of a child's record, in the order the guide's Transformation NONE example gives
/// a succeeded one.
const SUCCEEDED_RECORD: [&str; 13] = [
    "ExecutionArn",
    "Input",
    "InputDetails",
    "Name",
    "Output",
    "OutputDetails",
    "RedriveCount",
    "RedriveStatus",
    "RedriveStatusReason",
    "StartDate",
    "StateMachineArn",
    "Status",
    "StopDate",
];

fn members(record: &Value) -> Vec<String> {
    record.as_object().unwrap().keys().cloned().collect()
}

/// A failed child's record: its execution's ARN under the Map Run's state machine, its input
/// and its error, whatever the transformation (developer guide, ResultWriter (Map), the Note
/// under WriterConfig).
fn assert_failed_record(record: &Value) {
    let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m/Orders";
    assert_eq!(record["StateMachineArn"], machine, "{record}");
    let arn = record["ExecutionArn"].as_str().unwrap();
    assert_eq!(
        arn,
        format!(
            "arn:aws:states:us-east-1:123456789012:execution:m/Orders:{}",
            record["Name"].as_str().unwrap()
        )
    );
    assert_eq!(
        (&record["Status"], &record["Error"], &record["Cause"], &record["Input"]),
        (&json!("FAILED"), &json!("Bad"), &json!("bad item"), &json!("\"bad\"")),
    );
    assert_eq!(members(record), {
        let mut names = members(record);
        names.sort();
        names
    });
}

/// WriterConfig alone shapes the state's output (developer guide, ResultWriter (Map), its
/// Transformation examples): COMPACT each child's output, FLATTEN an array's items in its place,
/// NONE each child's execution record; a failed child gives its record in its place.
#[tokio::test(start_paused = true)]
async fn writer_config_shapes_the_children_s_results() {
    let shaped = |transformation: &str| {
        let writer = json!({"WriterConfig": {"Transformation": transformation, "OutputType": "JSON"}});
        async move {
            let outcome = write(writer, orders(), None).await;
            assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
            outcome.output.unwrap()
        }
    };
    let compact = shaped("COMPACT").await;
    assert_eq!(compact.as_array().map(Vec::len), Some(4), "{compact}");
    assert_eq!((&compact[0], &compact[1], &compact[3]), (&json!([1, 2]), &json!([3]), &json!(4)));
    assert_failed_record(&compact[2]);

    let flat = shaped("FLATTEN").await;
    assert_eq!(flat.as_array().map(Vec::len), Some(5), "{flat}");
    assert_eq!(flat.as_array().unwrap()[..3], [json!(1), json!(2), json!(3)]);
    assert_eq!(flat[4], 4);
    assert_failed_record(&flat[3]);

    let none = shaped("NONE").await;
    let first = &none[0];
    assert_eq!(members(first), SUCCEEDED_RECORD);
    assert_eq!(
        (&first["Status"], &first["Input"], &first["Output"], &first["RedriveStatus"]),
        (&json!("SUCCEEDED"), &json!("[1,2]"), &json!("[1,2]"), &json!("NOT_REDRIVABLE"))
    );
    assert_eq!(first["RedriveStatusReason"], "Execution is SUCCEEDED and cannot be redriven");
    assert_eq!(first["InputDetails"], json!({"Included": true}));
    assert_failed_record(&none[2]);
}

/// A child's record names the execution its own context object named: the child is an
/// execution of its own (developer guide, Using Map state in Distributed mode), its `$$.Execution`
/// the one DescribeExecution, and so the guide's Transformation NONE record, gives.
#[tokio::test(start_paused = true)]
async fn a_child_s_record_names_the_execution_its_context_named() {
    let definition = json!({"StartAt": "M", "States": {
        "M": {"Type": "Map", "Label": "Orders", "ResultWriter": {"WriterConfig": {"Transformation": "NONE"}}, "End": true,
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P", "States": {
                  "P": {"Type": "Pass", "End": true, "Parameters": {
                      "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "start.$": "$$.Execution.StartTime",
                      "input.$": "$$.Execution.Input", "machine.$": "$$.StateMachine.Id"}}}}}}});
    let machine = StateMachine::from_json(&definition.to_string()).unwrap();
    let outcome = execute(&machine, json!([{"order": 1}, {"order": 2}]), None, Arc::new(NullSink)).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    let records = outcome.output.unwrap();
    let mut ids = Vec::new();
    for (i, record) in records.as_array().unwrap().iter().enumerate() {
        let context: Value = serde_json::from_str(record["Output"].as_str().unwrap()).unwrap();
        assert_eq!(
            context,
            json!({"id": record["ExecutionArn"], "name": record["Name"], "start": record["StartDate"],
                   "input": {"order": i + 1}, "machine": record["StateMachineArn"]}),
            "{record}"
        );
        ids.push(context["id"].clone());
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "each child is an execution of its own");
}

/// Exported, the results are written under `PREFIX/RUN-ID/` — each status's in its own file,
/// every child's record by default, and a manifest of them as AWS writes one — and the state's
/// result is where they are (developer guide, ResultWriter (Map), "Exporting to Amazon S3").
#[tokio::test(start_paused = true)]
async fn an_export_writes_the_results_and_a_manifest_and_says_where() {
    let objects = held();
    let writer = json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix.$": "$.prefix"}});
    let outcome = write(writer, orders(), Some(objects.clone())).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    let output = outcome.output.unwrap();
    let arn = output["MapRunArn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:m/Orders:"), "{arn}");
    let id = arn.rsplit(':').next().unwrap();
    let folder = format!("jobs/{id}");
    assert_eq!(
        output["ResultWriterDetails"],
        json!({"Bucket": "out", "Key": format!("{folder}/manifest.json")})
    );
    let size = |key: &str| objects.objects()[&("out".to_string(), key.to_string())].len();
    let (succeeded, failed) = (format!("{folder}/SUCCEEDED_0.json"), format!("{folder}/FAILED_0.json"));
    assert_eq!(
        objects.json("out", &format!("{folder}/manifest.json")),
        json!({"DestinationBucket": "out", "MapRunArn": arn, "ResultFiles": {
            "FAILED": [{"Key": failed, "Size": size(&failed)}],
            "PENDING": [],
            "SUCCEEDED": [{"Key": succeeded, "Size": size(&succeeded)}]}})
    );
    let records = objects.json("out", &succeeded);
    let outputs: Vec<&Value> = records.as_array().unwrap().iter().map(|r| &r["Output"]).collect();
    assert_eq!(outputs, [&json!("[1,2]"), &json!("[3]"), &json!("4")]);
    assert_failed_record(&objects.json("out", &failed)[0]);

    // JSON Lines, COMPACT; a Prefix that ends in `/` is not given a second one.
    let writer = json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "lines/"},
        "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}});
    let output = write(writer, orders(), Some(objects.clone())).await.output.unwrap();
    let key = output["ResultWriterDetails"]["Key"].as_str().unwrap();
    let id = output["MapRunArn"].as_str().unwrap().rsplit(':').next().unwrap();
    assert_eq!(key, format!("lines/{id}/manifest.json"));
    let lines = objects.objects()[&("out".to_string(), format!("lines/{id}/SUCCEEDED_0.json"))].clone();
    assert_eq!(String::from_utf8(lines).unwrap(), "[1,2]\n[3]\n4\n");
}

/// A writer the local run cannot follow is refused with the reason; one that names no bucket
/// fails with `States.ResultWriterFailed`, which a Catch takes.
#[tokio::test(start_paused = true)]
async fn a_writer_that_cannot_write_says_why() {
    let put = |parameters: Value| json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": parameters});
    for (writer, objects, error, says) in [
        (put(json!({"Bucket": "out"})), None, "States.Runtime", "--s3-dir DIR"),
        (
            json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "out"}}),
            Some(held()),
            "States.Runtime",
            "Step Functions writes results with arn:aws:states:::s3:putObject",
        ),
        (
            put(json!({"Prefix": "jobs"})),
            Some(held()),
            "States.ResultWriterFailed",
            "must name a Bucket",
        ),
        (
            json!({"WriterConfig": {"Transformation": "SQUASH"}}),
            None,
            "States.Runtime",
            "Step Functions takes NONE, COMPACT or FLATTEN",
        ),
        (
            json!({"WriterConfig": {"OutputType": "CSV"}}),
            None,
            "States.Runtime",
            "Step Functions takes JSON or JSONL",
        ),
    ] {
        let outcome = write(writer, orders(), objects).await;
        let failure = outcome.error.unwrap();
        assert_eq!(failure.error, error, "{}", failure.cause);
        assert!(failure.cause.contains(says), "{}", failure.cause);
    }
}
