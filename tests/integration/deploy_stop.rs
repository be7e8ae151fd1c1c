//! Stopping a deployment in progress (`baton stop-deployment`, CodeDeploy's StopDeployment):
//! from another process, honoured at the next lifecycle event, the rest skipped, the execution
//! failing with DeploymentStopped, and a rollback deployment when the stop (or the group's
//! `auto_rollback: [stop]`) asks for one, and none otherwise.

use std::process::Output;
use std::time::Duration;

use baton_local::db::Db;
use baton_local::query::{self, DeploymentRow};

use crate::util::{Project, health};

/// The hello-app example, deployed once (version 1 becomes the group's last-good); then version
/// 2, whose BeforeInstall marks `started` and waits for `release` to exist.
async fn second_version_holding_in_before_install(auto_rollback: &str) -> (Project, std::path::PathBuf, std::path::PathBuf) {
    let project = Project::example("hello-app");
    project.edit("pipeline.yml", "auto_rollback: [failure, alarm]", auto_rollback);
    let (rt, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    drop(rt);
    let (started, release) = (project.path().join("started"), project.path().join("release"));
    project.edit(
        "scripts/before_install.sh",
        "set -eu\n",
        &format!(
            "set -eu\ntouch {}\nwhile [ ! -e {} ]; do sleep 0.05; done\n",
            started.display(),
            release.display()
        ),
    );
    (project, started, release)
}

/// While the second run holds in BeforeInstall on instance 0: `baton stop-deployment` with
/// `flags`, started in another process; BeforeInstall is let go once the stop is recorded.
async fn stop_while_holding(project: &Project, started: &std::path::Path, release: &std::path::Path, flags: &[&str]) -> Output {
    crate::util::until("BeforeInstall starts", Duration::from_secs(120), || started.exists().then_some(())).await;
    let db = project.db();
    let id: String = db
        .lock()
        .query_row("SELECT id FROM deployments ORDER BY rowid DESC LIMIT 1", [], |r| r.get(0))
        .expect("the deployment in progress");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(["stop-deployment", &id, "--reason", "wrong build"])
        .args(flags)
        .arg("--pipeline")
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env("USER", "ada")
        .env_remove("BATON_STATE_DIR");
    let stop = tokio::task::spawn_blocking(move || cmd.output().expect("baton runs"));
    crate::util::until("the stop is recorded", Duration::from_secs(120), || {
        let stops: i64 = db
            .lock()
            .query_row("SELECT COUNT(*) FROM deployment_stops", [], |r| r.get(0))
            .expect("stops");
        (stops > 0).then_some(())
    })
    .await;
    std::fs::write(release, "").expect("release BeforeInstall");
    stop.await.expect("join")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The execution's deployments once none is in progress (a rollback may outlive its execution).
async fn settled(db: &Db, execution: &str) -> Vec<DeploymentRow> {
    crate::util::until("the execution's deployments end", Duration::from_secs(120), || {
        let all = query::deployments(db, execution).expect("deployments");
        all.iter().all(|d| d.ended_at.is_some()).then_some(all)
    })
    .await
}

fn failed_with(db: &Db, execution: &str) -> String {
    let history = query::history(db, execution).expect("history");
    let last = serde_json::to_value(history.last().expect("events")).expect("json");
    last["executionFailedEventDetails"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_on_request_skips_the_rest_and_the_group_policy_rolls_it_back() {
    let (project, started, release) = second_version_holding_in_before_install("auto_rollback: [failure, alarm, stop]").await;
    let ((rt, record), stop) = tokio::join!(project.run(), stop_while_holding(&project, &started, &release, &[]));
    let said = text(&stop);
    assert_eq!(stop.status.code(), Some(0), "{said}");
    assert!(
        said.contains("then rolling back") && said.contains("Rollback deployment d-"),
        "{said}"
    );
    assert_eq!(record.status, "FAILED", "{record:?}");
    let db = project.db();
    assert_eq!(failed_with(&db, &record.id), "DeploymentStopped");

    let deployments = settled(&db, &record.id).await;
    let [stopped, rollback] = deployments.as_slice() else {
        panic!("the stopped deployment and its rollback, nothing else: {deployments:?}");
    };
    assert_eq!(stopped.status, "Stopped");
    let reason = stopped.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("MANUAL_STOP: stopped by ada: wrong build after 0 of 3 instances")
            && reason.ends_with(&format!("rolling back with deployment {}", rollback.id)),
        "{reason}"
    );
    // Instance 0 finished the hook it was in and skipped the rest; the others never started.
    let first = &stopped.instances[0];
    let events: Vec<(&str, &str)> = first.events.iter().map(|e| (e.event.as_str(), e.status.as_str())).collect();
    assert_eq!(
        events,
        [
            ("ApplicationStop", "Succeeded"),
            ("DownloadBundle", "Succeeded"),
            ("BeforeInstall", "Succeeded"),
            ("Install", "Skipped"),
            ("AfterInstall", "Skipped"),
            ("ApplicationStart", "Skipped"),
            ("ValidateService", "Skipped"),
        ]
    );
    assert_eq!(stopped.instances.len(), 1, "{:?}", stopped.instances);
    assert!(rollback.rollback && rollback.status == "Succeeded", "{rollback:?}");
    assert_eq!(rollback.rolls_back.as_deref(), Some(stopped.id.as_str()));
    assert_eq!(rollback.artifact["version"], 1);
    for i in query::instances(&db, "hello").expect("instances") {
        assert_eq!(i.artifact.as_ref().map(|a| a["version"].clone()), Some(1.into()), "{i:?}");
        let (status, body) = health(i.port).expect("the instance answers");
        assert_eq!((status, body["version"].as_str()), (200, Some("1")), "instance {}", i.index);
    }
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_without_rollback_leaves_the_group_as_it_stands() {
    // The group's policy would roll back a failure; a stop is not one, and the stop says no.
    let (project, started, release) = second_version_holding_in_before_install("auto_rollback: [failure, alarm, stop]").await;
    let ((rt, record), stop) = tokio::join!(project.run(), stop_while_holding(&project, &started, &release, &["--no-rollback"]));
    let said = text(&stop);
    assert_eq!(stop.status.code(), Some(0), "{said}");
    assert!(
        said.contains("without a rollback") && !said.contains("Rollback deployment"),
        "{said}"
    );
    let db = project.db();
    assert_eq!(failed_with(&db, &record.id), "DeploymentStopped");
    let deployments = settled(&db, &record.id).await;
    assert_eq!(deployments.len(), 1, "no rollback deployment: {deployments:?}");
    assert_eq!(deployments[0].status, "Stopped");
    let rollback = query::history(&db, &record.id)
        .expect("history")
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .filter_map(|e| e["taskSucceededEventDetails"]["output"].as_str().map(str::to_string))
        .find(|o| o.contains("rolled_back"))
        .expect("the pipeline's rollback step ran");
    assert!(rollback.contains("the stop decided about the rollback"), "{rollback}");

    // A stop of a deployment that has ended is refused, with what to do instead.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["stop-deployment", &deployments[0].id, "--pipeline"])
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env_remove("BATON_STATE_DIR")
        .output()
        .expect("baton runs");
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already ended (Stopped)") && text(&again).contains("baton rollback staging"));
    rt.teardown().await.expect("teardown");
}
