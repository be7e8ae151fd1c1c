//! `baton asl`: a state machine definition checked as ValidateStateMachineDefinition checks it
//! and run as Step Functions runs it, from the command line.

use crate::cli::{baton, text};

/// `baton asl … --type EXPRESS`: what CreateStateMachine refuses of an Express machine (a task
/// that waits for a job or a callback) is refused with its place, an execution's ARN is an
/// Express one, `…:express:MACHINE:NAME:ID`, and its history is what its log group holds, as
/// AWS keeps no other (`baton_asl::log_record`).
#[test]
fn asl_type_express_refuses_waiting_tasks_and_names_the_execution_as_express() {
    let dir = tempfile::tempdir().expect("tempdir");
    let waits = &definition(
        dir.path(),
        "waits.asl.json",
        r#"{"StartAt": "Build", "States": {
  "Build": {"Type": "Task", "Resource": "arn:aws:states:::codebuild:startBuild.sync", "End": true}}}"#,
    );
    assert!(baton(&["asl", "validate", waits]).status.success(), "a Standard machine may wait");
    let refused = baton(&["asl", "validate", waits, "--type", "express"]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains("waits.asl.json:2:29: SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration"),
        "{stderr}"
    );

    let names = definition(
        dir.path(),
        "names.asl.json",
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
  "Parameters": {"id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name"}}}}"#,
    );
    let doc = ran(&[&names, "--type", "EXPRESS", "--history"], 0);
    let (id, name) = (
        doc["output"]["id"].as_str().expect("id"),
        doc["output"]["name"].as_str().expect("name"),
    );
    let prefix = format!("arn:aws:states:local:000000000000:express:names:{name}:");
    let uuid = id.strip_prefix(&prefix).unwrap_or_else(|| panic!("{id} is not {prefix}…"));
    assert!(uuid::Uuid::parse_str(uuid).is_ok(), "{id}");
    let last = &doc["history"][3];
    assert_eq!(last["type"], "ExecutionSucceeded", "{doc}");
    assert_eq!((last["id"].as_str(), last["previous_event_id"].as_str()), (Some("4"), Some("3")));
    assert_eq!(last["execution_arn"], id);
    assert_eq!(last["redrive_count"], "0");
    assert!(last["event_timestamp"].as_str().is_some_and(|t| t.parse::<i64>().is_ok()), "{last}");
    assert_eq!(last["details"]["output"], doc["output"].to_string());
}

/// `baton asl run --input`: the input's text is kept as written, as Step Functions keeps it —
/// `ExecutionStarted` carries it, and a cause that quotes the first state's input quotes it so
/// (localstack/localstack#11953's expected cause), spaces and all. `@FILE` too.
#[test]
fn asl_run_quotes_the_input_as_it_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let machine = &definition(
        dir.path(),
        "quotes.asl.json",
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"b.$": "$.value"}, "End": true}}}"#,
    );
    let written = "{\"a\": 1,       \"b\": 2}";
    let file = dir.path().join("input.json");
    std::fs::write(&file, format!("{written}\n")).expect("write");
    for (input, as_written) in [
        (written.to_string(), written.to_string()),
        (format!("@{}", file.display()), format!("{written}\n")),
    ] {
        let doc = ran(&[machine, "--input", &input, "--history"], 1);
        assert_eq!(
            doc["cause"].as_str().expect("cause"),
            format!(
                "An error occurred while executing the state 'A' (entered at the event id #2). \
                 The JSONPath '$.value' specified for the field 'b.$' could not be found in the input '{as_written}'"
            )
        );
        assert_eq!(doc["history"][0]["executionStartedEventDetails"]["input"], as_written.as_str());
    }
}

/// `baton asl run` describes a failure as DescribeExecution does: a Fail state without `Error`
/// or `Cause` leaves them out (null), not empty (recorded on AWS: localstack/localstack,
/// tests/aws/services/stepfunctions/v2/base/test_base.snapshot.json, test_state_fail_empty).
#[test]
fn asl_run_leaves_out_an_error_and_a_cause_a_fail_state_does_not_give() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (state, error, cause) in [
        (r#"{"Type": "Fail"}"#, None, None),
        (r#"{"Type": "Fail", "Error": "E"}"#, Some("E"), None),
        (r#"{"Type": "Fail", "Cause": "why"}"#, None, Some("why")),
    ] {
        let machine = &definition(
            dir.path(),
            "fail.asl.json",
            &format!(r#"{{"StartAt": "F", "States": {{"F": {state}}}}}"#),
        );
        let doc = ran(&[machine, "--history"], 1);
        assert_eq!((doc["error"].as_str(), doc["cause"].as_str()), (error, cause), "{state}");
        assert_eq!(doc["error"].is_null(), error.is_none(), "{state}: {doc}");
        assert_eq!(doc["cause"].is_null(), cause.is_none(), "{state}: {doc}");
    }
}

/// `baton asl validate` warns as ValidateStateMachineDefinition does (its API reference's warning
/// codes and descriptions) and passes: a path in a field without `.$` is kept as text. The JSON
/// form is AWS's response, each diagnostic with its severity.
#[test]
fn asl_validate_warns_about_a_path_without_its_dollar_and_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let machine = &definition(
        dir.path(),
        "warned.asl.json",
        "{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Pass\",\n  \"Parameters\": {\"id\": \"$.id\"}, \"End\": true}}}",
    );
    let (out, stderr) = validate(&[machine], 0);
    says(
        &stderr,
        "warned.asl.json:2:18: NO_DOLLAR: No .$ on a field that appears to be a JSONPath or Intrinsic Function. (at /States/P/Parameters/id)",
    );
    assert!(text(&out.stdout).starts_with("ok "), "{}", text(&out.stdout));

    assert_eq!(
        validated(machine, 0),
        serde_json::json!({"result": "OK", "diagnostics": [{"code": "NO_DOLLAR", "severity": "WARNING",
            "message": "No .$ on a field that appears to be a JSONPath or Intrinsic Function.", "location": "/States/P/Parameters/id"}]})
    );
}

/// `baton asl validate` on a SAM project's definition: a Resource still holding a `${NAME}`
/// placeholder is refused as Step Functions refuses it, and a placeholder where a number stands
/// as JSON's reader refuses it, each with a hint; `--substitute` checks the definition as it
/// will be deployed.
#[test]
fn asl_validate_refuses_a_placeholder_and_substitutes_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sam = &definition(
        dir.path(),
        "statemachine.asl.json",
        r#"{"StartAt": "Hello", "States": {
  "Hello": {"Type": "Task", "Resource": "${HelloFunctionArn}", "End": true}}}"#,
    );
    let (_, stderr) = validate(&[sam], 2);
    says(
        &stderr,
        "statemachine.asl.json:2:29: SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN (at /States/Hello/Resource)",
    );
    says(&stderr, "hint: ${HelloFunctionArn} is a placeholder");
    let arn = "HelloFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:hello";
    let ok = baton(&["asl", "validate", sam, "--substitute", arn]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let bad = baton(&["asl", "validate", sam, "--substitute", "HelloFunctionArn"]);
    assert_eq!(bad.status.code(), Some(2), "a substitution is NAME=VALUE");

    // A placeholder where a number stands is no JSON until substituted (as aws-samples'
    // bedrock-batch-with-sla writes `"MaxConcurrency": ${MaxConcurrency}`).
    let numbers = &definition(
        dir.path(),
        "numbers.asl.json",
        r#"{"StartAt": "Each", "States": {
  "Each": {"Type": "Map", "MaxConcurrency": ${MaxConcurrency}, "End": true,
    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}"#,
    );
    let (_, stderr) = validate(&[numbers], 2);
    says(&stderr, "numbers.asl.json:2:45: INVALID_JSON_DESCRIPTION: Unrecognized token '$'");
    says(&stderr, "hint: ${MaxConcurrency} is a placeholder");
    validate(&[numbers, "--substitute", "MaxConcurrency=10"], 0);
}

/// `baton asl run` on a SAM project's definition: refused with the validator's hint while a
/// Resource holds a `${NAME}` placeholder, and run as deployed with `--substitute`, each value
/// written where its placeholder stood as JSON string content.
#[test]
fn asl_run_runs_a_sam_projects_definition_as_deployed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sam = &definition(
        dir.path(),
        "statemachine.asl.json",
        r#"{"StartAt": "Name", "States": {
  "Name": {"Type": "Pass", "Parameters": {"table": "${TableName}"}, "Next": "Hello"},
  "Hello": {"Type": "Task", "Resource": "${HelloFunctionArn}", "ResultPath": "$.hello", "End": true}}}"#,
    );
    let mocks = &definition(
        dir.path(),
        "MockConfigFile.json",
        r#"{"StateMachines": {"statemachine": {"TestCases": {"HappyPath": {"Hello": "Hi"}}}},
  "MockedResponses": {"Hi": {"0": {"Return": {"greeting": "hi"}}}}}"#,
    );
    let mocked = [sam.as_str(), "--mock-config", mocks, "--test-case", "HappyPath"];
    let out = baton(&[&["asl", "run"], &mocked[..]].concat());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    says(
        &stderr,
        "statemachine.asl.json:3:29: SCHEMA_VALIDATION_FAILED: Value is not a valid resource ARN (at /States/Hello/Resource)",
    );
    says(&stderr, "hint: ${HelloFunctionArn} is a placeholder");
    let arn = "HelloFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:hello";
    let table = r#"TableName=orders "eu""#;
    let doc = ran(&[&mocked[..], &["--substitute", arn, "--substitute", table]].concat(), 0);
    assert_eq!(
        doc["output"],
        serde_json::json!({"table": "orders \"eu\"", "hello": {"greeting": "hi"}})
    );
}

/// `baton asl run --s3-dir`: aws-samples' distributed-map-csv-iterator (`tests/corpus/asl/`)
/// reads its CSV from DIR/BUCKET/KEY and starts one child execution per row; without a directory
/// the run says how to give one.
#[test]
fn asl_run_reads_a_distributed_maps_items_from_a_directory_standing_for_s3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bucket = dir.path().join("s3/metrics-bucket");
    std::fs::create_dir_all(&bucket).expect("mkdir");
    std::fs::write(bucket.join("metrics.csv"), "host,cpu\nweb-1,0.71\nweb-2,0.93\ndb-1,0.12\n").expect("write");
    let sample = crate::util::repo_root().join("tests/corpus/asl/distributed-map-csv-iterator.asl.json");
    let mocks = &definition(
        dir.path(),
        "MockConfigFile.json",
        r#"{"StateMachines": {"csv": {"TestCases": {"Rows": {"Start Child Step Function": "Started"}}}},
  "MockedResponses": {"Started": {"0-9": {"Return": {"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:child:1"}}}}}"#,
    );
    let s3 = dir.path().join("s3");
    let args = [
        sample.to_str().expect("utf-8"),
        "--substitute",
        "ChildStateMachine=arn:aws:states:us-east-1:123456789012:stateMachine:child",
        "--substitute",
        "CSVBucket=metrics-bucket",
        "--mock-config",
        mocks,
        "--test-case",
        "Rows",
    ];
    let doc = ran(&[&args[..], &["--s3-dir", s3.to_str().expect("utf-8"), "--history"]].concat(), 0);
    assert_eq!(doc["output"].as_array().map(Vec::len), Some(3), "{doc}");
    // Each child is an execution with a history of its own, from its row to its end.
    let children = doc["childExecutions"].as_array().expect("child executions");
    assert_eq!(children.len(), 3, "{doc}");
    for child in children {
        let arn = child["executionArn"].as_str().expect("ARN");
        // The sample's children are Express executions of the Map Run's (unlabelled) machine.
        assert!(arn.contains(":express:distributed-map-csv-iterator/"), "{arn}");
        let history = child["history"].as_array().expect("history");
        let input = history[0]["executionStartedEventDetails"]["input"].as_str().expect("input");
        assert!(["web-1", "web-2", "db-1"].iter().any(|host| input.contains(host)), "{input}");
        assert_eq!(history.last().expect("end")["type"], "ExecutionSucceeded", "{child}");
    }
    let parent = doc["history"].as_array().expect("history");
    assert!(parent.iter().any(|e| e["type"] == "MapRunStarted"), "{doc}");
    assert!(
        !parent
            .iter()
            .any(|e| e["type"].as_str().is_some_and(|t| t.starts_with("MapIteration"))),
        "{doc}"
    );
    let doc = ran(&args, 1);
    assert_eq!(doc["error"], "States.Runtime");
    assert!(doc["cause"].as_str().is_some_and(|c| c.contains("--s3-dir DIR")), "{doc}");
    let file = bucket.join("metrics.csv");
    let out = baton(&[&["asl", "run"], &args[..], &["--s3-dir", file.to_str().expect("utf-8")]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// `baton asl run --s3-dir`: aws-samples' distributed-map-montecarlo (`tests/corpus/asl/`)
/// maps over an `s3:listObjectsV2` listing of the bucket and prefix its first task returns;
/// each file beneath `DIR/BUCKET/PREFIX` is one child execution, and nothing beside it is.
#[test]
fn asl_run_maps_over_a_directory_listed_as_a_bucket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("s3/samples/input");
    std::fs::create_dir_all(input.join("batch-2")).expect("mkdir");
    for (file, text) in [
        ("input/batch-1.json", "[1]"),
        ("input/batch-2/a.json", "[2]"),
        ("input-old/x.json", "[3]"),
        ("other.json", "[4]"),
    ] {
        std::fs::create_dir_all(dir.path().join("s3/samples").join(file).parent().expect("parent")).expect("mkdir");
        std::fs::write(dir.path().join("s3/samples").join(file), text).expect("write");
    }
    let sample = crate::util::repo_root().join("tests/corpus/asl/distributed-map-montecarlo.asl.json");
    let mocks = &definition(
        dir.path(),
        "MockConfigFile.json",
        r#"{"StateMachines": {"montecarlo": {"TestCases": {"Listed": {
    "Generate Random Samples": "Samples", "Calculate Revenue": "Revenue", "Aggregate Results": "Total"}}}},
  "MockedResponses": {"Samples": {"0": {"Return": {"bucket_name": "samples", "inputprefix": "input/"}}},
    "Revenue": {"0-9": {"Return": {"revenue": 1}}}, "Total": {"0": {"Return": {"total": 2}}}}}"#,
    );
    let s3 = dir.path().join("s3");
    let mut args = vec![sample.to_str().expect("utf-8").to_string()];
    for name in ["SamplingFunctionArn", "CalculatorFunctionArn", "AggregatorFunctionArn"] {
        args.extend([
            "--substitute".into(),
            format!("{name}=arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        ]);
    }
    args.extend(
        [
            "--mock-config",
            mocks,
            "--test-case",
            "Listed",
            "--fast-time",
            "--history",
            "--s3-dir",
        ]
        .map(String::from),
    );
    args.push(s3.to_str().expect("utf-8").into());
    let doc = ran(&args.iter().map(String::as_str).collect::<Vec<_>>(), 0);
    assert_eq!(doc["output"], serde_json::json!({"total": 2}), "{doc}");
    let aggregated = doc["history"]
        .as_array()
        .and_then(|events| {
            events
                .iter()
                .find(|e| e["type"] == "TaskStateEntered" && e["stateEnteredEventDetails"]["name"] == "Aggregate Results")
        })
        .map(|e| serde_json::from_str::<serde_json::Value>(e["stateEnteredEventDetails"]["input"].as_str().expect("input")).expect("JSON"))
        .expect("Aggregate Results entered");
    assert_eq!(
        aggregated["MapOutput"],
        serde_json::json!([{"revenue": 1}, {"revenue": 1}]),
        "{doc}"
    );
}

/// `baton asl run --s3-dir`: a Distributed Map's ResultWriter exports its children's results
/// into the directory standing for S3, `DIR/BUCKET/PREFIX/RUN-ID/`, and the state's result says
/// where the manifest is.
#[test]
fn asl_run_exports_a_distributed_maps_results_into_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("s3/out")).expect("mkdir");
    let machine = &definition(
        dir.path(),
        "export.asl.json",
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
  "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "jobs"}},
  "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
    "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}}"#,
    );
    let s3 = dir.path().join("s3");
    let doc = ran(&[machine, "--input", "[1, 2]", "--s3-dir", s3.to_str().expect("utf-8")], 0);
    let key = doc["output"]["ResultWriterDetails"]["Key"].as_str().expect("a manifest's key");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s3.join("out").join(key)).expect("the manifest")).expect("JSON");
    let results = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"].as_str().expect("a results file");
    let records: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s3.join("out").join(results)).expect("the results")).expect("JSON");
    let outputs: Vec<&serde_json::Value> = records.as_array().expect("records").iter().map(|r| &r["Output"]).collect();
    assert_eq!(outputs, ["1", "2"]);
}

/// `baton asl validate --json` answers a definition that is not JSON, or is empty, as
/// ValidateStateMachineDefinition answered them (recorded in localstack/localstack,
/// tests/aws/services/stepfunctions/v2/test_sfn_api_validation.snapshot.json, 2025-10-19), and
/// the text form points at the fault in the same words rather than the JSON reader's.
#[test]
fn asl_validate_answers_a_definition_that_is_not_json_in_aws_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let word = &definition(dir.path(), "word.asl.json", "not a definition");
    let location = "[Source: (String)\"not a definition\"; line: 1, column: 4]";
    assert_eq!(
        validated(word, 2),
        serde_json::json!({"result": "FAIL", "diagnostics": [{"code": "INVALID_JSON_DESCRIPTION", "severity": "ERROR",
            "location": location,
            "message": format!("Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at {location}")}]})
    );

    let empty = &definition(dir.path(), "empty.asl.json", "");
    assert_eq!(
        validated(empty, 2),
        serde_json::json!({"result": "FAIL", "diagnostics": [{"code": "SCHEMA_VALIDATION_FAILED", "severity": "ERROR",
            "message": "Definition must be a valid JSON object"}]})
    );

    let comma = &definition(
        dir.path(),
        "comma.asl.json",
        "{\"StartAt\": \"P\",\n  \"States\": {\"P\": {\"Type\": \"Pass\", \"End\": true},}}",
    );
    let (_, stderr) = validate(&[comma], 2);
    says(
        &stderr,
        "comma.asl.json:2:49: INVALID_JSON_DESCRIPTION: Unexpected character ('}' (code 125)): was expecting double-quote to start field name",
    );
}

/// Fails unless `stderr` holds `line`, showing the whole of it.
fn says(stderr: &str, line: &str) {
    assert!(stderr.contains(line), "{stderr}");
}

/// `baton asl run` with `args`: its exit code checked, its answer as JSON.
fn ran(args: &[&str], code: i32) -> serde_json::Value {
    let out = baton(&[&["asl", "run"], args].concat());
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// `baton asl validate` with `args`: its exit code checked, its output and its stderr as text.
fn validate(args: &[&str], code: i32) -> (std::process::Output, String) {
    let out = baton(&[&["asl", "validate"], args].concat());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    (out, stderr)
}

/// `baton asl validate --json` on `machine`: its exit code checked, its answer as JSON.
fn validated(machine: &str, code: i32) -> serde_json::Value {
    let out = baton(&["asl", "validate", machine, "--json"]);
    assert_eq!(out.status.code(), Some(code), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// A state machine definition written to `dir/name`, by the path `baton asl` takes.
fn definition(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8").to_string()
}
