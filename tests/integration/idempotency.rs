//! Exactly-once effects on at-least-once delivery. Step Functions retries a task whose Lambda
//! failed to answer and EventBridge may deliver twice, so every stage function is invoked
//! here three times with the same payload (two at once, then one more) and must have one
//! effect: one source version, one build, one deployment, one rollback, one parked wait.

use std::time::Duration;

use baton_core::ports::{ArtifactRef, ArtifactStore, Provenance, StagedArtifact};
use baton_local::{LocalRuntime, query};
use serde_json::{Value, json};

use crate::util::{Project, until};

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
    until(&format!("deployment {id} ended"), Duration::from_secs(60), || {
        let status: String = project
            .db()
            .lock()
            .query_row("SELECT status FROM deployments WHERE id = ?1", [id], |r| r.get(0))
            .expect("deployment");
        matches!(status.as_str(), "Succeeded" | "Failed" | "Stopped").then_some(status)
    })
    .await
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

/// Task callbacks whose first answer cannot be sent (Step Functions throttled it).
#[derive(Default)]
struct FlakyCallbacks {
    calls: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl baton_core::ports::TaskCallbacks for FlakyCallbacks {
    async fn succeed(&self, token: &str, _output: Value) -> baton_core::ports::PortResult<bool> {
        let mut calls = self.calls.lock().expect("calls");
        calls.push(token.to_string());
        if calls.len() == 1 {
            return Err(baton_core::ports::PortError::transient("SendTaskSuccess: throttled"));
        }
        Ok(true)
    }

    async fn fail(&self, token: &str, _error: &str, _cause: &str) -> baton_core::ports::PortResult<bool> {
        self.succeed(token, Value::Null).await
    }
}

/// A decision whose answer cannot be sent keeps its waiting task for the redelivery, which
/// answers it, once.
#[tokio::test]
async fn a_decision_whose_callback_fails_is_kept_for_its_redelivery() {
    use baton_core::ports::{PendingTask, PendingTasks};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = std::sync::Arc::new(baton_local::db::Db::open(&dir.path().join("baton.db")).expect("db"));
    let pending = baton_local::coordination::bus::SqlitePendingTasks::new(db.clone());
    let metrics = baton_local::cloudwatch::SqliteMetrics::new(db);
    let callbacks = FlakyCallbacks::default();
    let key = baton_core::stages::gate::key("e1", "Ship");
    let task = PendingTask {
        token: "t-gate".into(),
        context: json!({ "pipeline": "p" }),
    };
    pending.put(&key, &task).await.expect("park");
    let decision = baton_core::events::Event::StageEntered {
        execution_id: "e1".into(),
        stage: "Ship".into(),
    };
    let first = baton_core::stages::gate::answer(&pending, &callbacks, &metrics, decision.clone()).await;
    assert!(first.is_err(), "the failed answer is reported, for the redelivery");
    assert!(pending.list(&key).await.expect("list").len() == 1, "and the task waits again");
    baton_core::stages::gate::answer(&pending, &callbacks, &metrics, decision.clone())
        .await
        .expect("answered");
    assert!(pending.list(&key).await.expect("list").is_empty());
    baton_core::stages::gate::answer(&pending, &callbacks, &metrics, decision)
        .await
        .expect("a third delivery");
    assert_eq!(
        *callbacks.calls.lock().expect("calls"),
        ["t-gate", "t-gate"],
        "answered once after the failure"
    );
}
