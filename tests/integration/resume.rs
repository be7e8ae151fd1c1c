//! Carrying unfinished executions on. `baton resume` continues an execution whose runner was
//! killed, in the same attempt, without running twice what had finished; `baton retry` runs a
//! failed stage again in a new attempt of the same execution (Step Functions' redrive).

use std::process::{Command, Stdio};
use std::time::Duration;

use baton_local::{Continuation, query};
use serde_json::{Map, json};

use crate::util::{KillOnDrop, Project, until};

/// Build: Quick and Slow (which waits for `release`) side by side; Ship: a one-instance deploy.
fn project() -> Project {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Quick, type: build, buildspec: quick.yml }\n      - { name: Slow, type: build, buildspec: slow.yml }\n  - name: Ship\n    actions:\n      - { name: Deploy, type: deploy, input: source, group: web }\ndeployment_groups:\n  web:\n    instances: 1\n    config: OneAtATime\n",
        ),
        ("quick.yml", "version: 0.2\nphases:\n  build:\n    commands: ['echo quick']\n"),
        (
            "appspec.yml",
            "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /site\n",
        ),
        ("index.html", "<h1>one</h1>\n"),
    ]);
    let release = project.path().join("release");
    let slow = format!(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - while [ ! -e {} ]; do sleep 0.05; done\n",
        release.display()
    );
    std::fs::write(project.path().join("slow.yml"), slow).expect("slow.yml");
    project
}

fn baton(project: &Project, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(args)
        .arg("--pipeline")
        .arg(project.path())
        .env_remove("BATON_STATE_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn builds(project: &Project, id: &str, action: &str) -> Vec<String> {
    query::builds(&project.db(), id)
        .expect("builds")
        .into_iter()
        .filter(|b| b.action == action)
        .map(|b| b.status)
        .collect()
}

/// The history's event types, with a check that its ids run on without a gap or repeat.
fn history_kinds(project: &Project, id: &str) -> Vec<String> {
    let history = query::history(&project.db(), id).expect("history");
    let ids: Vec<u64> = history.iter().map(|e| e.id).collect();
    assert!(ids.iter().enumerate().all(|(i, id)| *id == i as u64 + 1), "history ids {ids:?}");
    history.iter().map(|e| e.kind.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_mid_stage_is_resumed_and_runs_nothing_twice() {
    let project = project();
    let runner = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("run")
        .arg(project.path())
        .env_remove("BATON_STATE_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("baton run starts");
    let runner = KillOnDrop(Some(runner));
    // Killed once Quick has finished and Slow is in flight.
    let id = until("the run with Quick done and Slow in flight", Duration::from_secs(60), || {
        if project.state_dir().join("baton.db").exists()
            && let Some(exec) = query::execution(&project.db(), None).expect("execution")
            && builds(&project, &exec.id, "Build:Quick") == ["SUCCEEDED"]
            && builds(&project, &exec.id, "Build:Slow") == ["IN_PROGRESS"]
        {
            return Some(exec.id);
        }
        None
    })
    .await;
    drop(runner); // SIGKILL, and reaped
    std::fs::write(project.path().join("release"), "").expect("release");

    // Resuming a running execution is refused; the dead runner's one is first marked lost.
    let out = baton(&project, &["resume"]).output().expect("baton resume");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("Resuming execution {id} from Enter Build")), "{text}");

    let exec = query::execution(&project.db(), Some(&id)).expect("query").expect("exec");
    assert_eq!((exec.status.as_str(), exec.error), ("SUCCEEDED", None));
    assert_eq!(
        builds(&project, &id, "Build:Quick"),
        ["SUCCEEDED"],
        "the finished build was not run again"
    );
    assert_eq!(
        builds(&project, &id, "Build:Slow"),
        ["FAULT", "SUCCEEDED"],
        "the build that died with its runner ran again"
    );
    let deployments = query::deployments(&project.db(), &id).expect("deployments");
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    let kinds = history_kinds(&project, &id);
    assert_eq!(kinds.iter().filter(|k| *k == "ExecutionStarted").count(), 1);
    assert!(!kinds.iter().any(|k| k == "ExecutionRedriven"), "a resume is the same attempt");
    assert_eq!(kinds.last().map(String::as_str), Some("ExecutionSucceeded"));

    // Nothing is left to resume, and a finished execution cannot be.
    let out = baton(&project, &["resume"]).output().expect("baton resume");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to resume"));
    let out = baton(&project, &["resume", &id]).output().expect("baton resume");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only an execution whose runner died"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_job_is_told_again_to_the_task_that_resumes_it() {
    let project = project();
    let rt = project.runtime().await;
    let source = rt.invoke(
        "Source",
        json!({ "pipeline": "p", "execution_id": "e1", "stages": [], "variables": {} }),
    );
    let source = source.await.expect("source")["source"]["artifact"].clone();
    let payload = |token: &str| {
        json!({ "task_token": token, "pipeline": "p", "execution_id": "e1", "action": "Ship:Deploy", "attempt": 0,
                "group": "web", "artifact": source, "mark_good": true })
    };
    let first = rt.invoke("Deploy", payload("t1")).await.expect("deploy");
    let id = first["deployment_id"].as_str().expect("id").to_string();
    until("the deployment succeeds", Duration::from_secs(60), || {
        (query::deployments(&project.db(), "e1").expect("deployments")[0].status == "Succeeded").then_some(())
    })
    .await;
    // The task that waits now is a new one (a resumed runner's): the deployment is found, and
    // its end reaches the new waiter, which is then no longer parked.
    let again = rt.invoke("Deploy", payload("t2")).await.expect("deploy again");
    assert_eq!(again["deployment_id"], json!(id));
    assert_eq!(query::deployments(&project.db(), "e1").expect("deployments").len(), 1);
    until("the deployment's end reaches the new waiter", Duration::from_secs(10), || {
        project.db().pending_list("deployment/").expect("pending").is_empty().then_some(())
    })
    .await;
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_runs_the_failed_stage_again_in_a_new_attempt() {
    let project = project();
    // Slow fails until `release` exists, once Quick has succeeded: an execution that fails
    // while Quick still runs stops Quick's build, and the assertions below are about retrying
    // a stage whose other action had succeeded.
    let quick_done = project.path().join("quick-done");
    let release = project.path().join("release");
    std::fs::write(
        project.path().join("quick.yml"),
        format!(
            "version: 0.2\nphases:\n  build:\n    commands: ['echo quick', 'touch {}']\n",
            quick_done.display()
        ),
    )
    .expect("quick.yml");
    std::fs::write(
        project.path().join("slow.yml"),
        format!(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - while [ ! -e {} ]; do sleep 0.05; done; sleep 0.5; test -e {}\n",
            quick_done.display(),
            release.display()
        ),
    )
    .expect("slow.yml");
    let rt = project.runtime().await;
    let failed = rt.run(None, Map::new()).await.expect("run");
    assert_eq!(failed.status, "FAILED");
    assert!(
        failed.cause.as_deref().is_some_and(|c| c.contains("phase BUILD")),
        "{:?}",
        failed.cause
    );
    let id = failed.id.clone();

    let refused = rt.carry_on(&id, Continuation::Resume).await.expect_err("not a lost runner");
    assert!(refused.to_string().contains("baton retry"), "{refused}");
    std::fs::write(project.path().join("release"), "").expect("release");
    let retried = rt.carry_on(&id, Continuation::Retry { failed_only: false }).await.expect("retry");
    assert_eq!(
        (retried.id.as_str(), retried.status.as_str()),
        (id.as_str(), "SUCCEEDED"),
        "{:?}",
        retried.cause
    );
    assert_eq!(
        builds(&project, &id, "Build:Quick"),
        ["SUCCEEDED", "SUCCEEDED"],
        "every action of the stage"
    );
    assert_eq!(builds(&project, &id, "Build:Slow"), ["FAILED", "SUCCEEDED"]);
    let kinds = history_kinds(&project, &id);
    assert_eq!(kinds.iter().filter(|k| *k == "ExecutionRedriven").count(), 1);
    let history = query::history(&project.db(), &id).expect("history");
    let sources = history
        .iter()
        .filter(|e| e.kind == "TaskStateEntered" && e.state_name() == Some("Source"))
        .count();
    assert_eq!(sources, 1, "the stages before the failed one are not run again");
    // Each run of Slow is told apart: the first attempt's, then the retry's.
    let slow: Vec<(u32, String)> = query::states(&history)
        .into_iter()
        .filter(|s| s.name == "Build:Slow")
        .map(|s| (s.retry, s.status))
        .collect();
    assert_eq!(slow, [(0, "FAILED".to_string()), (1, "SUCCEEDED".to_string())]);
    let status = baton(&project, &["status", &id]).output().expect("baton status");
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("Build:Slow · retry 1"),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let refused = rt
        .carry_on(&id, Continuation::Retry { failed_only: true })
        .await
        .expect_err("succeeded");
    assert!(refused.to_string().contains("it succeeded"), "{refused}");
    drop(rt);

    // --failed-only, through the CLI: the action that succeeded keeps its result.
    std::fs::remove_file(&release).expect("unrelease");
    std::fs::remove_file(&quick_done).expect("a new run's Quick says when it is done");
    let failed = project.runtime().await.run(None, Map::new()).await.expect("run");
    assert_eq!(failed.status, "FAILED");
    std::fs::write(project.path().join("release"), "").expect("release");
    // A prefix: the date, the second and five of the id's random hex digits.
    let out = baton(&project, &["retry", &failed.id[..20], "--failed-only"])
        .output()
        .expect("baton retry");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(builds(&project, &failed.id, "Build:Quick"), ["SUCCEEDED"]);
    assert_eq!(builds(&project, &failed.id, "Build:Slow"), ["FAILED", "SUCCEEDED"]);
    let exec = query::execution(&project.db(), Some(&failed.id)).expect("query").expect("exec");
    assert_eq!(exec.status, "SUCCEEDED");
    project.runtime().await.teardown().await.expect("teardown");
}
