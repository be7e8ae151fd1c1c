//! A Distributed Map's ItemReader, read through the interpreter's objects: a JSON array, JSON
//! Lines and text-delimited files (developer guide, ItemReader (Map) and "How Step Functions
//! parses input CSV files"), a bucket's listing and `LOAD_AND_FLATTEN` over one, `MaxItems`,
//! and the failures `States.ItemReaderFailed` names.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use baton_asl::mock::NoTasks;
use baton_asl::objects::{ObjectSummary, Objects};
use baton_asl::{ExecutionOutcome, ExecutionSpec, ExecutionStatus, HistorySink, Interpreter, MemorySink, NullSink, StateMachine};
use serde_json::{Value, json};

/// Objects held in memory, by bucket and key.
struct Held(HashMap<(String, String), Vec<u8>>);

#[async_trait]
impl Objects for Held {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        self.0
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
            .ok_or_else(|| format!("s3://{bucket}/{key}: no such object"))
    }

    /// Listed backwards, as the trait allows: the reader puts them in S3's order.
    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String> {
        let mut listed: Vec<ObjectSummary> = self
            .0
            .iter()
            .filter(|((b, key), _)| b == bucket && key.starts_with(prefix))
            .map(|((_, key), bytes)| ObjectSummary {
                key: key.clone(),
                size: bytes.len() as u64,
                last_modified: 1_668_699_881,
                etag: format!("\"etag-of-{key}\""),
            })
            .collect();
        listed.sort_by(|a, b| b.key.cmp(&a.key));
        Ok(listed)
    }
}

fn held() -> Arc<Held> {
    let objects = [
        ("items.json", r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#),
        ("one.json", r#"{"n": 1}"#),
        ("nested.json", r#"{"data": {"items": [{"n": 1}, {"n": 2}]}}"#),
        ("items.jsonl", "{\"n\": 1}\n\n{\"n\": 2}\n{\"n\": 3}\n"),
        ("rows.csv", "host,cpu\nweb-1,0.71\nweb-2,\"0.93\"\n"),
        ("bare.psv", "web-1|0.71|extra\nweb-2\n"),
        ("twice.csv", "a,a\n1,2\n"),
        ("logs/b.jsonl", "{\"n\": 3}\n{\"n\": 4}\n"),
        ("logs/a.jsonl", "{\"n\": 1}\n{\"n\": 2}\n"),
        ("logs10/c.jsonl", "{\"n\": 5}\n"),
    ];
    Arc::new(Held(
        objects
            .into_iter()
            .map(|(key, text)| (("data".to_string(), key.to_string()), text.as_bytes().to_vec()))
            .collect(),
    ))
}

/// A Distributed Map over what `reader` reads, each item passed through, caught when it fails.
fn machine(reader: Value, query_language: &str) -> StateMachine {
    let definition = json!({"QueryLanguage": query_language, "StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemReader": reader, "End": true,
              "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Caught"}],
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}},
        "Caught": {"Type": "Pass", "End": true}}});
    StateMachine::from_json(&definition.to_string()).unwrap()
}

async fn run(reader: Value, query_language: &str, input: Value, objects: Option<Arc<Held>>) -> ExecutionOutcome {
    run_into(reader, query_language, input, objects, Arc::new(NullSink)).await
}

async fn run_into(
    reader: Value,
    query_language: &str,
    input: Value,
    objects: Option<Arc<Held>>,
    sink: Arc<dyn HistorySink>,
) -> ExecutionOutcome {
    let mut interpreter = Interpreter::new(Arc::new(NoTasks), sink);
    if let Some(objects) = objects {
        interpreter = interpreter.with_objects(objects);
    }
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        execution_name: "e".into(),
        input,
        ..ExecutionSpec::default()
    };
    interpreter.execute(&machine(reader, query_language), &spec).await
}

fn get(key: &str, config: Value) -> Value {
    json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config, "Parameters": {"Bucket": "data", "Key": key}})
}

async fn items(reader: Value) -> Value {
    let outcome = run(reader, "JSONPath", json!({"max": "2"}), Some(held())).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    outcome.output.unwrap()
}

#[tokio::test(start_paused = true)]
async fn json_json_lines_and_csv_become_items() {
    assert_eq!(items(get("items.json", json!({}))).await, json!([{"n": 1}, {"n": 2}, {"n": 3}]));
    assert_eq!(
        items(get("items.json", json!({"InputType": "JSON", "MaxItems": 2}))).await,
        json!([{"n": 1}, {"n": 2}])
    );
    assert_eq!(
        items(get("items.jsonl", json!({"InputType": "JSONL"}))).await,
        json!([{"n": 1}, {"n": 2}, {"n": 3}])
    );
    // Every field a string; the header from the first row, or as given.
    assert_eq!(
        items(get("rows.csv", json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"}))).await,
        json!([{"host": "web-1", "cpu": "0.71"}, {"host": "web-2", "cpu": "0.93"}])
    );
    assert_eq!(
        items(get(
            "bare.psv",
            json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["host", "cpu"], "CSVDelimiter": "PIPE", "MaxItemsPath": "$.max"})
        ))
        .await,
        json!([{"host": "web-1", "cpu": "0.71"}, {"host": "web-2", "cpu": ""}])
    );
}

/// A reader's items are read after the state starts, uncounted: AWS recorded `MapStateStarted`
/// with `"length": 0`, then the items as the file holds them, or the failure of a MaxItemsPath
/// that selects no integer (localstack/localstack, tests/aws/services/stepfunctions/v2/scenarios/
/// test_base_scenarios.snapshot.json, test_map_item_reader_base_json_max_items_jsonata,
/// 2024-11-13, and test_map_item_reader_csv_max_items_paths[1.5], 2024-03-25).
#[tokio::test(start_paused = true)]
async fn a_readers_map_starts_uncounted_before_it_reads() {
    let events = |sink: &MemorySink| -> Vec<(String, Value)> {
        sink.events()
            .iter()
            .map(|e| {
                let details = serde_json::to_value(e).unwrap();
                (e.kind.to_string(), details["mapStateStartedEventDetails"].clone())
            })
            .collect()
    };
    let sink = Arc::new(MemorySink::default());
    let outcome = run_into(get("items.json", json!({})), "JSONPath", json!({}), Some(held()), sink.clone()).await;
    assert_eq!(outcome.output.unwrap(), json!([{"n": 1}, {"n": 2}, {"n": 3}]));
    let started: Vec<Value> = events(&sink)
        .into_iter()
        .filter(|(kind, _)| kind == "MapStateStarted")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(started, [json!({"length": 0})]);

    let sink = Arc::new(MemorySink::default());
    let reader = get(
        "rows.csv",
        json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.MaxItems"}),
    );
    let outcome = run_into(reader, "JSONPath", json!({"MaxItems": 1.5}), Some(held()), sink.clone()).await;
    let error = outcome.error.unwrap();
    assert_eq!(error.error, "States.Runtime");
    assert_eq!(
        error.cause,
        "An error occurred while executing the state 'M' (entered at the event id #2). The MaxItemsPath field refers to value \"1.5\" which is not a valid integer: $.MaxItems"
    );
    let kinds: Vec<String> = events(&sink).into_iter().map(|(kind, _)| kind).collect();
    assert_eq!(kinds, ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "ExecutionFailed"]);
}

/// In JSONata, the reader's `Arguments` name the object and `MaxItems` may be an expression.
#[tokio::test(start_paused = true)]
async fn a_jsonata_reader_names_its_object_with_arguments() {
    let reader = json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL", "MaxItems": "{% $states.input.max %}"},
        "Arguments": {"Bucket": "data", "Key": "{% $states.input.key %}"}});
    let outcome = run(reader, "JSONata", json!({"key": "items.jsonl", "max": 1}), Some(held())).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(outcome.output.unwrap(), json!([{"n": 1}]));
}

/// A dataset that cannot be read fails the state with `States.ItemReaderFailed`, which a Catch
/// takes: the sample s3-highthrouput-distributed-map catches it so.
#[tokio::test(start_paused = true)]
async fn what_cannot_be_read_fails_with_item_reader_failed() {
    for (reader, cause) in [
        (get("one.json", json!({})), "Attempting to map over non-iterable node."),
        (
            get("twice.csv", json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
            "CSV headers cannot contain duplicates.",
        ),
        (get("nope.json", json!({})), "s3://data/nope.json: no such object"),
        (
            get("nested.json", json!({"InputType": "JSON", "ItemsPointer": "/data"})),
            "ItemsPointer /data selects no array in the object",
        ),
        (
            get("items.jsonl", json!({"InputType": "JSON"})),
            "the object is not JSON (line 3, column 1)",
        ),
    ] {
        let outcome = run(reader, "JSONPath", json!({}), Some(held())).await;
        assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
        let caught = outcome.output.unwrap();
        assert_eq!(caught["Error"], "States.ItemReaderFailed", "{caught}");
        assert_eq!(caught["Cause"], cause, "{caught}");
    }
}

/// What a local run does not read is refused with the reason, not guessed at.
#[tokio::test(start_paused = true)]
async fn what_a_local_run_does_not_read_is_refused_with_the_reason() {
    let listing = json!({"Resource": "arn:aws:states:::s3:listObjects", "Parameters": {"Bucket": "data"}});
    let mut compressed = held();
    Arc::get_mut(&mut compressed)
        .unwrap()
        .0
        .insert(("data".into(), "items.json.gz".into()), vec![0x1f, 0x8b, 0x08, 0x00, 0x00]);
    for (reader, objects, says) in [
        (
            listing,
            Some(held()),
            "arn:aws:states:::s3:listObjects, which a local run does not do",
        ),
        (
            get("items.json.gz", json!({"InputType": "JSON"})),
            Some(compressed),
            "s3://data/items.json.gz is compressed (GZIP), which a local run does not read",
        ),
        (
            get("items.json", json!({"InputType": "PARQUET"})),
            Some(held()),
            "InputType PARQUET is not read by a local run",
        ),
        (get("items.json", json!({})), None, "this run has no objects to read them from"),
        (
            get("items.json", json!({"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"})),
            Some(held()),
            "LOAD_AND_FLATTEN over a listing",
        ),
    ] {
        let outcome = run(reader, "JSONPath", json!({}), objects).await;
        assert_eq!(outcome.status, ExecutionStatus::Failed);
        let error = outcome.error.unwrap();
        assert_eq!(error.error, "States.Runtime");
        assert!(error.cause.contains(says), "{}", error.cause);
    }
}

fn list(prefix: &str, config: Value) -> Value {
    json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "ReaderConfig": config, "Parameters": {"Bucket": "data", "Prefix": prefix}})
}

/// A listing gives one item per object whose key begins with the Prefix, in key order, in the
/// shape the developer guide shows a child workflow execution receiving (ItemReader (Map), "A
/// list of Amazon S3 objects": Etag, Key, LastModified in seconds, Size, StorageClass); a
/// Prefix with no trailing slash takes `logs10/` beside `logs/`, as the guide warns.
#[tokio::test(start_paused = true)]
async fn a_listing_gives_each_object_s_metadata_in_key_order() {
    let object = |key: &str, size: u64| json!({"Etag": format!("\"etag-of-{key}\""), "Key": key, "LastModified": 1_668_699_881, "Size": size, "StorageClass": "STANDARD"});
    let listed = items(list("logs/", json!({}))).await;
    assert_eq!(listed, json!([object("logs/a.jsonl", 18), object("logs/b.jsonl", 18)]));
    let order: Vec<String> = listed[0].as_object().unwrap().keys().cloned().collect();
    assert_eq!(order, ["Etag", "Key", "LastModified", "Size", "StorageClass"]);
    assert_eq!(items(list("logs", json!({}))).await.as_array().map(Vec::len), Some(3));
    assert_eq!(
        items(list("logs", json!({"MaxItems": 1, "Transformation": "NONE"}))).await,
        json!([object("logs/a.jsonl", 18)])
    );
    assert_eq!(items(list("nothing/", json!({}))).await, json!([]));
}

/// `LOAD_AND_FLATTEN` reads every listed object as its InputType says and gives their items
/// one after another, in key order, at most MaxItems in all (developer guide, ItemReader (Map),
/// "Amazon S3 objects transformed by LOAD_AND_FLATTEN"); in JSONata the listing is named by
/// Arguments.
#[tokio::test(start_paused = true)]
async fn load_and_flatten_gives_the_items_of_every_object_listed() {
    let flatten = |max: u64| json!({"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN", "MaxItems": max});
    assert_eq!(
        items(list("logs", flatten(0))).await,
        json!([{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}, {"n": 5}])
    );
    assert_eq!(items(list("logs", flatten(3))).await, json!([{"n": 1}, {"n": 2}, {"n": 3}]));
    let reader = json!({"Resource": "arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"},
        "Arguments": {"Bucket": "data", "Prefix": "{% $states.input.prefix %}"}});
    let outcome = run(reader, "JSONata", json!({"prefix": "logs/b"}), Some(held())).await;
    assert_eq!(outcome.output.unwrap(), json!([{"n": 3}, {"n": 4}]));
    let outcome = run(list("", flatten(0)), "JSONPath", json!({}), Some(held())).await;
    let caught = outcome.output.unwrap();
    assert_eq!(caught["Error"], "States.ItemReaderFailed", "{caught}");
}
