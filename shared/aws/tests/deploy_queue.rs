//! Deployments that wait for their group: CodeDeploy refuses a second deployment to a group
//! with one in progress (`DeploymentLimitExceededException`; moto does not, so CodeDeploy is
//! mocked here), and the start waits in the parked-task table (DynamoDB on moto) until the
//! events function starts it when the group frees — in arrival order, once each, a redelivered
//! start queued once, a start whose execution stopped dropped. Before, the refusal failed the
//! deploy action.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_codedeploy::operation::create_deployment::{CreateDeploymentError, CreateDeploymentOutput};
use aws_sdk_codedeploy::operation::list_deployments::ListDeploymentsOutput;
use aws_sdk_codedeploy::types::error::DeploymentLimitExceededException;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use baton_aws::codedeploy::{CodeDeployer, DeploymentTag};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::ports::{DeployRequest, Deployer, PendingTasks};
use common::{Moto, app_artifact};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_refused_for_a_busy_group_waits_and_starts_in_order_when_the_group_frees() {
    let moto = Moto::start();
    let store = S3ArtifactStore::new(moto.versioned_bucket("artifacts").await, "artifacts", "", Encryption::S3);
    let table = moto.state_table("baton-state").await;
    let artifact = app_artifact(&store).await;

    // CodeDeploy's half: busy until the test frees the group; the correlations it deployed.
    let busy = Arc::new(AtomicBool::new(true));
    let created: Arc<Mutex<Vec<String>>> = Arc::default();
    let refused = mock!(aws_sdk_codedeploy::Client::create_deployment)
        .match_requests({
            let busy = busy.clone();
            move |_| busy.load(Ordering::SeqCst)
        })
        .then_error(|| {
            CreateDeploymentError::DeploymentLimitExceededException(
                DeploymentLimitExceededException::builder()
                    .message("The Deployment Group 'staging' already has an active Deployment.")
                    .build(),
            )
        });
    let accepted = mock!(aws_sdk_codedeploy::Client::create_deployment)
        .match_requests({
            let created = created.clone();
            move |r| {
                let tag = r.description().and_then(DeploymentTag::parse).unwrap();
                created.lock().unwrap().push(tag.correlation);
                true
            }
        })
        .then_output(|| CreateDeploymentOutput::builder().deployment_id("d-NEXT").build());
    let none_in_flight = mock!(aws_sdk_codedeploy::Client::list_deployments).then_output(|| ListDeploymentsOutput::builder().build());
    let client = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&refused, &accepted, &none_in_flight]);
    let deployer = CodeDeployer::new(client, "hello", store).with_queue(table.clone());
    let request = |correlation: &str| DeployRequest {
        correlation: correlation.into(),
        pipeline: "hello".into(),
        execution_id: correlation.into(),
        group: "staging".into(),
        artifact: artifact.clone(),
        rollback: false,
        variables: Default::default(),
    };

    // Each deploy action parks its token before it starts (stages::deploy); "gone" is one whose
    // execution was stopped while it waited.
    for parked in ["first", "second", "gone"] {
        let task = baton_core::ports::PendingTask {
            token: format!("token-{parked}"),
            context: serde_json::json!({}),
        };
        table.put(&format!("deployment/{parked}"), &task).await.unwrap();
    }
    assert_eq!(deployer.start(request("gone")).await.unwrap(), "queued/gone");
    table.take("deployment/gone").await.unwrap().expect("the stop takes its token");
    assert_eq!(deployer.start(request("first")).await.unwrap(), "queued/first");
    assert_eq!(deployer.start(request("first")).await.unwrap(), "queued/first", "a redelivery");
    assert_eq!(deployer.start(request("second")).await.unwrap(), "queued/second");
    let waiting: Vec<String> = table
        .list("deployqueue/staging/")
        .await
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(waiting.len(), 2, "each start waits once: {waiting:?}");
    assert!(
        waiting[0].ends_with("/first") && waiting[1].ends_with("/second"),
        "in arrival order: {waiting:?}"
    );
    assert_eq!(deployer.start_next("staging").await.unwrap(), None, "still busy: nothing starts");
    assert_eq!(table.list("deployqueue/staging/").await.unwrap().len(), 2, "and nothing is lost");

    busy.store(false, Ordering::SeqCst);
    let started = deployer.start_next("staging").await.unwrap();
    assert_eq!(started, Some(("first".to_string(), "d-NEXT".to_string())));
    let started = deployer.start_next("staging").await.unwrap();
    assert_eq!(started.map(|(c, _)| c).as_deref(), Some("second"));
    assert_eq!(deployer.start_next("staging").await.unwrap(), None, "none left");
    assert_eq!(*created.lock().unwrap(), ["first", "second"], "each deployed once, in order");
}

/// Without a queue (the adapter as a test or a tool builds it), the refusal is an error, as
/// before, rather than a start that nothing will ever pick up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_queue_a_busy_group_is_an_error_that_says_so() {
    let moto = Moto::start();
    let store = S3ArtifactStore::new(moto.versioned_bucket("artifacts").await, "artifacts", "", Encryption::S3);
    let artifact = app_artifact(&store).await;
    let refused = mock!(aws_sdk_codedeploy::Client::create_deployment).then_error(|| {
        CreateDeploymentError::DeploymentLimitExceededException(DeploymentLimitExceededException::builder().message("busy").build())
    });
    let none_in_flight = mock!(aws_sdk_codedeploy::Client::list_deployments).then_output(|| ListDeploymentsOutput::builder().build());
    let client = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&refused, &none_in_flight]);
    let deployer = CodeDeployer::new(client, "hello", store);
    let err = deployer
        .start(DeployRequest {
            correlation: "c".into(),
            pipeline: "hello".into(),
            execution_id: "e".into(),
            group: "staging".into(),
            artifact,
            rollback: false,
            variables: Default::default(),
        })
        .await
        .unwrap_err();
    assert!(err.message.contains("deployment group staging is busy"), "{}", err.message);
}
