//! `CodeDeployer` against moto: deployments of the artifact's own bundle pinned by S3 version,
//! a redelivered start that finds its deployment, the group's last deployment, and the
//! documented state-change event answered from `GetDeployment`. `SchedulerTimers` against moto:
//! one self-deleting schedule per timer.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::path::Path;

use aws_sdk_codedeploy::types::RevisionLocationType;
use baton_aws::codedeploy::{CodeDeployer, DeploymentStateChangeEvent};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_aws::scheduler::SchedulerTimers;
use baton_core::events::Event;
use baton_core::ports::{ArtifactRef, ArtifactStore, DeployRequest, Deployer, DeploymentStatus, Timers};
use common::{Moto, app_artifact};
use serde_json::Value;

async fn store(moto: &Moto) -> S3ArtifactStore {
    S3ArtifactStore::new(moto.versioned_bucket("artifacts").await, "artifacts", "", Encryption::S3)
}

async fn deployer(moto: &Moto) -> (aws_sdk_codedeploy::Client, CodeDeployer, S3ArtifactStore) {
    let store = store(moto).await;
    let client = moto.deployment_group("hello", "staging").await;
    (client.clone(), CodeDeployer::new(client, "hello", store.clone()), store)
}

fn request(artifact: ArtifactRef, correlation: &str) -> DeployRequest {
    DeployRequest {
        correlation: correlation.into(),
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        group: "staging".into(),
        artifact,
        rollback: false,
        variables: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployments_install_the_artifacts_bundle_once_per_attempt() {
    let moto = Moto::start();
    let (client, deployer, store) = deployer(&moto).await;
    let artifact = app_artifact(&store).await;
    let content = store.manifest("hello", "app", 1).await.unwrap().unwrap().content.unwrap();

    let id = deployer.start(request(artifact.clone(), "e1/Staging:Deploy/0")).await.unwrap();
    let info = client.get_deployment().deployment_id(&id).send().await.unwrap();
    let info = info.deployment_info().unwrap();
    let revision = info.revision().unwrap();
    assert_eq!(revision.revision_type(), Some(&RevisionLocationType::S3));
    let s3 = revision.s3_location().unwrap();
    assert_eq!(format!("s3://{}/{}", s3.bucket().unwrap(), s3.key().unwrap()), content.uri);
    assert_eq!(
        s3.version(),
        content.version_id.as_deref(),
        "the revision is pinned by S3 object version"
    );
    assert_eq!(info.deployment_group_name(), Some("staging"));

    // A redelivered start of the same attempt is the same deployment; the next attempt is not.
    assert_eq!(deployer.start(request(artifact.clone(), "e1/Staging:Deploy/0")).await.unwrap(), id);
    let retry = deployer.start(request(artifact.clone(), "e1/Staging:Deploy/1")).await.unwrap();
    assert_ne!(retry, id);

    let last = deployer.last_deployment("hello", "staging").await.unwrap().unwrap();
    assert_eq!(last.artifact, artifact);
    assert!(!last.rollback);
    assert!(deployer.last_deployment("other-pipeline", "staging").await.unwrap().is_none());
}

/// The CodeDeploy user guide's sample state-change event, for deployment `id`.
fn sample_event(id: &str, state: &str) -> DeploymentStateChangeEvent {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/codedeploy-deployment-state-change.json"))
        .unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["detail"]["deploymentId"] = id.into();
    event["detail"]["application"] = "hello".into();
    event["detail"]["deploymentGroup"] = "staging".into();
    event["detail"]["state"] = state.into();
    serde_json::from_value(event).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_change_events_find_their_waiting_task_through_the_deployment() {
    let moto = Moto::start();
    let (_, deployer, store) = deployer(&moto).await;
    let artifact = app_artifact(&store).await;
    let id = deployer.start(request(artifact, "e1/Staging:Deploy/0")).await.unwrap();

    let event = deployer.event(&sample_event(&id, "FAILURE")).await.unwrap();
    let Some(Event::DeploymentStateChange {
        deployment_id,
        correlation,
        group,
        status,
        ..
    }) = event
    else {
        panic!("a finished Baton deployment is an event: {event:?}");
    };
    assert_eq!(
        (deployment_id.as_str(), correlation.as_str(), group.as_str(), status),
        (id.as_str(), "e1/Staging:Deploy/0", "staging", DeploymentStatus::Failed)
    );
    assert!(
        deployer.event(&sample_event(&id, "START")).await.unwrap().is_none(),
        "a start is not an end"
    );
    let mut foreign = sample_event(&id, "SUCCESS");
    foreign.detail.application = "myApplication".into();
    assert!(
        deployer.event(&foreign).await.unwrap().is_none(),
        "another application's deployment"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_are_one_time_schedules_that_delete_themselves() {
    let moto = Moto::start();
    let client = aws_sdk_scheduler::Client::new(&moto.sdk_config());
    let timers = SchedulerTimers::new(
        client.clone(),
        "default",
        "arn:aws:lambda:us-east-1:123456789012:function:baton-events",
        "arn:aws:iam::123456789012:role/baton-scheduler",
    );
    let event = Event::BakeWindowElapsed {
        correlation: "e1/Staging:Bake/0".into(),
    };
    timers.after(600, event.clone()).await.unwrap();
    // Setting the same timer again (a redelivered bake start) is not an error and not a second one.
    timers.after(600, event.clone()).await.unwrap();
    let listed = client.list_schedules().group_name("default").send().await.unwrap();
    assert_eq!(listed.schedules().len(), 1);
    let name = listed.schedules()[0].name().unwrap().to_string();
    let schedule = client.get_schedule().name(&name).group_name("default").send().await.unwrap();
    assert!(
        schedule.schedule_expression().unwrap().starts_with("at(20"),
        "{:?}",
        schedule.schedule_expression()
    );
    assert_eq!(schedule.schedule_expression_timezone(), Some("UTC"));
    let target = schedule.target().unwrap();
    assert_eq!(target.arn(), "arn:aws:lambda:us-east-1:123456789012:function:baton-events");
    let input: Event = serde_json::from_str(target.input().unwrap()).unwrap();
    assert_eq!(input, event, "the schedule hands the events function the event itself");
}

/// moto has no `StopDeployment` (and its deployments never end): aws-smithy-mocks answers the
/// stop and the stopped deployment's `GetDeployment`, whose description is the one the adapter
/// wrote for a real deployment on moto.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_asks_codedeploy_for_the_rollback_and_its_event_names_it() {
    use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentOutput;
    use aws_sdk_codedeploy::operation::stop_deployment::{StopDeploymentError, StopDeploymentOutput};
    use aws_sdk_codedeploy::types::error::DeploymentAlreadyCompletedException;
    use aws_sdk_codedeploy::types::{DeploymentInfo, ErrorCode, ErrorInformation, RollbackInfo, StopStatus};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use baton_core::ports::{DeploymentStop, stop_codes};

    let moto = Moto::start();
    let (client, on_moto, store) = deployer(&moto).await;
    let id = on_moto
        .start(request(app_artifact(&store).await, "e1/Staging:Deploy/0"))
        .await
        .unwrap();
    let description = client.get_deployment().deployment_id(&id).send().await.unwrap();
    let description = description.deployment_info().unwrap().description().unwrap().to_string();

    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let (running, ended) = (id.clone(), id.clone());
    let stop = mock!(aws_sdk_codedeploy::Client::stop_deployment)
        .match_requests(move |r| r.deployment_id() == Some(running.as_str()))
        .then_compute_output(move |r| {
            seen.lock().unwrap().push(r.auto_rollback_enabled());
            StopDeploymentOutput::builder().status(StopStatus::Pending).build()
        });
    let done = mock!(aws_sdk_codedeploy::Client::stop_deployment)
        .match_requests(move |r| r.deployment_id() != Some(ended.as_str()))
        .then_error(|| {
            StopDeploymentError::DeploymentAlreadyCompletedException(
                DeploymentAlreadyCompletedException::builder().message("already completed").build(),
            )
        });
    let stopped = {
        let (id, description) = (id.clone(), description.clone());
        mock!(aws_sdk_codedeploy::Client::get_deployment).then_compute_output(move |_| {
            GetDeploymentOutput::builder()
                .deployment_info(
                    DeploymentInfo::builder()
                        .deployment_id(&id)
                        .description(&description)
                        .status(aws_sdk_codedeploy::types::DeploymentStatus::Stopped)
                        .error_information(
                            ErrorInformation::builder()
                                .code(ErrorCode::ManualStop)
                                .message("The deployment was stopped by a user")
                                .build(),
                        )
                        .rollback_info(RollbackInfo::builder().rollback_deployment_id("d-ROLLBACK1").build())
                        .build(),
                )
                .build()
        })
    };
    let mocked = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&stop, &done, &stopped]);
    let deployer = CodeDeployer::new(mocked, "hello", store);

    let request = DeploymentStop {
        rollback: true,
        cause: "stopped by ada".into(),
    };
    deployer.stop(&id, request.clone()).await.unwrap();
    assert_eq!(*asked.lock().unwrap(), vec![Some(true)], "StopDeployment with autoRollbackEnabled");
    let err = deployer.stop("d-ENDEDLONGAGO", request).await.unwrap_err();
    assert!(!err.transient && err.to_string().contains("already ended"), "{err}");

    let Some(Event::DeploymentStateChange { status, reason, .. }) = deployer.event(&sample_event(&id, "STOP")).await.unwrap() else {
        panic!("a stopped Baton deployment is an event");
    };
    assert_eq!(status, DeploymentStatus::Stopped);
    let reason = reason.unwrap();
    assert!(stop_codes::on_request(Some(&reason)), "{reason}");
    assert!(reason.ends_with("rolling back with deployment d-ROLLBACK1"), "{reason}");
}
