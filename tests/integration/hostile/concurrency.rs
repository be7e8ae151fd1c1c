//! Concurrent runs of a pipeline with health-checked deployments and an alarm: each run ends as
//! its execution mode promises (QUEUED and PARALLEL: all succeed; SUPERSEDED: each succeeds or
//! is overtaken by a newer one), and none by a false alarm. The probe: three `baton run` at once
//! in QUEUED mode, and two of them rolled back on `AlarmTriggered` — every process probed the
//! instance another was deploying, each published its own `HealthCheckFailed` datapoint (which
//! `Sum` adds up), and each recorded the same OK→ALARM transition.

use std::process::{Command, Stdio};

use crate::util::Project;

async fn runs_at_once(mode: &str, n: usize) {
    let project = Project::example("hello-app");
    project.edit("pipeline.yml", "name: hello\n", &format!("name: hello\nexecution_mode: {mode}\n"));
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_baton"))
                .args(["run", "--json"])
                .arg(project.path())
                .env_remove("BATON_STATE_DIR")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("baton runs")
        })
        .collect();
    let outputs: Vec<_> =
        tokio::task::spawn_blocking(move || children.into_iter().map(|c| c.wait_with_output().expect("baton ends")).collect())
            .await
            .expect("joined");
    // Every run succeeds; in SUPERSEDED mode an older one may instead be overtaken (exit 3).
    let allowed: &[i32] = if mode == "SUPERSEDED" { &[0, 3] } else { &[0] };
    for out in &outputs {
        assert!(
            out.status.code().is_some_and(|c| allowed.contains(&c)),
            "{mode} × {n}: a run ended {:?}\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(outputs.iter().any(|o| o.status.success()), "{mode} × {n}: none succeeded");
    let db = project.db();
    let transitions: Vec<(String, String)> = db
        .lock()
        .prepare("SELECT old_state, new_state FROM alarm_history WHERE name = 'staging-health' ORDER BY rowid")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).and_then(Iterator::collect))
        .expect("alarm history");
    assert!(
        transitions.iter().all(|(_, to)| to != "ALARM"),
        "{mode} × {n}: a false alarm: {transitions:?}"
    );
    assert!(
        transitions.windows(2).all(|w| w[0].1 == w[1].0),
        "{mode} × {n}: a transition recorded twice: {transitions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_and_five_queued_runs_all_succeed_without_a_false_alarm() {
    runs_at_once("QUEUED", 3).await;
    runs_at_once("QUEUED", 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_and_five_superseded_runs_end_succeeded_or_superseded_without_a_false_alarm() {
    runs_at_once("SUPERSEDED", 3).await;
    runs_at_once("SUPERSEDED", 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_and_five_parallel_runs_all_succeed_without_a_false_alarm() {
    runs_at_once("PARALLEL", 3).await;
    runs_at_once("PARALLEL", 5).await;
}
