//! Manual approvals: a run waits at its approval until `baton approve` (another process)
//! answers through the run's inbox; rejection and timeout fail the execution before anything is
//! deployed.

use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use baton_local::{ExecutionRecord, LocalRuntime, coordination::inbox, query};
use serde_json::Map;
use tokio::task::JoinHandle;

use crate::util::{Project, metric_values, state, states};

/// hello-app with a `Release:Approve` approval between the build and the staging deploy.
fn project(timeout: &str) -> Project {
    let project = Project::example("hello-app");
    project.edit(
        "pipeline.yml",
        "  - name: Staging\n",
        &format!("  - name: Release\n    actions:\n      - {{ name: Approve, type: approval, message: Ship it?, timeout: {timeout} }}\n\n  - name: Staging\n"),
    );
    project
}

fn start(rt: &Arc<LocalRuntime>) -> JoinHandle<ExecutionRecord> {
    let rt = rt.clone();
    tokio::spawn(async move { rt.run(None, Map::new()).await.expect("run completes") })
}

/// The running execution's id, once it waits for its approval.
async fn wait_for_approval(project: &Project) -> String {
    wait_for_approval_of(project, "").await
}

/// Like [`wait_for_approval`], for an execution other than `previous`.
async fn wait_for_approval_of(project: &Project, previous: &str) -> String {
    let db = project.db();
    crate::util::until("an approval waits", Duration::from_secs(60), || {
        query::execution(&db, None)
            .expect("execution")
            .filter(|exec| exec.id != previous && inbox::waiting(&db, &exec.id).expect("waiting").len() == 1)
            .map(|exec| exec.id)
    })
    .await
}

/// `baton approve`, as another process, the way an approver runs it.
async fn approve(project: &Project, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("approve")
        .args(args)
        .arg("--pipeline")
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env("USER", "ada")
        .env_remove("BATON_STATE_DIR");
    tokio::task::spawn_blocking(move || cmd.output().expect("baton approve runs"))
        .await
        .expect("join")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_release_goes_on_to_deploy() {
    let project = project("10m");
    let rt = Arc::new(project.runtime().await);
    let run = start(&rt);
    let id = wait_for_approval(&project).await;
    // Nothing is deployed while the approval waits.
    assert!(query::deployments(&project.db(), &id).expect("deployments").is_empty());

    let out = approve(&project, &[&id[..12], "--comment", "staging looks good"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("Release:Approve waits for approval: Ship it?"), "{shown}");
    assert!(
        shown.contains("app@1 tests 2/2 passed"),
        "the approver sees what was built: {shown}"
    );
    assert!(!shown.contains("now runs"), "nothing runs before the first release: {shown}");

    let record = run.await.expect("join");
    assert!(record.succeeded(), "{record:?}");
    let db = project.db();
    let st = states(&db, &id);
    let result = state(&st, "Release:Approve").result.clone().expect("approval result");
    assert_eq!(
        (&result["approved"], &result["approver"], &result["comment"]),
        (&true.into(), &"ada".into(), &"staging looks good".into())
    );
    assert_eq!(state(&st, "Staging:Deploy").status, "SUCCEEDED");
    let waited = metric_values(&db, "ApprovalWaitTime");
    assert!(matches!(waited.as_slice(), [ms] if *ms > 0.0), "{waited:?}");
    assert!(
        !inbox::socket_path(&project.state_dir(), &id).exists(),
        "the inbox closes with the run"
    );

    // The next release's approver sees what it would replace.
    let run = start(&rt);
    let second = wait_for_approval_of(&project, &id).await;
    let out = approve(&project, &[&second, "--reject"]).await;
    let shown = text(&out);
    assert!(shown.contains("app@2") && shown.contains("group staging now runs app@1"), "{shown}");
    // Each build writes its build id into the bundle, so exactly that file differs.
    assert!(shown.contains("app@1 → app@2: 1 changed, 0 added, 0 removed"), "{shown}");
    assert_eq!(run.await.expect("join").error.as_deref(), Some("ApprovalRejected"));
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_release_fails_without_deploying() {
    let project = project("10m");
    let rt = Arc::new(project.runtime().await);
    let run = start(&rt);
    let id = wait_for_approval(&project).await;

    let wrong = approve(&project, &[&id, "--action", "Nope"]).await;
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(text(&wrong).contains("no approval `Nope` waiting"), "{}", text(&wrong));

    let out = approve(&project, &[&id, "--action", "Approve", "--reject", "--comment", "code freeze"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let record = run.await.expect("join");
    assert_eq!(record.error.as_deref(), Some("ApprovalRejected"), "{record:?}");
    assert_eq!(record.cause.as_deref(), Some("rejected by ada: code freeze"));
    assert!(states(&project.db(), &id).iter().all(|s| s.name != "Staging:Deploy"));

    let late = approve(&project, &[&id]).await;
    assert_eq!(late.status.code(), Some(2));
    assert!(text(&late).contains("is FAILED; nothing waits for approval"), "{}", text(&late));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_approval_times_out() {
    let project = project("1s");
    let rt = project.runtime().await;
    let record = rt.run(None, Map::new()).await.expect("run completes");
    assert_eq!(record.error.as_deref(), Some("States.Timeout"), "{record:?}");
    let db = project.db();
    assert!(
        inbox::waiting(&db, &record.id).expect("waiting").is_empty(),
        "the stale approval is cleared"
    );
    assert!(states(&db, &record.id).iter().all(|s| s.name != "Staging:Deploy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_release_supersedes_the_approval_that_waits_for_an_older_one() {
    // hello-app runs in SUPERSEDED mode, CodePipeline's default and Baton's.
    let project = project("10m");
    let rt = Arc::new(project.runtime().await);
    let older_run = start(&rt);
    let older = wait_for_approval(&project).await;

    // A newer commit's execution reaches the Release stage: the older approval gives way.
    let newer_run = start(&rt);
    let older_record = older_run.await.expect("join");
    assert_eq!(older_record.status, "SUPERSEDED", "{older_record:?}");
    let cause = older_record.cause.unwrap_or_default();
    assert!(
        cause.contains("arrived at stage Release while this one waited for approval"),
        "{cause}"
    );
    let db = project.db();
    assert!(
        states(&db, &older)
            .iter()
            .all(|s| s.name != "Staging:Deploy" && s.name != "Rollback")
    );

    let newer = wait_for_approval_of(&project, &older).await;
    // Ids sort by their second only; the start times say which one is newer.
    let started = |id: &str| query::execution(&db, Some(id)).expect("query").expect("execution").started_at;
    assert!(started(&newer) > started(&older), "the newer execution now waits: {newer}");
    let out = approve(&project, &[&newer]).await;
    assert!(out.status.success(), "{}", text(&out));
    let newer_record = newer_run.await.expect("join");
    assert!(newer_record.succeeded(), "{newer_record:?}");
    let deployed = query::deployments(&db, &newer).expect("deployments");
    assert!(!deployed.is_empty(), "the newer release deployed");
    assert!(query::deployments(&db, &older).expect("deployments").is_empty());
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_that_starts_behind_a_newer_waiting_execution_gives_way_at_once() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nexecution_mode: SUPERSEDED\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n  - name: Release\n    actions:\n      - { name: Check, type: build, buildspec: check.yml }\n      - { name: Approve, type: approval, run_order: 2, timeout: 10m }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: [echo made]\n"),
    ]);
    let hold = project.path().join("HOLD");
    std::fs::write(
        project.path().join("check.yml"),
        format!(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - while [ -f {} ]; do sleep 0.05; done\n",
            hold.display()
        ),
    )
    .expect("check.yml");
    std::fs::write(&hold, "").expect("hold");
    let rt = Arc::new(project.runtime().await);
    let older_run = start(&rt);
    let db = project.db();
    let checking = || {
        db.lock()
            .query_row("SELECT COUNT(*) FROM builds WHERE action = 'Release:Check'", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_or_default()
            == 1
    };
    until("the older execution's Release:Check", &checking).await;
    let older = query::execution(&db, None).expect("query").expect("older").id;

    // The newer one waits in front of Release while the older still checks, before its approval.
    let newer_run = start(&rt);
    let waits = || {
        db.pending_list(baton_core::stages::gate::KEYS)
            .expect("pending")
            .iter()
            .any(|(k, _, _)| k.ends_with("/Release") && !k.contains(&older))
    };
    until("the newer execution's wait in front of Release", &waits).await;
    std::fs::remove_file(&hold).expect("release the check");

    let older_record = older_run.await.expect("join");
    assert_eq!(older_record.status, "SUPERSEDED", "{older_record:?}");
    let newer = wait_for_approval_of(&project, &older).await;
    assert!(approve(&project, &[&newer]).await.status.success());
    assert!(newer_run.await.expect("join").succeeded());
}

async fn until(what: &str, done: &dyn Fn() -> bool) {
    crate::util::until(what, Duration::from_secs(60), || done().then_some(())).await;
}
