//! `baton metrics dora --stack`: DORA's four figures from the state machine's executions, an
//! execution counting as a deployment when its history entered a deploy action.

use super::{Moto, baton_json};
use crate::util::repo_root;

#[test]
fn dora_with_a_stack_counts_the_executions_that_entered_a_deploy_action() {
    let moto = Moto::start();
    // hello-app's shape, run by moto itself: the source snapshot (with its commit's time), a
    // build that may fail before any deployment, then `Staging:Deploy`, which may fail.
    let definition = serde_json::json!({"StartAt": "Source", "States": {
        "Source": {"Type": "Pass", "Next": "Built?",
                   "Parameters": {"source": {"commit_time": "2026-01-01T00:00:00Z"}, "built.$": "$.built", "ok.$": "$.ok"}},
        "Built?": {"Type": "Choice", "Choices": [{"Variable": "$.built", "BooleanEquals": true, "Next": "Staging:Deploy"}],
                   "Default": "Build failed"},
        "Build failed": {"Type": "Fail", "Error": "Baton.BuildFailed"},
        "Staging:Deploy": {"Type": "Pass", "Next": "Deployed?"},
        "Deployed?": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}],
                      "Default": "Deploy failed"},
        "Deploy failed": {"Type": "Fail", "Error": "Baton.DeployFailed"},
        "Done": {"Type": "Succeed"}}});
    moto.hello_stack(&definition, true);
    let runs = [("a", false, false), ("b", true, true), ("c", true, false), ("d", true, true)];
    for (name, built, ok) in runs {
        let input = serde_json::json!({"revision": "0a1b2c3d", "variables": {}, "built": built, "ok": ok});
        moto.start_execution(&format!("20261204-0900{name}"), &input, true);
    }
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");

    let d = baton_json(
        &["metrics", "dora", "--json", "--stack", "hello", "--pipeline", hello],
        Some(moto.endpoint.as_str()),
    );
    // The build that failed deployed nothing: three deploying executions, one of which failed.
    assert_eq!(d["deploying_executions"], 3, "{d}");
    assert_eq!(d["successful_deployments"], 2, "{d}");
    assert_eq!(d["change_failure_rate"].as_f64(), Some(1.0 / 3.0), "{d}");
    // From the commit (2026-01-01) to now: the lead time is the commit's age, months.
    assert!(d["lead_time_seconds"].as_f64().is_some_and(|s| s > 86_400.0), "{d}");
    // The failed deployment was restored by the next successful one.
    assert!(d["time_to_restore_seconds"].as_f64().is_some_and(|s| s >= 0.0), "{d}");
}
