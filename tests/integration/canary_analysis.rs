//! Canary analysis through `baton run`: a release whose requests are slower is rolled back by
//! the analysis, with no alarm firing; a release that serves as the old one did is promoted.

use baton_local::query;

use crate::util::Project;

/// The hello-app example with a two-instance staging group whose canary (half the traffic) is
/// judged for two 2-second intervals against the original fleet, under 40 requests a second of
/// synthetic load through the front door.
fn project() -> Project {
    let project = Project::example("hello-app");
    project.edit(
        "pipeline.yml",
        "    instances: 3\n    config: OneAtATime",
        "    instances: 2\n    config: { traffic_routing: { type: TimeBasedCanary, percentage: 50, interval: 1s } }",
    );
    project.edit(
        "pipeline.yml",
        "    auto_rollback: [failure, alarm]\n",
        "    auto_rollback: [failure, alarm]
    analysis:
      interval: 2s
      intervals: 2
      thresholds: { pass: 90, marginal: 60 }
      load: { path: /, per_second: 40 }
      metrics:
        - { name: latency, direction: increase, tolerance: 0.5 }
        - { name: errors, direction: increase, tolerance: 0, critical: true }
",
    );
    project
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slower_release_is_rolled_back_by_the_analysis_and_an_equal_one_promoted() {
    let project = project();
    let (first_rt, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    drop(first_rt);
    let db = project.db();

    // The same service with another greeting: as fast, as healthy.
    project.edit("pipeline.yml", "GREETING: hello", "GREETING: hi");
    let (equal_rt, equal) = project.run().await;
    assert!(equal.succeeded(), "{equal:?}");
    drop(equal_rt);
    let promoted = &query::deployments(&db, &equal.id).expect("deployments")[0];
    assert_eq!(promoted.status, "Succeeded", "{promoted:?}");
    let decisions: Vec<&str> = promoted.analysis.iter().map(|r| r.decision.as_str()).collect();
    assert_eq!(decisions, ["CONTINUE", "PROMOTE"], "{:#?}", promoted.analysis);
    assert!(
        promoted
            .analysis
            .iter()
            .all(|r| r.metrics[0].canary_samples >= 20 && r.metrics[0].baseline_samples >= 20),
        "the load reached both fleets: {:#?}",
        promoted.analysis
    );

    // 100 ms slower on every request: healthy, no alarm, only slower.
    project.edit("src/hello/app.py", "SLOWER_BY_MS = 0", "SLOWER_BY_MS = 100");
    let alarms_before = query::alarm_history(&db, "0", None).expect("alarm history").len();
    let (rt, slower) = project.run().await;
    assert_eq!(slower.status, "FAILED", "{slower:?}");
    assert_eq!(slower.error.as_deref(), Some("CanaryAnalysisFailed"), "{slower:?}");
    let deployments = query::deployments(&db, &slower.id).expect("deployments");
    let stopped = &deployments[0];
    assert_eq!(stopped.status, "Stopped", "{deployments:?}");
    let reason = stopped.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("CANARY_ANALYSIS_FAILED: the canary analysis failed at interval 1 of 2")
            && reason.contains("back on the original"),
        "{reason}"
    );
    let latency = &stopped.analysis[0].metrics[0];
    assert_eq!(
        (latency.name.as_str(), latency.classification.as_str()),
        ("latency", "HIGH"),
        "{latency:?}"
    );
    let transitions = query::alarm_history(&db, "0", None).expect("alarm history");
    assert!(
        transitions[alarms_before..].iter().all(|t| t.new_state != "ALARM"),
        "no alarm fired: {transitions:?}"
    );
    assert!(deployments.iter().any(|d| d.rollback && d.status == "Succeeded"), "{deployments:?}");
    let shown = crate::cli::text(&project.baton(&["status", &slower.id]).stdout);
    assert!(
        shown.contains("analysis interval 1 · score") && shown.contains("FAIL · latency HIGH +"),
        "status shows the judged interval: {shown}"
    );
    let instances = query::instances(&db, "hello").expect("instances");
    let versions: Vec<_> = instances
        .iter()
        .filter_map(|i| i.artifact.as_ref().and_then(|a| a["version"].as_u64()))
        .collect();
    assert_eq!(
        versions,
        [2, 2],
        "the promoted release serves, the slower one was retired: {instances:?}"
    );
    rt.teardown().await.expect("teardown");
}

/// A service that is slow while its caches are cold: judged against the fleet that has served
/// for a while, a new release of the same code fails for being new; judged against a fresh
/// baseline (new instances of the old release, started beside the canary with the same share
/// of traffic) it is promoted, and the baseline's instances are retired after the analysis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_baseline_is_as_cold_as_the_canary() {
    let project = project();
    project.edit("src/hello/app.py", "COLD_MS = 0", "COLD_MS = 100");
    project.edit("src/hello/app.py", "COLD_FOR_SECONDS = 0", "COLD_FOR_SECONDS = 10");
    let (first_rt, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    drop(first_rt);
    // The serving fleet warms up: its first 10 s are over (the run's bake took 6 s of them).
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let db = project.db();

    project.edit("pipeline.yml", "GREETING: hello", "GREETING: hi");
    let (cold_rt, cold) = project.run().await;
    drop(cold_rt);
    assert_eq!(
        cold.error.as_deref(),
        Some("CanaryAnalysisFailed"),
        "against the warm fleet: {cold:?}"
    );

    project.edit("pipeline.yml", "GREETING: hi", "GREETING: hey");
    project.edit(
        "pipeline.yml",
        "      intervals: 2\n",
        "      intervals: 2\n      baseline: fresh\n",
    );
    let (rt, fresh) = project.run().await;
    assert!(fresh.succeeded(), "against a fresh baseline: {fresh:?}");
    let promoted = &query::deployments(&db, &fresh.id).expect("deployments")[0];
    let decisions: Vec<&str> = promoted.analysis.iter().map(|r| r.decision.as_str()).collect();
    assert_eq!(decisions, ["CONTINUE", "PROMOTE"], "{:#?}", promoted.analysis);
    assert!(
        promoted.analysis.iter().all(|r| r.metrics[0].baseline_samples >= 20),
        "the fresh baseline took the canary's share: {:#?}",
        promoted.analysis
    );
    let instances = query::instances(&db, "hello").expect("instances");
    let running: Vec<_> = instances.iter().filter(|i| i.running).map(|i| i.index).collect();
    assert_eq!(
        running.len(),
        2,
        "the promoted fleet runs, the baseline and the old fleet were retired: {instances:?}"
    );
    assert!(running.iter().all(|&i| i < 4), "{instances:?}");
    let shown = crate::cli::text(&project.baton(&["status", &fresh.id]).stdout);
    let live = format!("traffic on #{}–#{}", running[0], running[1]);
    assert!(shown.contains(&live), "the front door's fleet of two, not of three: {shown}");
    rt.teardown().await.expect("teardown");
}
