//! What an approver on AWS sees before answering (`baton approve --stack`): how the versions the
//! execution built differ from what each group runs. The versions are in moto's S3; the history
//! (a task's result) and CodeDeploy's record of the group's last deployment are mocked: moto
//! keeps no task results and never ends a deployment.
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::sync::{Arc, OnceLock};

use aws_sdk_codedeploy::operation::batch_get_deployments::BatchGetDeploymentsOutput;
use aws_sdk_codedeploy::operation::list_deployments::ListDeploymentsOutput;
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus as Cd};
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, StateEnteredEventDetails, TaskSucceededEventDetails};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use baton_aws::codedeploy::DeploymentTag;
use baton_core::operations::{Operations, VersionChange};
use baton_core::ports::ArtifactRef;
use baton_core::stages::approval::{self, ApprovalInput};
use common::stack_ops::{EXECUTION, MACHINE, describe, event, operations};
use common::{Moto, app_version};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_shows_how_the_build_differs_from_what_the_group_runs() {
    let moto = Moto::start();
    // The versions are stored once the operations (and their store) exist; the mocks read them
    // when called.
    let versions: Arc<OnceLock<(ArtifactRef, ArtifactRef)>> = Arc::default();

    let stored = versions.clone();
    let history = mock!(aws_sdk_sfn::Client::get_execution_history).then_output(move || {
        let built = &stored.get().unwrap().1;
        let result = serde_json::json!({"StatusCode": 200, "Payload": {"build_id": "b-1", "artifacts": {"app": built}}});
        let events = vec![
            event(1, 0, HistoryEventType::ExecutionStarted).build().unwrap(),
            event(2, 1, HistoryEventType::TaskStateEntered)
                .state_entered_event_details(StateEnteredEventDetails::builder().name("Build:Compile").build().unwrap())
                .build()
                .unwrap(),
            event(3, 2, HistoryEventType::TaskScheduled).build().unwrap(),
            event(4, 3, HistoryEventType::TaskSucceeded)
                .task_succeeded_event_details(
                    TaskSucceededEventDetails::builder()
                        .resource("invoke")
                        .resource_type("lambda")
                        .output(result.to_string())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        ];
        GetExecutionHistoryOutput::builder().set_events(Some(events)).build().unwrap()
    });
    let describe = describe(ExecutionStatus::Running);
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history]);

    // The group's last deployment, as Baton tags one: the running version, succeeded.
    let listed =
        mock!(aws_sdk_codedeploy::Client::list_deployments).then_output(|| ListDeploymentsOutput::builder().deployments("d-1").build());
    let stored = versions.clone();
    let got = mock!(aws_sdk_codedeploy::Client::batch_get_deployments).then_output(move || {
        let running = &stored.get().unwrap().0;
        let tag = DeploymentTag {
            correlation: "e0/Staging:Deploy/0".into(),
            pipeline: "hello".into(),
            artifact: running.clone(),
            rollback: false,
        };
        let description = format!(
            "Baton pipeline hello deploys {running} to staging\n{}",
            serde_json::to_string(&tag).unwrap()
        );
        let info = DeploymentInfo::builder()
            .deployment_id("d-1")
            .deployment_group_name("staging")
            .status(Cd::Succeeded)
            .description(description)
            .build();
        BatchGetDeploymentsOutput::builder().deployments_info(info).build()
    });
    let codedeploy = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&listed, &got]);
    let ops = operations(&moto, MACHINE, sfn, codedeploy).await;
    let running = app_version(
        ops.deployer.store(),
        &[("appspec.yml", "version: 0.0\nos: linux\n"), ("app.py", "v1"), ("old.txt", "x")],
    )
    .await;
    let built = app_version(
        ops.deployer.store(),
        &[("appspec.yml", "version: 0.0\nos: linux\n"), ("app.py", "v2"), ("new.txt", "y")],
    )
    .await;
    versions.set((running.clone(), built.clone())).unwrap();
    let input = ApprovalInput {
        task_token: "token-1".into(),
        pipeline: "hello".into(),
        execution_id: EXECUTION.into(),
        action: "Release:Approve".into(),
        message: None,
        stage: Some("Release".into()),
        mode: None,
        started: None,
    };
    approval::start(&ops.pending, &ops.callbacks, input).await.unwrap();

    let review = ops.review_approval(EXECUTION, None).await.unwrap();
    let [group] = review.groups.as_slice() else {
        panic!("one group: {:?}", review.groups)
    };
    assert_eq!((group.group.as_str(), &group.running), ("staging", &vec![running.clone()]));
    assert_eq!(
        group.changes,
        [VersionChange {
            from: running,
            to: built,
            changed: 1,
            added: 1,
            removed: 1,
        }]
    );
}
