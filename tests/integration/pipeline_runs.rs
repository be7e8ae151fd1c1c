//! The walking skeleton's two scenarios, run in-process: a good release goes all the way; a
//! broken one is rolled back to the last good version.

use baton_local::query;

use baton_local::db::Db;

use crate::util::{Project, health, metric_values, state, states};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_app_deploys_and_bakes() {
    let project = Project::example("hello-app");
    let (rt, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");

    let db = project.db();
    let st = states(&db, &record.id);
    for name in ["Source", "Build:Compile", "Build:Lint", "Staging:Deploy", "Staging:Bake"] {
        assert_eq!(state(&st, name).status, "SUCCEEDED", "{name}: {:?}", state(&st, name));
    }
    assert!(st.iter().all(|s| !s.name.starts_with("Rollback")), "no rollback on a good release");
    let compile = state(&st, "Build:Compile").result.as_ref().expect("compile result");
    assert_eq!(compile["reports"][0]["group"], "unit");
    assert_eq!(
        (compile["reports"][0]["total"].as_u64(), compile["reports"][0]["failed"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(metric_values(&project.db(), "TestsPassed"), [2.0]);

    // Artifact version 1, with its digest and provenance.
    let manifests = rt.store().list("hello", Some("app")).expect("list");
    assert_eq!(manifests.len(), 1);
    let app = &manifests[0];
    assert_eq!(app.artifact.version, 1);
    assert!(app.artifact.digest.starts_with("sha256:") && app.artifact.digest.len() == 71);
    assert_eq!(app.provenance.execution_id, record.id);
    assert_eq!(app.provenance.action, "Build:Compile");
    assert_eq!(app.provenance.inputs[0].name, "source");

    // One deployment, one at a time across three instances that now serve version 1.
    let deployments = query::deployments(&db, &record.id).expect("deployments");
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0].status, "Succeeded");
    let instances = query::instances(&db, "hello").expect("instances");
    assert_eq!(instances.len(), 3);
    for i in &instances {
        let (status, body) = health(i.port).expect("instance answers");
        assert_eq!(status, 200);
        assert_eq!(body["version"], "1");
        assert_eq!(body["build_id"], app.provenance.build_id.clone().expect("build id"));
    }
    let order: Vec<(i64, String)> = db
        .lock()
        .prepare("SELECT instance, started_at FROM instance_events WHERE event = 'BeforeInstall' ORDER BY started_at")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).and_then(Iterator::collect))
        .expect("events");
    assert_eq!(
        order.iter().map(|o| o.0).collect::<Vec<_>>(),
        [0, 1, 2],
        "OneAtATime goes instance by instance"
    );

    // Stage durations are published when the execution ends.
    let series = query::metric_series(&db).expect("series");
    for stage in ["Build", "Staging"] {
        assert!(
            series
                .iter()
                .any(|s| s.name == "StageDuration" && s.dimensions.get("Stage").map(String::as_str) == Some(stage)),
            "no StageDuration for {stage}"
        );
    }

    // The bake made version 1 the group's last-good revision.
    use baton_core::ports::ArtifactStore;
    assert_eq!(
        rt.store()
            .last_good("hello", "staging")
            .await
            .expect("last good")
            .map(|a| a.version),
        Some(1)
    );

    assert_eq!(rt.teardown().await.expect("teardown"), 3);
    for i in &instances {
        assert!(health(i.port).is_none(), "instance {} still answers after teardown", i.index);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_release_rolls_back_to_last_good() {
    let project = Project::example("hello-app");
    let (_, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");

    project.edit("src/hello/app.py", "HEALTHY = True", "HEALTHY = False");
    let (rt, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    assert_eq!(record.error.as_deref(), Some("DeployFailed"), "{record:?}");

    let db = project.db();
    let st = states(&db, &record.id);
    assert_eq!(state(&st, "Build:Compile").status, "SUCCEEDED");
    assert_eq!(state(&st, "Staging:Deploy").status, "FAILED");
    let rollback = state(&st, "Rollback:staging");
    assert_eq!(rollback.status, "SUCCEEDED");
    assert_eq!(rollback.result.as_ref().expect("rollback result")["rolled_back"], true);
    assert_eq!(state(&st, "Failed").status, "FAILED");

    let deployments = query::deployments(&db, &record.id).expect("deployments");
    assert_eq!(
        deployments
            .iter()
            .map(|d| (d.status.as_str(), d.rollback, d.artifact["version"].as_u64()))
            .collect::<Vec<_>>(),
        [("Failed", false, Some(2)), ("Succeeded", true, Some(1))]
    );
    // The rollback links to what it replaced, and each instance says how far it got.
    let (failed, restore) = (&deployments[0], &deployments[1]);
    assert_eq!(restore.rolls_back.as_deref(), Some(failed.id.as_str()));
    assert_eq!(failed.rolled_back_by.as_deref(), Some(restore.id.as_str()));
    let first = &failed.instances[0];
    let events: Vec<(&str, &str)> = first.events.iter().map(|e| (e.event.as_str(), e.status.as_str())).collect();
    assert_eq!(events.last(), Some(&("ValidateService", "Failed")), "{events:?}");
    assert!(events.contains(&("ApplicationStart", "Succeeded")), "{events:?}");
    assert!(first.events.last().and_then(|e| e.message.as_deref()).is_some());
    assert!(restore.instances.len() == 3 && restore.instances.iter().all(|i| i.events.iter().all(|e| e.status == "Succeeded")));
    let shown = project.baton(&["status", &record.id]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(text.contains(&format!("(rolled back by {})", restore.id)), "{text}");
    assert!(text.contains(&format!("(rollback of {})", failed.id)), "{text}");
    assert!(
        text.contains("#0   ApplicationStop → DownloadBundle → BeforeInstall → Install"),
        "{text}"
    );
    for i in query::instances(&db, "hello").expect("instances") {
        let (status, body) = health(i.port).expect("instance answers");
        assert_eq!(
            (status, body["version"].as_str()),
            (200, Some("1")),
            "instance {} serves version 1 again",
            i.index
        );
    }
    // History uses Step Functions' own event names, ending in ExecutionFailed.
    let history = query::history(&db, &record.id).expect("history");
    assert_eq!(history.first().map(|e| e.kind.as_ref()), Some("ExecutionStarted"));
    assert_eq!(history.last().map(|e| e.kind.as_ref()), Some("ExecutionFailed"));
    assert!(
        history
            .iter()
            .any(|e| e.kind == "ParallelStateEntered" && e.state_name() == Some("Rollback"))
    );
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_that_degrades_during_bake_is_rolled_back_by_its_alarm() {
    let project = Project::example("hello-app");
    let (_, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    let dora = |db: &Db| baton_local::dora::compute(db, "hello", 0, chrono::Utc::now().timestamp_millis()).expect("dora");
    let before = dora(&project.db());
    assert_eq!(
        (
            before.deploying_executions,
            before.successful_deployments,
            before.change_failure_rate
        ),
        (1, 1, Some(0.0))
    );
    assert!(before.lead_time_seconds.is_some_and(|s| s >= 0.0));

    // Passes ValidateService, then /health fails two seconds after each instance starts.
    project.edit("src/hello/app.py", "DEGRADE_AFTER_SECONDS = None", "DEGRADE_AFTER_SECONDS = 2");
    let (rt, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    assert_eq!(record.error.as_deref(), Some("AlarmTriggered"), "{record:?}");
    assert!(record.cause.as_deref().unwrap_or_default().contains("staging-health"), "{record:?}");

    let db = project.db();
    let st = states(&db, &record.id);
    assert_eq!(state(&st, "Staging:Deploy").status, "SUCCEEDED");
    assert_eq!(state(&st, "Staging:Bake").status, "FAILED");
    assert_eq!(
        state(&st, "Rollback:staging").result.as_ref().expect("rollback result")["rolled_back"],
        true
    );

    // The alarm's history shows the transition that caused it.
    let history: Vec<(String, String)> = db
        .lock()
        .prepare("SELECT old_state, new_state FROM alarm_history WHERE name = 'staging-health' ORDER BY rowid")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).and_then(Iterator::collect))
        .expect("alarm history");
    assert!(history.iter().any(|(_, new)| new == "ALARM"), "{history:?}");

    for i in query::instances(&db, "hello").expect("instances") {
        let (status, body) = health(i.port).expect("instance answers");
        assert_eq!(
            (status, body["version"].as_str()),
            (200, Some("1")),
            "instance {} is back on version 1",
            i.index
        );
    }
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_unit_test_stops_the_build_and_is_named_in_the_error() {
    let project = Project::example("hello-app");
    project.edit(
        "tests/test_app.py",
        "class GreetingTest(unittest.TestCase):",
        "class GreetingTest(unittest.TestCase):\n    def test_shouts(self):\n        self.assertEqual(app.greeting(\"Ada\"), \"HELLO ADA\")\n",
    );
    let (rt, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    let db = project.db();
    let st = states(&db, &record.id);
    let compile = state(&st, "Build:Compile");
    assert_eq!(compile.status, "FAILED");
    let cause = compile.cause.as_deref().expect("cause");
    assert!(cause.contains("1 of 3 tests failed: test_app.GreetingTest.test_shouts"), "{cause}");
    // Why, without opening the log: the failing command, its exit status, what it printed last.
    assert!(
        cause.contains("Error while executing command: python3 tests/junit.py reports/unit.xml. Reason: exit status 1"),
        "{cause}"
    );
    assert!(cause.contains("its last output: "), "{cause}");
    assert_eq!(metric_values(&db, "TestsFailed"), [1.0]);
    assert_eq!(metric_values(&db, "TestsPassed"), [2.0]);
    assert!(st.iter().all(|s| s.name != "Staging:Deploy"), "nothing is deployed");
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_rollback_redeploys_a_chosen_or_the_last_good_version() {
    let project = Project::example("hello-app");
    for _ in 0..2 {
        let (_, record) = project.run().await;
        assert!(record.succeeded(), "{record:?}");
    }
    let rollback = |args: &[&str]| project.baton(&[&["rollback"], args].concat());
    let serving = || -> Vec<String> {
        query::instances(&project.db(), "hello")
            .expect("instances")
            .iter()
            .map(|i| {
                health(i.port)
                    .map(|(_, b)| b["version"].as_str().unwrap_or_default().to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(serving(), ["2", "2", "2"]);

    let out = rollback(&["staging", "--to", "app@1"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("rolling back group staging: app@2 → app@1") && text.contains("Succeeded"),
        "{text}"
    );
    assert_eq!(serving(), ["1", "1", "1"]);

    // Without --to: the last-good revision, app@2 (it passed its bake).
    let out = rollback(&["staging"]);
    assert!(out.status.success());
    assert_eq!(serving(), ["2", "2", "2"]);
    let again = rollback(&["staging"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already runs app@2; nothing to do"));

    let missing = rollback(&["staging", "--to", "app@9"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("stored versions of `app`: 1, 2"));
    project.runtime().await.teardown().await.expect("teardown");
}

/// An action cancelled because a parallel sibling failed ends STOPPED in `status`, as `logs`
/// says, not RUNNING for ever in a FAILED execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sibling_cancelled_by_a_failure_is_stopped_not_running() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Test\n    actions:\n      - { name: Fails, type: test, buildspec: fails.yml }\n      - { name: Slow, type: test, buildspec: slow.yml }\n",
        ),
        ("fails.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'false'\n"),
        ("slow.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n"),
    ]);
    let (_, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    let st = states(&project.db(), &record.id);
    assert_eq!(state(&st, "Test:Fails").status, "FAILED");
    let slow = state(&st, "Test:Slow");
    assert_eq!(slow.status, "STOPPED", "{slow:?}");
    assert!(slow.exited_at.is_some());
}

/// A manual deployment of a chosen version is a new deployment: when it fails the group's
/// `auto_rollback: [failure]` takes it back to the last-good revision, as in an execution, and
/// `status` says what each instance holds (the broken version where it was installed, until the
/// rollback replaces it), not the old version healthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_manual_deployment_is_rolled_back_and_the_group_says_what_it_runs() {
    let project = Project::example("hello-app");
    for _ in 0..2 {
        let (_, record) = project.run().await;
        assert!(record.succeeded(), "{record:?}");
    }
    project.edit("src/hello/app.py", "HEALTHY = True", "HEALTHY = False");
    let (_, broken) = project.run().await;
    assert_eq!(broken.status, "FAILED", "app@3 fails its ValidateService");

    // `baton logs EXECUTION Deploy`: the deployment and its rollback apart, per instance, each
    // hook's output under its own deployment.
    let logs = project.baton(&["logs", &broken.id, "Deploy"]);
    let said = String::from_utf8_lossy(&logs.stdout).into_owned();
    assert!(logs.status.success(), "{said}{}", String::from_utf8_lossy(&logs.stderr));
    let (deployment, rollback) = said.split_once("rollback deployment").expect("the rollback apart");
    assert!(
        deployment.contains("==> Staging:Deploy · deployment") && deployment.contains("app@3 · Failed"),
        "{said}"
    );
    assert!(
        deployment.contains("ValidateService") && deployment.contains("│ unhealthy:"),
        "{said}"
    );
    assert!(
        rollback.contains("app@2 · Succeeded") && rollback.contains("│ healthy:") && !rollback.contains("│ unhealthy:"),
        "{said}"
    );

    let out = project.baton(&["rollback", "staging", "--to", "app@3"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Failed") && text.contains("rolling back to its last-good app@2") && text.contains("rollback deployment"),
        "{text}"
    );
    let instances = query::instances(&project.db(), "hello").expect("instances");
    let serving: Vec<String> = instances
        .iter()
        .map(|i| {
            health(i.port)
                .map(|(_, b)| b["version"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(serving, ["2", "2", "2"]);
    for i in &instances {
        assert_eq!(i.artifact.as_ref().and_then(|a| a["version"].as_u64()), Some(2), "{i:?}");
    }
    project.runtime().await.teardown().await.expect("teardown");
}
