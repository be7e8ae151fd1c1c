//! A Distributed Map's ItemReader reads through the interpreter's objects: a JSON array, JSON
//! Lines and text-delimited files (developer guide, ItemReader (Map) and "How Step Functions
//! parses input CSV files"), a bucket's listing and `LOAD_AND_FLATTEN` over one, `MaxItems`, and
//! the failures `States.ItemReaderFailed` names.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod held_objects;

use std::sync::Arc;

use baton_asl::{ExecutionOutcome, ExecutionStatus, HistorySink, MemorySink, NullSink, StateMachine};
use held_objects::{Held, execute, held};
use serde_json::{Value, json};

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

/// The field a reader names its object in: `Arguments` in JSONata, `Parameters` in JSONPath.
fn arguments(query_language: &str) -> &'static str {
    match query_language {
        "JSONata" => "Arguments",
        _ => "Parameters",
    }
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
/// test_map_item_reader_json_no_json_list_object, 2023-09-21, whose words a document that is
/// neither array nor object keeps, an object being read since;
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
        (
            get("scalar.json", json!({})),
            json!({}),
            "Attempting to map over non-iterable node.",
        ),
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

/// A JSON object's entries are its items, `{"Key": …, "Value": …}`, each with its key in
/// `$$.Map.Item.Key`, as AWS read an object in 2026 (floci-io/floci#1588); in 2023 it refused one
/// (test_map_item_reader_json_no_json_list_object, above).
#[tokio::test(start_paused = true)]
async fn a_json_objects_entries_are_items_with_their_keys() {
    assert_eq!(items(get("one.json", json!({}))).await, json!([{"Key": "n", "Value": 1}]));
    assert_eq!(
        items(get("nested.json", json!({"InputType": "JSON", "ItemsPointer": "/data"}))).await,
        json!([{"Key": "items", "Value": [{"n": 1}, {"n": 2}]}])
    );
    for (query_language, selector) in [
        (
            "JSONPath",
            json!({"k.$": "$$.Map.Item.Key", "v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "s.$": "$$.Map.Item.Source"}),
        ),
        (
            "JSONata",
            json!({"k": "{% $states.context.Map.Item.Key %}", "v": "{% $states.context.Map.Item.Value %}",
                   "i": "{% $states.context.Map.Item.Index %}", "s": "{% $states.context.Map.Item.Source %}"}),
        ),
    ] {
        let definition = json!({"QueryLanguage": query_language, "StartAt": "M", "States": {"M": {"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON", "ItemsPointer": "/data"},
                           arguments(query_language): {"Bucket": "data", "Key": "nested.json"}},
            "ItemSelector": selector, "End": true,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
        let outcome = execute(
            &StateMachine::from_json(&definition.to_string()).unwrap(),
            json!({}),
            Some(held()),
            Arc::new(NullSink),
        )
        .await;
        assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{query_language}: {:?}", outcome.error);
        assert_eq!(
            outcome.output.unwrap(),
            json!([{"k": "items", "v": [{"n": 1}, {"n": 2}], "i": 0, "s": "s3://data/nested.json"}]),
            "{query_language}"
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
        (get("scalar.json", json!({})), "Attempting to map over non-iterable node."),
        (
            get("twice.csv", json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
            "CSV headers cannot contain duplicates.",
        ),
        (get("nope.json", json!({})), "s3://data/nope.json: no such object"),
        (
            get("nested.json", json!({"InputType": "JSON", "ItemsPointer": "/data/items/0/n"})),
            "ItemsPointer /data/items/0/n selects no array or object in the object",
        ),
        (
            get("items.jsonl", json!({"InputType": "JSON"})),
            "the object is not JSON (line 3, column 1)",
        ),
        // Recorded on AWS: gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/
        // aws/Validation.ItemReader-006-parquet-versionid-is-unsupported.json.
        (
            json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"},
                   "Parameters": {"Bucket": "data", "Key": "file.parquet", "VersionId": "v1"}}),
            "S3 Version ID selection is not currently supported for PARQUET files",
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

/// `$$.Map.Item.Source` names where an item came from: the bucket for a listing's items, the
/// object for a `LOAD_AND_FLATTEN` listing's (recorded on AWS: gabrielmoreira/tiny-asl-machine,
/// tests/conformance/cases/.snapshots/aws/Observation.ItemReader-002 and -003), and the object
/// for an object's items.
#[tokio::test(start_paused = true)]
async fn an_item_s_source_is_where_the_reader_read_it() {
    let sources = |reader: Value| async move {
        let definition = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemReader": reader, "End": true,
            "ItemSelector": {"Source.$": "$$.Map.Item.Source", "Value.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                              "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
        let machine = StateMachine::from_json(&definition.to_string()).unwrap();
        let outcome = execute(&machine, json!({}), Some(held()), Arc::new(NullSink)).await;
        assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
        let output = outcome.output.unwrap();
        output
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["Source"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(sources(list("logs/", json!({}))).await, ["s3://data", "s3://data"]);
    assert_eq!(
        sources(list("logs/", json!({"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"}))).await,
        [
            "s3://data/logs/a.jsonl",
            "s3://data/logs/a.jsonl",
            "s3://data/logs/b.jsonl",
            "s3://data/logs/b.jsonl"
        ]
    );
    assert_eq!(
        sources(get("items.jsonl", json!({"InputType": "JSONL"}))).await,
        ["s3://data/items.jsonl"; 3]
    );
}
