//! Faults injected into the local adapters' operations (their `fail` points): a transient
//! failure of any port is ridden out by the state machine's retries or the event's redelivery,
//! with one effect; a permanent one fails the run with an error that names it, and leaves
//! nothing half done. A test binary of its own: fault points are process-wide.

use std::path::Path;

use baton_local::{LocalRuntime, RuntimeOptions, query};
use serde_json::Map;

const PIPELINE: &str = "name: p
stages:
  - name: Build
    actions:
      - { name: Make, type: build, outputs: [app] }
  - name: Ship
    actions:
      - { name: Deploy, type: deploy, input: app, group: web }
deployment_groups:
  web: { instances: 1, config: OneAtATime }
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        ("pipeline.yml", PIPELINE),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands: ['echo built > index.html']\nartifacts:\n  files: [index.html, appspec.yml]\n",
        ),
        (
            "appspec.yml",
            "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /site\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

async fn runtime(dir: &Path) -> LocalRuntime {
    let options = RuntimeOptions {
        state_dir: Some(dir.join(".baton")),
        working_tree: false,
    };
    LocalRuntime::open(&dir.join("pipeline.yml"), options).await.expect("runtime")
}

fn count(rt: &LocalRuntime, sql: &str, execution: &str) -> i64 {
    rt.db().lock().query_row(sql, [execution], |r| r.get(0)).expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_port_faults_are_ridden_out_and_permanent_ones_fail_cleanly() {
    let scenario = fail::FailScenario::setup();
    let dir = project();
    let rt = runtime(dir.path()).await;

    // Every port fails once, transiently: the run succeeds with one effect each. The source's
    // version is stored first; the build's output (stored while its end event is handled) is
    // the one that fails, so that event must be delivered again.
    for point in ["source.snapshot", "builds.start", "pending.take", "deploy.start", "metrics.put"] {
        fail::cfg(point, "1*return(transient)").expect("fail point");
    }
    fail::cfg("artifacts.put", "1*off->1*return(transient)").expect("fail point");
    let record = rt.run(None, Map::new()).await.expect("run");
    assert_eq!(record.status, "SUCCEEDED", "{:?}", record.cause);
    let id = &record.id;
    let app = "SELECT COUNT(*) FROM artifacts WHERE name = 'app' AND json_extract(manifest, '$.provenance.execution_id') = ?1";
    assert_eq!(count(&rt, app, id), 1, "one version of the build's output");
    assert_eq!(
        count(&rt, "SELECT COUNT(*) FROM builds WHERE execution_id = ?1", id),
        1,
        "one build"
    );
    assert_eq!(
        count(&rt, "SELECT COUNT(*) FROM deployments WHERE execution_id = ?1", id),
        1,
        "one deployment"
    );
    let retried = query::history(rt.db(), id)
        .expect("history")
        .iter()
        .filter(|e| e.kind == "TaskFailed" || e.kind == "LambdaFunctionFailed")
        .count();
    assert!(
        retried >= 3,
        "source, build and deploy starts were each retried: {retried} failures recorded"
    );

    // A permanent failure to start the deployment fails the run, naming the fault, and
    // deploys nothing.
    fail::cfg("deploy.start", "return(permanent)").expect("fail point");
    let record = rt.run(None, Map::new()).await.expect("run");
    assert_eq!(record.status, "FAILED");
    let cause = record.cause.clone().unwrap_or_default();
    assert!(cause.contains("injected fault at deploy.start"), "{cause}");
    // Recorded as Step Functions records a Lambda function's failure: the error is the error
    // payload's errorType, the cause that payload itself.
    let payload: serde_json::Value = serde_json::from_str(&cause).expect("the cause is the function's error payload");
    assert_eq!(payload["errorType"].as_str(), record.error.as_deref(), "{cause}");
    assert_eq!(
        count(
            &rt,
            "SELECT COUNT(*) FROM deployments WHERE execution_id = ?1 AND rollback = 0",
            &record.id
        ),
        0
    );
    fail::remove("deploy.start");

    // A build whose output cannot be stored fails, and no version of it exists.
    fail::cfg("artifacts.put", "return(permanent)").expect("fail point");
    let record = rt.run(None, Map::new()).await.expect("run");
    fail::remove("artifacts.put");
    assert_eq!(record.status, "FAILED");
    assert!(
        record.cause.clone().unwrap_or_default().contains("injected fault at artifacts.put"),
        "{:?}",
        record.cause
    );
    assert_eq!(count(&rt, app, &record.id), 0, "nothing partial is visible");

    rt.teardown().await.expect("teardown");
    scenario.teardown();
}
