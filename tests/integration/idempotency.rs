//! Exactly-once effects on at-least-once delivery. Step Functions retries a task whose Lambda
//! failed to answer and EventBridge may deliver twice, so every stage function is invoked
//! here three times with the same payload (two at once, then one more) and must have one
//! effect: one source version, one build, one deployment, one rollback, one parked wait.

use std::time::{Duration, Instant};

use baton_core::ports::{ArtifactRef, ArtifactStore, Provenance, StagedArtifact};
use baton_local::{LocalRuntime, query};
use serde_json::{Value, json};

use crate::util::Project;

const EXECUTION: &str = "20261201-070000-1dem90";

fn project() -> Project {
    Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n  - name: Ship\n    actions:\n      - { name: Deploy, type: deploy, input: source, group: web }\n      - { name: Approve, type: approval, run_order: 2 }\ndeployment_groups:\n  web:\n    instances: 2\n    config: OneAtATime\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['sleep 1']\n"),
        (
            "appspec.yml",
            "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /site\n",
        ),
        ("index.html", "<h1>one</h1>\n"),
    ])
}

/// Three deliveries of one payload: two at once, then one more. Every answer must agree.
async fn thrice(rt: &LocalRuntime, function: &str, payload: Value) -> Value {
    let (a, b) = tokio::join!(rt.invoke(function, payload.clone()), rt.invoke(function, payload.clone()));
    let c = rt.invoke(function, payload).await;
    let (a, b, c) = (a.expect(function), b.expect(function), c.expect(function));
    assert_eq!(a, b, "{function}: concurrent deliveries disagree");
    assert_eq!(a, c, "{function}: a later delivery disagrees");
    a
}

fn count(project: &Project, sql: &str) -> i64 {
    project.db().lock().query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Waits until the deployment `id` has ended; a test must not leave one running.
async fn ended(project: &Project, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status: String = project
            .db()
            .lock()
            .query_row("SELECT status FROM deployments WHERE id = ?1", [id], |r| r.get(0))
            .expect("deployment");
        if matches!(status.as_str(), "Succeeded" | "Failed" | "Stopped") {
            return status;
        }
        assert!(Instant::now() < deadline, "deployment {id} did not end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_stage_function_delivered_three_times_has_one_effect() {
    let project = project();
    let rt = project.runtime().await;
    let common = |action: &str, token: &str| json!({ "task_token": token, "pipeline": "p", "execution_id": EXECUTION, "action": action, "attempt": 0 });

    let doc = thrice(
        &rt,
        "Source",
        json!({ "pipeline": "p", "execution_id": EXECUTION, "stages": ["Build", "Ship"], "variables": {} }),
    )
    .await;
    let source: ArtifactRef = serde_json::from_value(doc["source"]["artifact"].clone()).expect("artifact");
    assert_eq!(count(&project, "SELECT COUNT(*) FROM artifacts WHERE name = 'source'"), 1);

    let mut build = common("Build:Make", "t-build");
    build["buildspec"] = json!("buildspec.yml");
    build["timeout_secs"] = json!(600);
    build["source"] = serde_json::to_value(&source).expect("json");
    let started = thrice(&rt, "Build", build).await;
    assert!(started["build_id"].is_string(), "{started}");
    assert_eq!(count(&project, "SELECT COUNT(*) FROM builds"), 1);

    let mut deploy = common("Ship:Deploy", "t-deploy");
    deploy["group"] = json!("web");
    deploy["artifact"] = serde_json::to_value(&source).expect("json");
    deploy["mark_good"] = json!(true);
    let first = thrice(&rt, "Deploy", deploy).await;
    let first_id = first["deployment_id"].as_str().expect("deployment id").to_string();
    assert_eq!(count(&project, "SELECT COUNT(*) FROM deployments"), 1);
    assert_eq!(ended(&project, &first_id).await, "Succeeded");

    // A newer revision goes out; then the rollback path runs, delivered three times too.
    std::fs::write(project.path().join("index.html"), "<h1>two</h1>\n").expect("edit");
    let staged = StagedArtifact {
        name: "source".into(),
        location: project.path().to_string_lossy().into_owned(),
    };
    let provenance = Provenance {
        pipeline: "p".into(),
        execution_id: "later".into(),
        action: "Source".into(),
        ..Provenance::default()
    };
    let two = rt.store().put(&staged, provenance).await.expect("stored").artifact;
    let mut second = common("Ship:Deploy", "t-deploy-2");
    second["execution_id"] = json!("later");
    second["group"] = json!("web");
    second["artifact"] = serde_json::to_value(&two).expect("json");
    let second = thrice(&rt, "Deploy", second).await;
    assert_eq!(ended(&project, second["deployment_id"].as_str().expect("id")).await, "Succeeded");
    let mut rollback = common("Rollback:web", "t-rollback");
    rollback["execution_id"] = json!("later");
    rollback["group"] = json!("web");
    rollback["on_failure"] = json!(true);
    rollback["on_alarm"] = json!(true);
    rollback["error"] = json!("DeployFailed");
    let rolled = thrice(&rt, "Rollback", rollback).await;
    assert_eq!(rolled["to"], serde_json::to_value(&source).expect("json"), "{rolled}");
    assert_eq!(count(&project, "SELECT COUNT(*) FROM deployments WHERE rollback = 1"), 1);
    assert_eq!(ended(&project, rolled["deployment_id"].as_str().expect("id")).await, "Succeeded");

    let mut bake = common("Ship:Bake", "t-bake");
    bake["group"] = json!("web");
    bake["alarms"] = json!([]);
    bake["duration_secs"] = json!(3600);
    bake["artifact"] = serde_json::to_value(&source).expect("json");
    thrice(&rt, "Bake", bake).await;

    let mut approval = common("Ship:Approve", "t-approve");
    approval["message"] = json!("ship it?");
    thrice(&rt, "Approval", approval).await;
    // The gate orders executions by their row; this one is started by hand.
    project
        .db()
        .lock()
        .execute(
            "INSERT INTO executions (id, pipeline, arn, status, started_at, input) VALUES ('waiting', 'p', 'arn', 'RUNNING', '2026-12-01T07:00:00Z', '{}')",
            [],
        )
        .expect("execution row");
    let mut gate = json!({ "task_token": "t-gate", "pipeline": "p", "execution_id": "waiting", "stage": "Ship", "mode": "QUEUED" });
    gate["started"] = json!("2026-12-01T07:00:00Z");
    thrice(&rt, "Gate", gate).await;
    let parked: Vec<String> = project
        .db()
        .pending_list("")
        .expect("pending")
        .into_iter()
        .map(|(k, _, _)| k)
        .collect();
    let approvals = parked.iter().filter(|k| k.starts_with("approval/")).count();
    assert_eq!(approvals, 1, "{parked:?}");
    assert_eq!(parked.iter().filter(|k| k.starts_with("bake/")).count(), 1, "{parked:?}");
    assert_eq!(parked.iter().filter(|k| k.starts_with("gate/waiting/")).count(), 1, "{parked:?}");

    assert_eq!(query::builds(&project.db(), EXECUTION).expect("builds").len(), 1);
    rt.teardown().await.expect("teardown");
}
