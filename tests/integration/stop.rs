//! Stopping an execution. `baton stop --abandon` (another process, through the run's inbox) and
//! Ctrl-C in `baton run` abort the execution where it stands, stop its build (SIGTERM to the whole
//! process group, nothing left running) and leave no task waiting. Plain `baton stop` lets the
//! actions in progress finish and starts nothing after them; an approval ends at once.

use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_local::db::Db;
use baton_local::query;
use serde_json::Map;

use crate::util::{KillOnDrop, Project, until};

const PIPELINE: &str = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n";

/// A build that says its long work begins, starts a daemon, writes its pid beside the project,
/// then takes five minutes. The line comes first: a test stops the build once the pid is
/// written, and a stop between the two commands would leave the log without the line
/// `assert_stopped` looks for (CI saw that once, under load, when the line came second).
fn project() -> Project {
    let project = Project::with_files(&[("pipeline.yml", PIPELINE)]);
    let pid_file = project.path().join("daemon.pid");
    let buildspec = format!(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo long work begins\n      - sleep 300 & echo $! > {}\n      - sleep 300\n",
        pid_file.display()
    );
    std::fs::write(project.path().join("buildspec.yml"), buildspec).expect("buildspec");
    project
}

/// The running execution's id, once its build has started its daemon.
async fn wait_for_build(project: &Project) -> (String, String) {
    until("the build starts its daemon", Duration::from_secs(60), || {
        if project.state_dir().join("baton.db").exists()
            && let Some(exec) = query::execution(&project.db(), None).expect("execution")
            && let Ok(pid) = std::fs::read_to_string(project.path().join("daemon.pid"))
            && !pid.trim().is_empty()
        {
            return Some((exec.id, pid.trim().to_string()));
        }
        None
    })
    .await
}

/// Waits up to 5 s for process `pid` to be gone (or a zombie nobody reaped yet); fails as `what`.
async fn gone(pid: &str, what: &str) {
    until(what, Duration::from_secs(5), || {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')));
        (!alive).then_some(())
    })
    .await;
}

fn baton(project: &Project, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(args)
        .arg("--pipeline")
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env("USER", "ada")
        .env_remove("BATON_STATE_DIR");
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("baton runs"))
        .await
        .expect("join")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// What a stopped execution must leave: ABORTED, its build STOPPED in BUILD, nothing waiting.
fn assert_stopped(db: &Db, id: &str, cause: &str) {
    let exec = query::execution(db, Some(id)).expect("query").expect("the execution");
    assert_eq!(exec.status, "ABORTED");
    let history = query::history(db, id).expect("history");
    let last = history.last().expect("events");
    assert_eq!(last.kind.to_string(), "ExecutionAborted");
    let details = serde_json::to_value(last).expect("json");
    assert_eq!(details["executionAbortedEventDetails"]["error"], "Baton.Stopped");
    let recorded = details["executionAbortedEventDetails"]["cause"].as_str().unwrap_or_default();
    assert!(recorded.contains(cause), "{recorded}");
    let builds = query::builds(db, id).expect("builds");
    assert_eq!(builds.len(), 1);
    assert_eq!(builds[0].status, "STOPPED", "{builds:?}");
    let log = std::fs::read_to_string(&builds[0].log_path).expect("log");
    assert!(log.contains("long work begins") && !log.contains("UPLOAD"), "{log}");
    let phases: String = db
        .lock()
        .query_row("SELECT phases FROM builds WHERE id = ?1", [&builds[0].id], |r| r.get(0))
        .expect("phases");
    let phases: serde_json::Value = serde_json::from_str(&phases).expect("phases json");
    let build = phases
        .as_array()
        .and_then(|p| p.iter().find(|p| p["phaseType"] == "BUILD"))
        .expect("a BUILD phase");
    assert_eq!(build["phaseStatus"], "STOPPED", "{phases}");
    assert!(db.pending_list("").expect("pending").is_empty(), "no task waits any more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baton_stop_abandon_aborts_the_run_and_stops_its_build() {
    let project = project();
    let rt = Arc::new(project.runtime().await);
    let started = Instant::now();
    let run = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.run(None, Map::new()).await.expect("run completes") })
    };
    let (id, daemon) = wait_for_build(&project).await;

    let out = output(baton(&project, &["stop", &id[..12], "--abandon", "--reason", "wrong branch"])).await;
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!("Execution {id} ABORTED: stopped by ada: wrong branch")),
        "{said}"
    );
    assert!(said.contains("build Build:Compile stopped"), "{said}");
    // `baton stop` returned once the run had ended: the record is final, the daemon gone.
    gone(&daemon, "the build's daemon outlived the stop").await;
    let record = run.await.expect("join");
    assert_eq!(record.status, "ABORTED");
    assert!(started.elapsed() < Duration::from_secs(120), "stopped, not waited out");
    assert_stopped(&project.db(), &id, "stopped by ada: wrong branch");

    let again = output(baton(&project, &["stop", &id])).await;
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("is ABORTED; there is nothing to stop"), "{}", text(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_baton_run_stops_the_execution_and_exits_4() {
    let project = project();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.arg("run")
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env("USER", "ada")
        .env_remove("BATON_STATE_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("baton run starts");
    // Ended however the test ends: a failed assertion must not leave `baton run` behind.
    let child = KillOnDrop(Some(child));
    let (id, daemon) = wait_for_build(&project).await;
    let pid = child.0.as_ref().expect("child").id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
    assert!(sent.success());
    let out = output_of(child).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("ABORTED"), "{}", text(&out));
    gone(&daemon, "the build's daemon outlived Ctrl-C").await;
    assert_stopped(&project.db(), &id, "interrupted (Ctrl-C) by ada");
}

async fn output_of(mut child: KillOnDrop) -> Output {
    let c = child.0.take().expect("child");
    tokio::task::spawn_blocking(move || c.wait_with_output().expect("baton run ends"))
        .await
        .expect("join")
}

/// Build:Compile waits for a `go` file beside the project, then succeeds; Test:Unit follows.
fn two_stages() -> Project {
    let project = Project::with_files(&[(
        "pipeline.yml",
        "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n  - name: Test\n    actions:\n      - { name: Unit, type: build }\n",
    )]);
    let (go, started) = (project.path().join("go"), project.path().join("daemon.pid"));
    let buildspec = format!(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo $$ > {}\n      - while [ ! -f {} ]; do sleep 0.05; done\n      - echo compiled\n",
        started.display(),
        go.display()
    );
    std::fs::write(project.path().join("buildspec.yml"), buildspec).expect("buildspec");
    project
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_wait_lets_the_build_in_progress_finish_and_starts_nothing_after_it() {
    let project = two_stages();
    let rt = Arc::new(project.runtime().await);
    let run = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.run(None, Map::new()).await.expect("run completes") })
    };
    let (id, _) = wait_for_build(&project).await;
    let stop = baton(&project, &["stop", &id, "--reason", "release freeze"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton stop starts");
    let stop = KillOnDrop(Some(stop));
    // `baton stop` waits while the build is still at work.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        query::execution(&project.db(), Some(&id)).expect("query").expect("exec").status,
        "RUNNING"
    );
    std::fs::write(project.path().join("go"), "").expect("go");

    let out = output_of(stop).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the actions in progress finish first"), "{}", text(&out));
    assert!(text(&out).contains("ABORTED: stopped by ada: release freeze"), "{}", text(&out));
    let record = run.await.expect("join");
    assert_eq!(record.status, "ABORTED");
    let builds = query::builds(&project.db(), &id).expect("builds");
    let summary: Vec<(&str, &str)> = builds.iter().map(|b| (b.action.as_str(), b.status.as_str())).collect();
    assert_eq!(summary, [("Build:Compile", "SUCCEEDED")], "Test:Unit never started");
    assert!(project.db().pending_list("").expect("pending").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_wait_does_not_wait_for_an_approval_nobody_gave() {
    let project = Project::example("hello-app");
    project.edit(
        "pipeline.yml",
        "  - name: Staging\n",
        "  - name: Release\n    actions:\n      - { name: Approve, type: approval, timeout: 1h }\n\n  - name: Staging\n",
    );
    let rt = Arc::new(project.runtime().await);
    let run = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.run(None, Map::new()).await.expect("run completes") })
    };
    let id = until("an approval waits", Duration::from_secs(120), || {
        if project.state_dir().join("baton.db").exists()
            && let Some(exec) = query::execution(&project.db(), None).expect("execution")
            && baton_local::coordination::inbox::waiting(&project.db(), &exec.id)
                .expect("waiting")
                .len()
                == 1
        {
            return Some(exec.id);
        }
        None
    })
    .await;
    let out = output(baton(&project, &["stop", &id])).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ABORTED"), "{}", text(&out));
    assert_eq!(run.await.expect("join").status, "ABORTED");
    assert!(
        query::deployments(&project.db(), &id).expect("deployments").is_empty(),
        "nothing was deployed"
    );
    assert!(project.db().pending_list("").expect("pending").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_runners_execution_is_ended_by_whoever_opens_the_state_next() {
    let project = project();
    let child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("run")
        .arg(project.path())
        .env_remove("BATON_STATE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("baton run starts");
    let mut child = KillOnDrop(Some(child));
    let (id, daemon) = wait_for_build(&project).await;
    // SIGKILL: nothing of the runner gets to record anything.
    let mut runner = child.0.take().expect("child");
    runner.kill().expect("SIGKILL");
    runner.wait().expect("reaped");
    assert_eq!(
        query::execution(&project.db(), Some(&id)).expect("query").expect("exec").status,
        "RUNNING"
    );

    let out = output(baton(&project, &["status", &id])).await;
    assert!(text(&out).contains("ABORTED"), "{}", text(&out));
    let exec = query::execution(&project.db(), Some(&id)).expect("query").expect("exec");
    assert_eq!((exec.status.as_str(), exec.error.as_deref()), ("ABORTED", Some("Baton.RunnerLost")));
    let builds = query::builds(&project.db(), &id).expect("builds");
    assert_eq!(builds[0].status, "FAULT");
    gone(&daemon, "the lost build's daemon was left running").await;
    assert!(project.db().pending_list("").expect("pending").is_empty());
}
