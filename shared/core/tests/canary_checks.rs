//! A timer-driven canary analysis (a Lambda group's on AWS) over the ports in memory: the deploy
//! action schedules the first check, each check judges every interval so far from the two
//! versions' samples, and a failed one stops the deployment with a rollback and ends the deploy
//! action with `CanaryAnalysisFailed`, not as a stop by hand.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod memory;

use std::collections::BTreeMap;
use std::path::Path;

use baton_core::analysis::Decision;
use baton_core::events::Event;
use baton_core::model::Pipeline;
use baton_core::ports::{CanaryShift, DeploymentStatus, TimedSamples};
use baton_core::stages::canary::{CanaryPorts, METRICS_LAG_SECS};
use baton_core::stages::{canary, correlation, decode, deploy, error_types, events};
use memory::{Answer, World, artifact};
use serde_json::json;

const EXECUTION: &str = "20261204-170000-cccccccc";
/// When the deployment started: the intervals count from here.
const START: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60_000;

fn pipeline() -> Pipeline {
    let yaml = "name: hello
stages:
  - name: Prod
    actions:
      - { name: Deploy, type: deploy, input: source, group: api }
deployment_groups:
  api:
    lambda: { function: hello-api }
    config: LambdaCanary10Percent15Minutes
    analysis:
      interval: 5m
      intervals: 2
      thresholds: { pass: 90, marginal: 50 }
      metrics:
        - { name: latency, direction: increase, tolerance: 0.1 }
";
    baton_core::parse_pipeline(Path::new("pipeline.yml"), yaml).unwrap()
}

/// One latency point a minute for each version, over `minutes` minutes from the start.
fn latency(world: &World, baseline: f64, canary: f64, minutes: i64) {
    let points = |base: f64| -> Vec<(i64, f64)> { (0..minutes).map(|m| (START + m * MINUTE, base + (m % 3) as f64)).collect() };
    *world.samples.lock().unwrap() = TimedSamples {
        canary: BTreeMap::from([("latency".to_string(), points(canary))]),
        baseline: BTreeMap::from([("latency".to_string(), points(baseline))]),
    };
    *world.shift.lock().unwrap() = Some(CanaryShift {
        target: "hello-api:live".into(),
        baseline: "3".into(),
        canary: "4".into(),
        in_progress: true,
    });
}

async fn check(world: &World, pipeline: &Pipeline, interval: u32) -> Option<baton_core::analysis::IntervalResult> {
    let ports = CanaryPorts {
        source: world,
        deployer: world,
    };
    let check = canary::Check {
        deployment_id: "d-1",
        group: "api",
        analysis: pipeline.groups["api"].analysis.as_ref().unwrap(),
        interval,
        started_ms: START,
    };
    canary::check(&ports, world, check).await.unwrap()
}

#[tokio::test]
async fn a_deploy_action_with_a_timed_analysis_schedules_a_check_after_each_interval() {
    let world = World::default();
    let input = json!({
        "task_token": "t-deploy", "pipeline": "hello", "execution_id": EXECUTION, "action": "Prod:Deploy",
        "group": "api", "artifact": artifact("api", 4), "canary": pipeline().groups["api"].analysis,
    });
    deploy::start(&world, &world, Some(&world), decode(input.clone()).unwrap())
        .await
        .unwrap();
    // One check per interval, each a little after its interval's end.
    let due: Vec<(u64, u32)> = world
        .timers
        .lock()
        .unwrap()
        .iter()
        .map(|(after, e)| match e {
            Event::CanaryCheck {
                deployment_id,
                group,
                interval,
                ..
            } if deployment_id == "d-1" && group == "api" => (*after, *interval),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(due, [(300 + METRICS_LAG_SECS, 1), (600 + METRICS_LAG_SECS, 2)]);

    // A deployer without timers cannot run the analysis it is asked for, and says so.
    let err = deploy::start(&World::default(), &World::default(), None, decode(input).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has no timers to run it"), "{err}");
}

#[tokio::test]
async fn an_equal_canary_is_checked_each_interval_then_promoted() {
    let world = World::default();
    let pipeline = pipeline();
    latency(&world, 100.0, 100.0, 10);

    let first = check(&world, &pipeline, 1).await.unwrap();
    assert_eq!((first.interval, first.decision), (1, Decision::Continue), "{first:?}");
    let last = check(&world, &pipeline, 2).await.unwrap();
    assert_eq!((last.interval, last.decision), (2, Decision::Promote), "{last:?}");
    // Each check reads from the deployment's start to its interval's end.
    assert_eq!(
        *world.sampled.lock().unwrap(),
        [(START, START + 5 * MINUTE), (START, START + 10 * MINUTE)]
    );
    assert!(world.stops.lock().unwrap().is_empty());

    // Every interval is kept for status and the console; a late first check keeps them all.
    let decisions = |r: Vec<baton_core::analysis::IntervalResult>| r.iter().map(|r| r.decision).collect::<Vec<_>>();
    let kept = canary::kept(&world, "d-1").await.unwrap();
    assert_eq!(decisions(kept), [Decision::Continue, Decision::Promote]);
    check(&world, &pipeline, 1).await.unwrap();
    let kept = canary::kept(&world, "d-1").await.unwrap();
    assert_eq!(decisions(kept), [Decision::Continue, Decision::Promote], "not shortened");
    assert!(canary::kept(&world, "d-2").await.unwrap().is_empty(), "another deployment has none");
}

#[tokio::test]
async fn a_slower_canary_stops_the_deployment_and_its_action_fails_as_the_analysis() {
    let world = World::default();
    let pipeline = pipeline();
    // Park the deploy action as the deploy function would.
    let input = json!({
        "task_token": "t-deploy", "pipeline": "hello", "execution_id": EXECUTION, "action": "Prod:Deploy",
        "group": "api", "artifact": artifact("api", 4),
    });
    deploy::start(&world, &world, None, decode(input).unwrap()).await.unwrap();
    // The canary is half as fast again: +50 % latency.
    latency(&world, 100.0, 150.0, 10);

    let judged = check(&world, &pipeline, 1).await.unwrap();
    assert_eq!(judged.decision, Decision::Fail, "{judged:?}");
    let stops = world.stops.lock().unwrap().clone();
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert!(stops[0].1.rollback, "the stop rolls back");
    assert!(
        stops[0]
            .1
            .cause
            .starts_with("CANARY_ANALYSIS_FAILED: the canary analysis failed at interval 1 of 2"),
        "{stops:?}"
    );

    // CodeDeploy reports the stop as one by hand; the verdict left behind names the analysis.
    let stopped = Event::DeploymentStateChange {
        deployment_id: "d-1".into(),
        correlation: correlation(EXECUTION, "Prod:Deploy", 0, 0),
        group: "api".into(),
        status: DeploymentStatus::Stopped,
        reason: Some("MANUAL_STOP: Deployment was stopped by the user".into()),
    };
    events::handle(world.events(), stopped).await.unwrap();
    let answers = world.answers();
    let [(token, Answer::Failed { error, cause })] = answers.as_slice() else {
        panic!("{answers:?}")
    };
    assert_eq!((token.as_str(), error.as_str()), ("t-deploy", error_types::CANARY_ANALYSIS_FAILED));
    assert!(
        cause.contains("CANARY_ANALYSIS_FAILED: the canary analysis failed at interval 1"),
        "{cause}"
    );
    assert_eq!(
        world.parked(),
        ["canary-analysis/d-1"],
        "the verdict is taken with the answer; the judged intervals stay"
    );
    let kept = canary::kept(&world, "d-1").await.unwrap();
    assert_eq!(kept.last().map(|r| r.decision), Some(Decision::Fail), "{kept:?}");
}

#[tokio::test]
async fn a_check_after_the_deployment_ended_judges_nothing() {
    let world = World::default();
    let pipeline = pipeline();
    latency(&world, 100.0, 150.0, 10);
    if let Some(shift) = world.shift.lock().unwrap().as_mut() {
        shift.in_progress = false;
    }
    assert_eq!(check(&world, &pipeline, 1).await, None);
    assert!(world.stops.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_canary_that_fails_as_its_deployment_ends_leaves_nothing_behind() {
    let world = World::default();
    let pipeline = pipeline();
    latency(&world, 100.0, 150.0, 10);
    *world.ended_before_stop.lock().unwrap() = true;
    let judged = check(&world, &pipeline, 1).await.expect("judged, not an error to retry");
    assert_eq!(judged.decision, Decision::Fail);
    assert_eq!(
        world.parked(),
        ["canary-analysis/d-1"],
        "no verdict waits for an end that was not the analysis's; the judged interval stays"
    );
}
