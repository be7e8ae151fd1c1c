//! Canary and linear deployments on a local group: traffic moves to the new version through
//! the group's front door step by step, and an alarm mid-shift sends all of it back.

use baton_local::query;

use crate::util::{Project, health, until};

/// The hello-app example with a two-instance staging group shifting traffic by `config`.
fn project(config: &str) -> Project {
    let project = Project::example("hello-app");
    project.edit(
        "pipeline.yml",
        "    instances: 3\n    config: OneAtATime",
        &format!("    instances: 2\n    config: {config}"),
    );
    project
}

/// The group's front door, as `baton status --json` shows it.
fn front_door(project: &Project) -> u16 {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["status", "--json", "--pipeline"])
        .arg(project.path())
        .env_remove("BATON_STATE_DIR")
        .output()
        .expect("baton status");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status --json");
    let door = &doc["front_doors"][0];
    assert_eq!(door["group"], "staging", "{doc}");
    u16::try_from(door["port"].as_u64().expect("a port")).expect("port")
}

/// The versions that answer `n` requests through a port.
fn versions_behind(port: u16, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let (status, body) = health(port).expect("the front door answers");
            format!("{status} v{}", body["version"].as_str().unwrap_or("?"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linear_deployment_moves_traffic_step_by_step_then_retires_the_old_fleet() {
    let project = project("{ traffic_routing: { type: TimeBasedLinear, percentage: 50, interval: 1s } }");
    let (first_rt, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    let db = project.db();
    let port = front_door(&project);
    assert_eq!(versions_behind(port, 4), vec!["200 v1"; 4]);
    drop(first_rt);

    project.edit("src/hello/app.py", "a tiny HTTP service", "a tiny HTTP service, version two");
    let (rt, second) = project.run().await;
    assert!(second.succeeded(), "{second:?}");
    assert_eq!(versions_behind(port, 4), vec!["200 v2"; 4], "all traffic on the new version");

    let deployments = query::deployments(&db, &second.id).expect("deployments");
    let deployment = &deployments[0];
    let shifts: Vec<String> = deployment.instances[0]
        .events
        .iter()
        .filter(|e| e.event == "AllowTraffic")
        .filter_map(|e| e.message.clone())
        .collect();
    assert_eq!(shifts, ["50 % of traffic", "100 % of traffic"]);
    let instances = query::instances(&db, "hello").expect("instances");
    assert_eq!(instances.len(), 4, "two fleets of two");
    let running: Vec<_> = instances.iter().filter(|i| i.artifact.is_some()).collect();
    assert_eq!(running.len(), 2, "the old fleet was retired: {instances:?}");
    for i in instances.iter().filter(|i| i.artifact.is_none()) {
        assert!(health(i.port).is_none(), "retired instance {} still answers", i.index);
    }
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_whose_alarm_fires_mid_shift_sends_all_traffic_back() {
    let project = project("{ traffic_routing: { type: TimeBasedCanary, percentage: 50, interval: 30s } }");
    // An alarm's stop is covered by the `alarm` policy alone (CodeDeploy's DEPLOYMENT_STOP_ON_ALARM).
    project.edit("pipeline.yml", "auto_rollback: [failure, alarm]", "auto_rollback: [alarm]");
    let (first_rt, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    drop(first_rt);

    // Passes ValidateService, then /health fails two seconds after each instance starts: the
    // probes of the canary fleet raise staging-health while it holds half the traffic.
    project.edit("src/hello/app.py", "DEGRADE_AFTER_SECONDS = None", "DEGRADE_AFTER_SECONDS = 2");
    let started = std::time::Instant::now();
    let (rt, record) = project.run().await;
    assert_eq!(record.status, "FAILED", "{record:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "stopped by the alarm, not at the end of the canary interval"
    );
    let db = project.db();
    let deployments = query::deployments(&db, &record.id).expect("deployments");
    let stopped = &deployments[0];
    assert_eq!(stopped.status, "Stopped", "{deployments:?}");
    let reason = stopped.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("staging-health") && reason.contains("50 % of traffic") && reason.contains("back on the original"),
        "{reason}"
    );
    assert!(deployments.iter().any(|d| d.rollback && d.status == "Succeeded"), "{deployments:?}");

    let port = front_door(&project);
    assert_eq!(versions_behind(port, 6), vec!["200 v1"; 6], "every request on version 1");
    let instances = query::instances(&db, "hello").expect("instances");
    let versions: Vec<_> = instances
        .iter()
        .filter_map(|i| i.artifact.as_ref().and_then(|a| a["version"].as_u64()))
        .collect();
    assert_eq!(versions, [1, 1], "the canary fleet was retired: {instances:?}");
    rt.teardown().await.expect("teardown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_stopped_on_request_mid_shift_sends_all_traffic_back() {
    let project = project("{ traffic_routing: { type: TimeBasedCanary, percentage: 50, interval: 60s } }");
    let (first_rt, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    drop(first_rt);
    project.edit("src/hello/app.py", "a tiny HTTP service", "a tiny HTTP service, version two");

    let stop_at_half = async {
        let db = project.db();
        // The first deployment had no traffic to move: its only step was 100 %.
        let id = until("the canary step", std::time::Duration::from_secs(120), || {
            db.lock()
                .query_row(
                    "SELECT deployment_id FROM instance_events WHERE event = 'AllowTraffic' AND message = '50 % of traffic' ORDER BY rowid DESC LIMIT 1",
                    [],
                    |r| r.get::<_, String>(0),
                )
                .ok()
        })
        .await;
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_baton"));
        cmd.args(["stop-deployment", &id, "--no-rollback", "--pipeline"])
            .arg(project.path())
            .env("NO_COLOR", "1")
            .env_remove("BATON_STATE_DIR");
        tokio::task::spawn_blocking(move || cmd.output().expect("baton runs"))
            .await
            .expect("join")
    };
    let started = std::time::Instant::now();
    let ((rt, record), stop) = tokio::join!(project.run(), stop_at_half);
    assert_eq!(stop.status.code(), Some(0), "{}", String::from_utf8_lossy(&stop.stdout));
    assert_eq!(record.status, "FAILED", "{record:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "stopped on request, not at the end of the canary interval"
    );
    let db = project.db();
    let deployments = query::deployments(&db, &record.id).expect("deployments");
    assert_eq!(deployments.len(), 1, "no rollback was asked for: {deployments:?}");
    let reason = deployments[0].reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("MANUAL_STOP") && reason.contains("50 % of traffic") && reason.contains("back on the original"),
        "{reason}"
    );
    let port = front_door(&project);
    assert_eq!(versions_behind(port, 6), vec!["200 v1"; 6], "every request on version 1");
    rt.teardown().await.expect("teardown");
}
