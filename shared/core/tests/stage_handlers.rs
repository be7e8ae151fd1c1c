//! The stage handlers' decisions, on the ports in memory: what each parks, starts and answers,
//! and what a repeated or late event does. The adapters' own tests cover storage and delivery.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod memory;

use baton_core::alarm::AlarmState;
use baton_core::events::{BuildStatus, Event};
use baton_core::ports::{DeploymentStatus, DeploymentSummary, StagedArtifact, stop_codes};
use baton_core::stages::outputs::{BakeOutput, BuildOutput, DeployOutput, RollbackSkipped, TaskOutput};
use baton_core::stages::rollback::RollbackPorts;
use baton_core::stages::{approval, bake, build, correlation, decode, deploy, error_types, events, rollback};
use memory::{Answer, World, artifact};
use serde_json::json;

const EXECUTION: &str = "e-1";

async fn start_build(world: &World, token: &str) {
    let input = json!({
        "task_token": token, "pipeline": "hello", "execution_id": EXECUTION, "action": "Build:Compile",
        "buildspec": "version: 0.2", "outputs": ["app"], "timeout_secs": 60,
        "source": artifact("source", 1), "commit_id": "abc123",
    });
    build::start(world, world, decode(input).unwrap()).await.unwrap();
}

fn build_ended(build_id: &str, status: BuildStatus) -> Event {
    Event::BuildStateChange {
        build_id: build_id.into(),
        correlation: correlation(EXECUTION, "Build:Compile", 0, 0),
        status,
        outputs: vec![StagedArtifact {
            name: "app".into(),
            location: "/tmp/app".into(),
        }],
        reports: Vec::new(),
        coverage: Vec::new(),
        variables: [("VERSION".to_string(), "1.2".to_string())].into(),
        reason: (status != BuildStatus::Succeeded).then(|| "COMMAND_EXECUTION_ERROR in BUILD: make".into()),
        log: None,
    }
}

#[tokio::test]
async fn a_build_is_parked_started_once_and_answered_with_what_it_stored() {
    let world = World::default();
    start_build(&world, "t-build").await;
    start_build(&world, "t-build").await;
    assert_eq!(
        world.builds.lock().unwrap().len(),
        1,
        "a repeated delivery finds the build it started"
    );

    events::handle(world.events(), build_ended("build-1", BuildStatus::Succeeded))
        .await
        .unwrap();
    let answers = world.answers();
    let [(token, Answer::Succeeded(result))] = answers.as_slice() else {
        panic!("one success expected: {answers:?}")
    };
    assert_eq!(token, "t-build");
    let TaskOutput::Build(BuildOutput { artifacts, variables, .. }) = TaskOutput::read(result) else {
        panic!("a build's output: {result}")
    };
    assert_eq!(artifacts["app"], artifact("app", 1));
    assert_eq!(variables["VERSION"], "1.2");
    let (_, provenance) = world.stored.lock().unwrap()[0].clone();
    assert_eq!(
        (provenance.commit_id.as_deref(), provenance.inputs, provenance.build_id.as_deref()),
        (Some("abc123"), vec![artifact("source", 1)], Some("build-1")),
        "the stored version's provenance comes from the parked context"
    );

    events::handle(world.events(), build_ended("build-1", BuildStatus::Succeeded))
        .await
        .unwrap();
    assert_eq!(world.answers().len(), 1, "a duplicate event answers nothing");
}

#[tokio::test]
async fn a_failed_build_fails_its_task_with_the_reason() {
    let world = World::default();
    start_build(&world, "t").await;
    events::handle(world.events(), build_ended("build-1", BuildStatus::Failed))
        .await
        .unwrap();
    let answers = world.answers();
    let [(_, Answer::Failed { error, cause })] = &answers[..] else {
        panic!("one failure expected")
    };
    assert_eq!(error, error_types::BUILD_FAILED);
    assert!(cause.contains("COMMAND_EXECUTION_ERROR in BUILD: make"), "{cause}");
    assert!(world.stored.lock().unwrap().is_empty(), "a failed build stores nothing");
}

#[tokio::test]
async fn an_ended_execution_stops_the_build_it_left_running() {
    let world = World::default();
    start_build(&world, "t").await;
    baton_core::stages::abandon::ended(&world, &world, EXECUTION, "ABORTED")
        .await
        .unwrap();
    assert_eq!(*world.stopped_builds.lock().unwrap(), ["build-1"]);
    assert!(world.parked().is_empty());
}

async fn start_deploy(world: &World, mark_good: bool) {
    let input = json!({
        "task_token": "t-deploy", "pipeline": "hello", "execution_id": EXECUTION, "action": "Prod:Deploy",
        "group": "prod", "artifact": artifact("app", 3), "mark_good": mark_good,
    });
    deploy::start(world, world, None, decode(input).unwrap()).await.unwrap();
}

fn deployment_ended(status: DeploymentStatus, reason: Option<&str>) -> Event {
    Event::DeploymentStateChange {
        deployment_id: "d-1".into(),
        correlation: correlation(EXECUTION, "Prod:Deploy", 0, 0),
        group: "prod".into(),
        status,
        reason: reason.map(Into::into),
    }
}

#[tokio::test]
async fn a_deployment_marked_good_becomes_the_groups_last_good_when_it_succeeds() {
    let world = World::default();
    start_deploy(&world, true).await;
    events::handle(world.events(), deployment_ended(DeploymentStatus::Succeeded, None))
        .await
        .unwrap();
    assert_eq!(world.last_good.lock().unwrap()["prod"], artifact("app", 3));
    let answers = world.answers();
    let [(_, Answer::Succeeded(result))] = &answers[..] else {
        panic!("one success expected")
    };
    let expected = DeployOutput {
        deployment_id: "d-1".into(),
        group: "prod".into(),
        artifact: Some(artifact("app", 3)),
        rolled_back: false,
    };
    assert_eq!(TaskOutput::read(result), TaskOutput::Deploy(expected));
    assert!(world.metric_names().contains(&"DeploymentSucceeded".to_string()));
}

#[tokio::test]
async fn a_deployment_that_fails_or_is_stopped_fails_its_task_by_why() {
    for (status, reason, error) in [
        (DeploymentStatus::Failed, None, error_types::DEPLOY_FAILED),
        (
            DeploymentStatus::Stopped,
            Some(stop_codes::MANUAL_STOP),
            error_types::DEPLOYMENT_STOPPED,
        ),
        (
            DeploymentStatus::Stopped,
            Some(stop_codes::ALARM_ACTIVE),
            error_types::ALARM_TRIGGERED,
        ),
    ] {
        let world = World::default();
        start_deploy(&world, true).await;
        events::handle(world.events(), deployment_ended(status, reason)).await.unwrap();
        let answers = world.answers();
        let [(_, Answer::Failed { error: got, .. })] = &answers[..] else {
            panic!("one failure expected for {status:?} {reason:?}")
        };
        assert_eq!(got, error, "{status:?} {reason:?}");
        assert!(world.last_good.lock().unwrap().is_empty(), "nothing becomes last-good");
    }
}

async fn start_bake(world: &World) {
    let input = json!({
        "task_token": "t-bake", "pipeline": "hello", "execution_id": EXECUTION, "action": "Prod:Bake",
        "group": "prod", "alarms": ["errors"], "duration_secs": 60, "artifact": artifact("app", 3),
    });
    bake::start(world, world, world, decode(input).unwrap()).await.unwrap();
}

#[tokio::test]
async fn a_quiet_bake_passes_when_its_window_ends_and_marks_the_version_good() {
    let world = World::default();
    start_bake(&world).await;
    let timers = world.timers.lock().unwrap().clone();
    let [(60, elapsed)] = &timers[..] else {
        panic!("one 60 s timer expected: {timers:?}")
    };
    events::handle(world.events(), elapsed.clone()).await.unwrap();
    let answers = world.answers();
    let [(_, Answer::Succeeded(result))] = &answers[..] else {
        panic!("one success expected")
    };
    let expected = BakeOutput {
        group: "prod".into(),
        passed: true,
        alarms: vec!["errors".into()],
        last_good: artifact("app", 3),
    };
    assert_eq!(TaskOutput::read(result), TaskOutput::Bake(expected));
    assert_eq!(world.last_good.lock().unwrap()["prod"], artifact("app", 3));
}

#[tokio::test]
async fn an_alarm_during_the_bake_fails_it_and_the_window_then_answers_nothing() {
    let world = World::default();
    start_bake(&world).await;
    let alarm = |name: &str| Event::AlarmStateChange {
        alarm: name.into(),
        state: AlarmState::Alarm,
        previous: AlarmState::Ok,
        reason: "threshold crossed".into(),
    };
    events::handle(world.events(), alarm("someone-elses")).await.unwrap();
    assert!(world.answers().is_empty(), "an alarm the bake does not watch changes nothing");
    events::handle(world.events(), alarm("errors")).await.unwrap();
    let elapsed = world.timers.lock().unwrap()[0].1.clone();
    events::handle(world.events(), elapsed).await.unwrap();
    let answers = world.answers();
    let [(_, Answer::Failed { error, cause })] = &answers[..] else {
        panic!("one failure expected: {answers:?}")
    };
    assert_eq!(error, error_types::ALARM_TRIGGERED);
    assert!(cause.contains("errors") && cause.contains("group prod"), "{cause}");
    assert!(world.last_good.lock().unwrap().is_empty());
}

fn rollback_input(error: &str) -> rollback::RollbackInput {
    decode(json!({
        "task_token": "t-rollback", "pipeline": "hello", "execution_id": EXECUTION, "action": "Prod:Rollback",
        "group": "prod", "on_failure": true, "on_alarm": true, "error": error,
    }))
    .unwrap()
}

fn rollback_ports(world: &World) -> RollbackPorts<'_> {
    RollbackPorts {
        artifacts: world,
        deployer: world,
        pending: world,
        callbacks: world,
        metrics: world,
    }
}

#[tokio::test]
async fn a_rollback_returns_the_group_to_its_last_good_version() {
    let world = World::default();
    world.last_good.lock().unwrap().insert("prod".into(), artifact("app", 2));
    *world.last_deployment.lock().unwrap() = Some(DeploymentSummary {
        deployment_id: "d-0".into(),
        artifact: artifact("app", 3),
        status: DeploymentStatus::Failed,
        rollback: false,
    });
    rollback::start(rollback_ports(&world), rollback_input(error_types::ALARM_TRIGGERED))
        .await
        .unwrap();
    let deployments = world.deployments.lock().unwrap().clone();
    assert_eq!((deployments.len(), deployments[0].rollback), (1, true));
    assert_eq!(deployments[0].artifact, artifact("app", 2));
    assert!(world.answers().is_empty(), "it waits for the rollback's deployment");
    assert!(world.metric_names().contains(&"Rollbacks".to_string()));
}

#[tokio::test]
async fn a_rollback_with_nothing_to_do_answers_at_once_and_says_why() {
    for (last_good, error, reason) in [
        (None, error_types::DEPLOY_FAILED, "the group has no last-good revision to return to"),
        (
            Some(artifact("app", 2)),
            error_types::DEPLOYMENT_STOPPED,
            "the deployment was stopped on request, and the stop decided about the rollback",
        ),
    ] {
        let world = World::default();
        if let Some(good) = last_good {
            world.last_good.lock().unwrap().insert("prod".into(), good);
        }
        rollback::start(rollback_ports(&world), rollback_input(error)).await.unwrap();
        let answers = world.answers();
        let [(_, Answer::Succeeded(result))] = &answers[..] else {
            panic!("one answer expected for {error}")
        };
        let expected = RollbackSkipped {
            group: "prod".into(),
            rolled_back: false,
            reason: reason.into(),
        };
        assert_eq!(TaskOutput::read(result), TaskOutput::RollbackSkipped(expected));
        assert!(world.deployments.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_approval_is_answered_once_with_who_gave_it() {
    let world = World::default();
    let input = json!({
        "task_token": "t-approve", "pipeline": "hello", "execution_id": EXECUTION, "action": "Release:Approve",
        "message": "ship it?",
    });
    approval::start(&world, &world, decode(input).unwrap()).await.unwrap();
    let answer = |approved: bool| approval::Answer {
        execution_id: EXECUTION.into(),
        action: "Release:Approve".into(),
        approved,
        approver: "ana".into(),
        comment: Some("looks good".into()),
    };
    assert!(approval::answer(&world, &world, &world, answer(true)).await.unwrap());
    assert!(
        !approval::answer(&world, &world, &world, answer(false)).await.unwrap(),
        "answered already"
    );
    let answers = world.answers();
    let [(_, Answer::Succeeded(result))] = &answers[..] else {
        panic!("one answer expected")
    };
    let TaskOutput::Approval(given) = TaskOutput::read(result) else {
        panic!("an approval's output: {result}")
    };
    assert_eq!((given.approver.as_str(), given.comment.as_deref()), ("ana", Some("looks good")));
    assert!(world.metric_names().contains(&"ApprovalWaitTime".to_string()));
}
