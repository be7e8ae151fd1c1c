//! A Distributed Map's objects. Its ItemReader reads through the interpreter's objects: a JSON
//! array, JSON Lines and text-delimited files (developer guide, ItemReader (Map) and "How Step
//! Functions parses input CSV files"), a bucket's listing and `LOAD_AND_FLATTEN` over one,
//! `MaxItems`, and the failures `States.ItemReaderFailed` names. Its ResultWriter transforms the
//! children's results and writes them (developer guide, ResultWriter (Map)).

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use baton_asl::mock::NoTasks;
use baton_asl::objects::{ObjectSummary, Objects};
use baton_asl::{ExecutionOutcome, ExecutionSpec, ExecutionStatus, HistorySink, Interpreter, MemorySink, NullSink, StateMachine};
use serde_json::{Value, json};

/// Objects held in memory, by bucket and key.
struct Held(Mutex<HashMap<(String, String), Vec<u8>>>);

impl Held {
    fn objects(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Vec<u8>>> {
        self.0.lock().unwrap()
    }

    /// The object at `bucket`/`key`, as JSON.
    fn json(&self, bucket: &str, key: &str) -> Value {
        serde_json::from_slice(&self.objects()[&(bucket.to_string(), key.to_string())]).unwrap()
    }
}

#[async_trait]
impl Objects for Held {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        self.objects()
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
            .ok_or_else(|| format!("s3://{bucket}/{key}: no such object"))
    }

    /// Listed backwards, as the trait allows: the reader puts them in S3's order.
    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String> {
        let mut listed: Vec<ObjectSummary> = self
            .objects()
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

    async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        match self.objects().entry((bucket.to_string(), key.to_string())) {
            std::collections::hash_map::Entry::Occupied(_) => Err(format!("s3://{bucket}/{key} is there already")),
            std::collections::hash_map::Entry::Vacant(place) => {
                place.insert(bytes);
                Ok(())
            }
        }
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
    Arc::new(Held(Mutex::new(
        objects
            .into_iter()
            .map(|(key, text)| (("data".to_string(), key.to_string()), text.as_bytes().to_vec()))
            .collect(),
    )))
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
    execute(&machine(reader, query_language), input, objects, sink).await
}

/// Runs `machine` as `arn:…:stateMachine:m`, reading and writing `objects` when given.
async fn execute(machine: &StateMachine, input: Value, objects: Option<Arc<Held>>, sink: Arc<dyn HistorySink>) -> ExecutionOutcome {
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
    interpreter.execute(machine, &spec).await
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

/// The items AWS made of one CSV file and its variants, replayed: the Map's output as AWS wrote
/// it, its children being Pass states (localstack/localstack, tests/aws/services/stepfunctions/
/// v2/scenarios/test_base_scenarios.py and .snapshot.json, recorded on AWS 2023-09-21:
/// test_map_item_reader_base_csv_headers_first_line, _base_csv_headers_decl,
/// _csv_headers_decl_extra_fields, _csv_headers_first_row_typed_headers,
/// _csv_first_row_extra_fields). A line of spaces is a record; `,,,` is three empty fields and
/// a fourth skipped; the members come in a Java HashMap's order of the headers.
#[tokio::test(start_paused = true)]
async fn csv_items_are_what_aws_recorded() {
    let rows = "Value4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n";
    let first_row = json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"});
    let given = |headers: Value| json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": headers});
    for (file, config, written) in [
        (
            format!("Col1,Col2,Col3\nValue1,Value2,Value3\n{rows}"),
            first_row.clone(),
            r#"[{"Col1":"Value1","Col2":"Value2","Col3":"Value3"},{"Col1":"Value4","Col2":"Value5","Col3":"Value6"},{"Col1":"","Col2":"","Col3":""},{"Col1":"true","Col2":"1","Col3":"'HelloWorld'"},{"Col1":"Null","Col2":"None","Col3":""},{"Col1":"   ","Col2":"","Col3":""}]"#,
        ),
        (
            format!("Value1,Value2,Value3\n{rows}"),
            given(json!(["H1", "H2", "H3"])),
            r#"[{"H1":"Value1","H2":"Value2","H3":"Value3"},{"H1":"Value4","H2":"Value5","H3":"Value6"},{"H1":"","H2":"","H3":""},{"H1":"true","H2":"1","H3":"'HelloWorld'"},{"H1":"Null","H2":"None","H3":""},{"H1":"   ","H2":"","H3":""}]"#,
        ),
        (
            format!("Value1,Value2,Value3\n{rows}"),
            given(json!(["H1"])),
            r#"[{"H1":"Value1"},{"H1":"Value4"},{"H1":""},{"H1":"true"},{"H1":"Null"},{"H1":"   "}]"#,
        ),
        (
            format!("0,True,{{}}\n{rows}"),
            first_row.clone(),
            r#"[{"0":"Value4","{}":"Value6","True":"Value5"},{"0":"","{}":"","True":""},{"0":"true","{}":"'HelloWorld'","True":"1"},{"0":"Null","{}":"","True":"None"},{"0":"   ","{}":"","True":""}]"#,
        ),
        (
            format!("H1,\n{rows}"),
            first_row,
            r#"[{"":"Value5","H1":"Value4"},{"":"","H1":""},{"":"1","H1":"true"},{"":"None","H1":"Null"},{"":"","H1":"   "}]"#,
        ),
    ] {
        let objects = held();
        objects.objects().insert(("data".into(), "file.csv".into()), file.into_bytes());
        let outcome = run(get("file.csv", config), "JSONPath", json!({}), Some(objects)).await;
        assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
        assert_eq!(outcome.output.unwrap().to_string(), written);
    }
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

/// A dataset that cannot be read fails the Map Run, not only the state: AWS recorded
/// `MapRunStarted`, then `MapRunFailed` with the reader's error and cause, `MapStateFailed` and
/// `ExecutionFailed`, each following the one before (localstack/localstack, tests/aws/services/
/// stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json:
/// test_map_item_reader_csv_headers_decl_duplicate_headers and
/// test_map_item_reader_json_no_json_list_object, 2023-09-21;
/// test_map_item_reader_csv_max_items_paths[-1], 2024-03-25, where a MaxItemsPath of -1 is read
/// as an integer, unlike 1.5 above, and the reader refuses it).
#[tokio::test(start_paused = true)]
async fn a_dataset_that_cannot_be_read_fails_the_map_run() {
    for (reader, input, cause) in [
        (
            get("twice.csv", json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
            json!({}),
            "CSV headers cannot contain duplicates.",
        ),
        (get("one.json", json!({})), json!({}), "Attempting to map over non-iterable node."),
        (
            get(
                "rows.csv",
                json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItemsPath": "$.MaxItems"}),
            ),
            json!({"MaxItems": -1}),
            "field MaxItems must be positive",
        ),
    ] {
        let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemReader": reader, "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
        let sink = Arc::new(MemorySink::default());
        let outcome = execute(
            &StateMachine::from_json(&definition.to_string()).unwrap(),
            input,
            Some(held()),
            sink.clone(),
        )
        .await;
        let error = outcome.error.unwrap();
        assert_eq!((error.error.as_str(), error.cause.as_str()), ("States.ItemReaderFailed", cause));
        let events: Vec<Value> = sink.events().iter().map(|e| serde_json::to_value(e).unwrap()).collect();
        let trail: Vec<(&str, u64)> = events
            .iter()
            .map(|e| (e["type"].as_str().unwrap(), e["previousEventId"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            trail,
            [
                ("ExecutionStarted", 0),
                ("MapStateEntered", 0),
                ("MapStateStarted", 2),
                ("MapRunStarted", 3),
                ("MapRunFailed", 4),
                ("MapStateFailed", 5),
                ("ExecutionFailed", 6)
            ],
            "{cause}"
        );
        assert_eq!(
            events[4]["mapRunFailedEventDetails"],
            json!({"error": "States.ItemReaderFailed", "cause": cause})
        );
    }
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
    let compressed = held();
    compressed
        .objects()
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
