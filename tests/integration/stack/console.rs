//! `baton ui --stack`: the console served over a deployed stack, its executions read from Step
//! Functions, its groups from CodeDeploy, its alarms from CloudWatch, and a stop sent as
//! `StopExecution` — all in a moto server on 127.0.0.1.

use std::time::Duration;

use serde_json::Value;

use super::{Moto, command};
use crate::console::{Console, change_stream, http};
use crate::util::{repo_root, until_blocking};

const FAILED: &str = "20261204-090000-aaaaaaaa";
const RUNNING: &str = "20261204-091500-bbbbbbbb";

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn the_console_over_a_stack_lists_its_executions_explains_a_failure_and_stops_a_run() {
    let moto = Moto::start();
    // moto runs it: one execution fails its deployment, the other waits an hour.
    let definition = serde_json::json!({"StartAt": "Source", "States": {
        "Source": {"Type": "Pass", "Next": "Ready?"},
        "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.ready", "BooleanEquals": true, "Next": "Hold"}],
                   "Default": "Staging:Deploy"},
        "Staging:Deploy": {"Type": "Fail", "Error": "Baton.DeployFailed", "Cause": "group staging: 2 of 3 instances failed"},
        "Hold": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    moto.hello_stack(&definition, true);
    // The stack's deployment group.
    moto.boto3(
        r#"
import boto3
cd = boto3.client("codedeploy")
cd.create_application(applicationName="hello-app")
cd.create_deployment_group(applicationName="hello-app", deploymentGroupName="staging",
                           serviceRoleArn="arn:aws:iam::123456789012:role/deploy")
"#,
    );
    moto.start_execution(
        FAILED,
        &serde_json::json!({"revision": "0a1b2c3d", "variables": {}, "ready": false}),
        true,
    );
    moto.start_execution(
        RUNNING,
        &serde_json::json!({"revision": "5e6f7a8b", "variables": {}, "ready": true}),
        false,
    );
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let console = Console::spawn(command(
        &["ui", "--port", "0", "--stack", "hello", "--pipeline", hello],
        Some(&moto.endpoint),
    ));
    let port = console.port;
    let session = console.session();
    let cookie = [("Cookie", session.as_str())];
    let get = |path: &str| {
        let (status, _, body) = http(port, "GET", path, &cookie, "");
        assert_eq!(status, 200, "GET {path}: {body}");
        json(&body)
    };

    let pipeline = get("/api/pipeline");
    assert_eq!(
        (pipeline["place"].as_str(), pipeline["remote"].as_bool()),
        (Some("stack hello"), Some(true))
    );

    let listed = get("/api/executions");
    let rows: Vec<_> = listed["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .map(|e| (e["id"].as_str(), e["status"].as_str(), e["commit_id"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some(RUNNING), Some("RUNNING"), Some("5e6f7a8b")),
            (Some(FAILED), Some("FAILED"), Some("0a1b2c3d"))
        ]
    );

    // Why it failed, from the execution's history, as a local failure reads.
    let failed = get(&format!("/api/executions/{FAILED}"));
    let failure = &failed["failure"];
    assert_eq!(failure["action"], "Staging:Deploy", "{failed}");
    assert_eq!(failure["error"], "Baton.DeployFailed");
    assert_eq!(failure["cause"], "group staging: 2 of 3 instances failed");
    assert!(
        failed["states"].as_array().is_some_and(|s| s.iter().any(|s| s["name"] == "Source")),
        "{failed}"
    );
    assert_eq!(failed["waiting_approvals"], serde_json::json!([]));
    // Drawn with the machine it ran, which holds a Wait this pipeline.yml knows nothing of.
    let graph = &failed["graph"];
    let drawn: Vec<_> = ["flow", "handlers"]
        .iter()
        .filter_map(|part| graph[part].as_array())
        .flatten()
        .filter_map(|n| n["state"].as_str())
        .collect();
    assert!(drawn.contains(&"Hold"), "{graph}");

    let groups = get("/api/groups");
    assert_eq!(groups["groups"][0]["name"], "staging", "{groups}");
    assert_eq!(groups["groups"][0]["deployments"], serde_json::json!([]), "nothing deployed yet");

    // moto does not route CloudWatch's protocol (every call fails): the panel says so for each
    // part and still shows the rest.
    let observed = get("/api/observability");
    let alarm = &observed["alarms"][0];
    assert_eq!(
        (alarm["name"].as_str(), alarm["state"].as_str()),
        (Some("staging-health"), Some("UNKNOWN")),
        "{observed}"
    );
    assert!(alarm["reason"].as_str().is_some_and(|r| r.contains("DescribeAlarms")), "{observed}");
    assert!(
        observed["unavailable"][0].as_str().is_some_and(|u| u.contains("ListMetrics")),
        "{observed}"
    );
    assert_eq!(observed["dora"]["deploying_executions"], 1, "the failed deployment: {observed}");

    // The change stream, on its own connection from before the stop.
    let changes = change_stream(port, &session);

    // A stop that would wait is refused as the CLI refuses it; an abandon is StopExecution.
    let origin = format!("http://127.0.0.1:{port}");
    let post = |body: &str| {
        let headers = [
            cookie[0],
            ("Content-Type", "application/json"),
            ("X-Baton-Token", console.token.as_str()),
            ("Origin", origin.as_str()),
        ];
        http(port, "POST", &format!("/api/executions/{RUNNING}/stop"), &headers, body)
    };
    let (status, _, body) = post(r#"{"abandon":false}"#);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("ask for that with --abandon"), "{body}");
    let (status, _, body) = post(r#"{"abandon":true}"#);
    assert_eq!(status, 202, "{body}");
    until_blocking("the execution aborted on Step Functions", Duration::from_secs(30), || {
        let detail = get(&format!("/api/executions/{RUNNING}"));
        (detail["execution"]["status"] == "ABORTED").then_some(())
    });
    assert!(
        changes.recv_timeout(Duration::from_secs(20)).is_ok(),
        "the change stream told the page the stack's executions changed"
    );
}
