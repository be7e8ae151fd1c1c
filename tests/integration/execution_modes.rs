//! Execution modes: 50 executions started at once, in each mode, give CodePipeline's documented
//! outcome, and no two deployments ever overlap on the group.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::util::{KillOnDrop, Project, until};

/// How long a run may take to reach the stage a test waits for.
const WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 0.2\n      - mkdir -p dist/scripts\n      - echo \"$N\" > dist/n\n      - cp appspec.yml dist/ && cp scripts/start.sh dist/scripts/\nartifacts:\n  base-directory: dist\n  files: ['**/*']\n";
const APPSPEC: &str = "version: 0.0\nos: linux\nfiles:\n  - source: n\n    destination: /opt/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n";

/// The pipeline, and a hook that logs when each deployment starts and ends on the group.
fn project(mode: &str) -> Project {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            &format!(
                "name: modes\nexecution_mode: {mode}\n# N tells the executions apart (`--var N=n`).\nvariables:\n  N: none\nstages:\n  - name: Build\n    actions:\n      - name: Make\n        type: build\n        outputs: [app]\n  - name: Ship\n    actions:\n      - name: Deploy\n        type: deploy\n        input: app\n        group: live\ndeployment_groups:\n  live:\n    instances: 1\n    config: AllAtOnce\n"
            ),
        ),
        ("buildspec.yml", BUILDSPEC),
        ("appspec.yml", APPSPEC),
    ]);
    let log = project.path().join("deployments.log");
    let script = format!(
        "#!/bin/sh\necho \"start $DEPLOYMENT_ID\" >> {log}\nsleep 0.05\necho \"end $DEPLOYMENT_ID\" >> {log}\n",
        log = log.display()
    );
    std::fs::create_dir_all(project.path().join("scripts")).expect("mkdir");
    std::fs::write(project.path().join("scripts/start.sh"), script).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(project.path().join("scripts/start.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    project
}

struct Outcome {
    /// (N, status) in start order.
    executions: Vec<(u64, String)>,
    /// The N of each execution in the order it entered the Source stage: the queue's order.
    queued: Vec<u64>,
    /// The N of each deployment, in the order the group received them.
    deployed: Vec<u64>,
    /// How the executions that did not succeed ended, for the failure message.
    failures: Vec<String>,
}

async fn run_fifty(project: &Project) -> Outcome {
    let runtime = Arc::new(project.runtime().await);
    let mut runs = tokio::task::JoinSet::new();
    for n in 0..50u64 {
        let rt = runtime.clone();
        let vars: Map<String, Value> = [("N".to_string(), json!(n.to_string()))].into_iter().collect();
        runs.spawn(async move { rt.run(None, vars).await.expect("the run completes") });
    }
    let records = runs.join_all().await;
    assert_eq!(records.len(), 50);
    let failures = records
        .iter()
        .filter(|r| !r.succeeded())
        .map(|r| format!("{} {}: {:?} {:?}", r.id, r.status, r.error, r.cause))
        .collect();

    let db = project.db();
    let executions: Vec<(u64, String)> = db
        .lock()
        .prepare("SELECT input, status FROM executions ORDER BY rowid")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((n_of_input(&r.get::<_, String>(0)?), r.get(1)?)))
                .and_then(Iterator::collect)
        })
        .expect("executions");
    let deployed = deployed_in_order(project);
    let queued: Vec<u64> = db
        .lock()
        .prepare(
            "SELECT e.input FROM history h JOIN executions e ON e.id = h.execution_id \
             WHERE h.type = 'TaskStateEntered' AND json_extract(h.event, '$.stateEnteredEventDetails.name') = 'Source' \
             ORDER BY h.rowid",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok(n_of_input(&r.get::<_, String>(0)?)))
                .and_then(Iterator::collect)
        })
        .expect("history");
    Outcome {
        executions,
        queued,
        deployed,
        failures,
    }
}

/// The `N` variable an execution was started with, from its recorded input.
fn n_of_input(input: &str) -> u64 {
    let input: Value = serde_json::from_str(input).unwrap_or_default();
    input["variables"]["N"].as_str().unwrap_or_default().parse().unwrap_or(u64::MAX)
}

/// The N of each deployment in the order the group received them; panics if two overlapped.
fn deployed_in_order(project: &Project) -> Vec<u64> {
    let db = project.db();
    // Deployment ids map back to executions through the deployments table.
    let by_deployment: BTreeMap<String, String> = db
        .lock()
        .prepare("SELECT id, execution_id FROM deployments")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).and_then(Iterator::collect))
        .expect("deployments");
    let n_of: BTreeMap<String, u64> = db
        .lock()
        .prepare("SELECT id, input FROM executions")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, n_of_input(&r.get::<_, String>(1)?))))
                .and_then(Iterator::collect)
        })
        .expect("executions");
    let log = std::fs::read_to_string(project.path().join("deployments.log")).unwrap_or_default();
    let mut deployed = Vec::new();
    let mut open: Option<&str> = None;
    for line in log.lines() {
        match line.split_once(' ') {
            Some(("start", id)) => {
                assert!(
                    open.is_none(),
                    "deployment {id} started while {open:?} was running on the group:\n{log}"
                );
                open = Some(id);
                deployed.push(n_of[&by_deployment[id]]);
            }
            Some(("end", id)) => {
                assert_eq!(open, Some(id), "deployments interleaved:\n{log}");
                open = None;
            }
            _ => panic!("unexpected log line {line:?}"),
        }
    }
    deployed
}

fn ns_with(outcome: &Outcome, status: &str) -> Vec<u64> {
    outcome.executions.iter().filter(|(_, s)| s == status).map(|(n, _)| *n).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_executions_all_deploy_in_the_order_they_queued() {
    let project = project("QUEUED");
    let outcome = run_fifty(&project).await;
    assert_eq!(
        ns_with(&outcome, "SUCCEEDED").len(),
        50,
        "every execution succeeds: {:#?}",
        outcome.failures
    );
    assert_eq!(outcome.queued.len(), 50);
    // The queue forms in front of the first stage; nobody overtakes after that.
    assert_eq!(outcome.deployed, outcome.queued, "deployments follow the queue's order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superseded_executions_let_the_newest_overtake_the_waiting_ones() {
    let project = project("SUPERSEDED");
    let outcome = run_fifty(&project).await;
    let newest = outcome.executions.last().expect("executions").0;
    let succeeded = ns_with(&outcome, "SUCCEEDED");
    let superseded = ns_with(&outcome, "SUPERSEDED");
    assert_eq!(succeeded.len() + superseded.len(), 50, "nothing fails: {:?}", outcome.executions);
    assert!(succeeded.contains(&newest), "the newest execution is never overtaken");
    assert_eq!(outcome.deployed, succeeded, "exactly the executions that were not overtaken deploy");
    assert_eq!(outcome.deployed.last(), Some(&newest), "the newest change is the one left deployed");
    let order: Vec<u64> = outcome.executions.iter().map(|(n, _)| *n).collect();
    let position = |n: &u64| order.iter().position(|m| m == n);
    assert!(
        outcome.deployed.windows(2).all(|w| position(&w[0]) < position(&w[1])),
        "an older change never deploys after a newer one: {:?}",
        outcome.deployed
    );
    // The first arrival holds Build while the other 49 queue in front of it: all but the newest
    // of those are overtaken.
    assert!(
        superseded.len() >= 47,
        "waiting executions are overtaken, got {} superseded",
        superseded.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_executions_all_complete_without_overlapping_deployments() {
    let project = project("PARALLEL");
    let outcome = run_fifty(&project).await;
    assert_eq!(
        ns_with(&outcome, "SUCCEEDED").len(),
        50,
        "every execution succeeds: {:?}",
        outcome.executions
    );
    let mut deployed = outcome.deployed.clone();
    deployed.sort_unstable();
    assert_eq!(deployed, (0..50).collect::<Vec<_>>(), "each execution deploys once");
}

/// Executions started by separate `baton` processes on one state directory share the stage
/// locks (decisions travel through each execution's inbox) and the group's deployment lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_in_separate_processes_queue_and_never_deploy_at_once() {
    for mode in ["QUEUED", "PARALLEL"] {
        let project = project(mode);
        let children: Vec<_> = (0..3)
            .map(|n| {
                let child = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
                    .args(["run", "--json", "--var", &format!("N={n}")])
                    .arg(project.path())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("baton runs");
                // QUEUED: distinct start times, so the start order is known; PARALLEL: all at
                // once, so that their deployments contend for the group.
                if mode == "QUEUED" {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
                child
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("baton ends");
            assert!(
                out.status.success(),
                "{mode}: {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let deployed = deployed_in_order(&project);
        if mode == "QUEUED" {
            assert_eq!(deployed, vec![0, 1, 2], "{mode}: deployments follow the start order");
        } else {
            let mut sorted = deployed.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, vec![0, 1, 2], "{mode}: each run deploys once");
        }
    }
}

/// A QUEUED project whose build holds Build until the file it returns exists.
fn held_build() -> (Project, std::path::PathBuf) {
    let project = project("QUEUED");
    let release = project.path().join("release");
    project.edit(
        "buildspec.yml",
        "      - sleep 0.2\n",
        &format!("      - while [ ! -e {} ]; do sleep 0.05; done\n", release.display()),
    );
    (project, release)
}

/// `baton run --var N=n` on the project, in its own process.
fn start_run(project: &Project, n: u32) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", "--json", "--var", &format!("N={n}")])
        .arg(project.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("baton runs")
}

/// `baton status` of an execution waiting for a stage shows who holds it and who waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_who_holds_a_stage_and_who_waits() {
    let (project, release) = held_build();
    let start = |n: u32| start_run(&project, n);
    let first = start(0);
    let status = |id: &str| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["status", id, "--json", "--pipeline"])
            .arg(project.path())
            .output()
            .expect("status");
        serde_json::from_slice(&out.stdout).unwrap_or_default()
    };
    // Wait until the first holds Build, then start the second, which queues in front of it.
    let ids = || -> Vec<String> {
        if !project.state_dir().join("baton.db").exists() {
            return Vec::new();
        }
        project
            .db()
            .lock()
            .prepare("SELECT id FROM executions ORDER BY rowid")
            .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
            .unwrap_or_default()
    };
    let holds = |id: &str, stage: &str| {
        status(id)["stage_locks"].as_array().is_some_and(|l| {
            l.iter()
                .any(|x| x["execution"] == id && x["stage"] == stage && x["holding"] == true)
        })
    };
    let held = || ids().first().is_some_and(|a| holds(a, "Build")).then_some(());
    until("the first run holding Build", WITHIN, held).await;
    let second = start(1);
    let waits = |id: &str, stage: &str| {
        status(id)["stage_locks"].as_array().is_some_and(|l| {
            l.iter()
                .any(|x| x["execution"] == id && x["stage"] == stage && x["holding"] == false)
        })
    };
    let waiting = || ids().get(1).is_some_and(|b| waits(b, "Build")).then_some(());
    until("the second run waiting for Build", WITHIN, waiting).await;
    let b = ids()[1].clone();
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["status", &b, "--pipeline"])
        .arg(project.path())
        .output()
        .expect("status");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Stage locks"), "{text}");
    assert!(
        text.contains(&format!("Build        held by {}; waiting: {b} (this one)", ids()[0])),
        "{text}"
    );
    std::fs::write(&release, "").expect("release");
    for child in [first, second] {
        assert!(child.wait_with_output().expect("ends").status.success());
    }
}

/// A runner killed while its execution holds a stage (a crash) does not block the next run:
/// that run first resumes the dead one (which takes its place in the stage again), then runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_runner_does_not_hold_its_stage() {
    let (project, release) = held_build();
    let run = |n: u32| start_run(&project, n);
    let mut first = run(0);
    let holds_build = || {
        project.state_dir().join("baton.db").exists()
            && project
                .db()
                .lock()
                .query_row("SELECT COUNT(*) FROM stage_lanes WHERE stage = 'Build' AND holding = 1", [], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap_or(0)
                == 1
    };
    until("the first run reaching Build", WITHIN, || holds_build().then_some(())).await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    // Its build shell outlives it; let that end, then a new run must get through.
    std::fs::write(&release, "").expect("release");
    let mut second = KillOnDrop(Some(run(1)));
    let status = until(
        "the second run getting through the stage its dead predecessor held",
        std::time::Duration::from_secs(60),
        || second.0.as_mut().and_then(|c| c.try_wait().expect("wait")),
    )
    .await;
    assert!(status.success());
    // And the dead run is not left behind: the second runner carried it on to its end.
    let rows = baton_local::query::executions(&project.db(), 10).expect("executions");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|e| e.status == "SUCCEEDED" && e.error.is_none()), "{rows:?}");
}
