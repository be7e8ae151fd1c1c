//! The operations on a deployed stack (`baton_aws::operations`), with the real SDK clients:
//! DynamoDB, STS, S3 and (for stops) Step Functions on moto; Step Functions' calls moto cannot
//! answer without running a task (a task token to answer, a history with task events, a
//! redrive) and CodeDeploy's GetDeployment (moto keeps deployments `Created`) through
//! `aws-smithy-mocks`.
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use aws_sdk_codedeploy::operation::get_deployment::{GetDeploymentError, GetDeploymentOutput};
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus as Cd};
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_sdk_sfn::operation::redrive_execution::RedriveExecutionOutput;
use aws_sdk_sfn::operation::send_task_success::SendTaskSuccessOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, StateEnteredEventDetails, TaskFailedEventDetails, TaskSucceededEventDetails};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use baton_aws::operations::AwsOperations;
use baton_core::operations::{ApprovalAnswer, OperationError, Operations, StopDeployment, StopExecution};
use baton_core::pipeline_status::PipelineStatus;
use baton_core::stages::approval::{self, ApprovalInput};
use common::Moto;
use common::stack_ops::{EXECUTION, MACHINE, describe, event, execution_arn, operations};

/// moto's STS answers every caller as this identity.
const CALLER: &str = "arn:aws:sts::123456789012:user/moto";

fn entered(name: &str) -> StateEnteredEventDetails {
    StateEnteredEventDetails::builder().name(name).build().expect("entered")
}

/// Two branches side by side: Compile's task succeeds after Lint's state was entered, so only
/// the `previousEventId` chain says whose result it is; then Lint's task fails.
fn history() -> Rule {
    mock!(aws_sdk_sfn::Client::get_execution_history).then_output(|| {
        let events = vec![
            event(1, 0, HistoryEventType::ExecutionStarted).build().expect("event"),
            event(2, 1, HistoryEventType::TaskStateEntered)
                .state_entered_event_details(entered("Build:Compile"))
                .build()
                .expect("event"),
            event(3, 2, HistoryEventType::TaskScheduled).build().expect("event"),
            event(4, 1, HistoryEventType::TaskStateEntered)
                .state_entered_event_details(entered("Build:Lint"))
                .build()
                .expect("event"),
            event(5, 4, HistoryEventType::TaskScheduled).build().expect("event"),
            event(6, 3, HistoryEventType::TaskSucceeded)
                .task_succeeded_event_details(
                    TaskSucceededEventDetails::builder()
                        .resource("invoke")
                        .resource_type("lambda")
                        .output(r#"{"StatusCode":200,"Payload":{"build_id":"b-1","artifacts":{"app":{"name":"app","version":2}}}}"#)
                        .build()
                        .expect("succeeded"),
                )
                .build()
                .expect("event"),
            event(7, 5, HistoryEventType::TaskFailed)
                .task_failed_event_details(
                    TaskFailedEventDetails::builder()
                        .resource("invoke")
                        .resource_type("lambda")
                        .error("BuildFailed")
                        .build()
                        .expect("failed"),
                )
                .build()
                .expect("event"),
        ];
        GetExecutionHistoryOutput::builder()
            .set_events(Some(events))
            .build()
            .expect("history")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_is_its_description_and_its_history_folded_state_by_state() {
    let moto = Moto::start();
    let describe = describe(ExecutionStatus::Failed);
    let history = history();
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history]);
    let codedeploy = aws_sdk_codedeploy::Client::new(&moto.sdk_config());
    let ops = operations(&moto, MACHINE, sfn, codedeploy).await;

    let detail = ops.execution(Some(EXECUTION)).await.expect("execution");
    assert_eq!(
        (
            detail.execution.status,
            detail.execution.commit_id.as_deref(),
            detail.execution.branch.as_deref()
        ),
        (PipelineStatus::Failed, Some("3fa2c1e"), Some("main"))
    );
    let states: Vec<(&str, &str, u32)> = detail
        .states
        .iter()
        .map(|s| (s.name.as_str(), s.status.as_str(), s.attempts))
        .collect();
    // Each task event is its own branch's, by `previousEventId`, though the two interleave.
    assert_eq!(
        states,
        [("Build:Compile", "RUNNING", 1), ("Build:Lint", "FAILED", 1)],
        "{:?}",
        detail.states
    );
    assert_eq!(
        detail.states[0].result.as_ref().map(|r| r["Payload"]["build_id"].clone()),
        Some("b-1".into())
    );
    assert_eq!(detail.states[1].error.as_deref(), Some("BuildFailed"));

    let other = ops.execution(Some("arn:aws:states:us-east-1:123456789012:execution:other:x")).await;
    assert!(
        matches!(&other, Err(OperationError::Invalid(m)) if m.contains("another state machine")),
        "{other:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_names_the_iam_action_to_allow() {
    let moto = Moto::start();
    let denied = mock!(aws_sdk_sfn::Client::describe_execution).then_error(|| {
        aws_sdk_sfn::operation::describe_execution::DescribeExecutionError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User: arn:aws:iam::123456789012:user/ada is not authorized to perform: states:DescribeExecution")
                .build(),
        )
    });
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&denied]);
    let codedeploy = aws_sdk_codedeploy::Client::new(&moto.sdk_config());
    let ops = operations(&moto, MACHINE, sfn, codedeploy).await;
    let err = ops.execution(Some(EXECUTION)).await.expect_err("denied");
    assert!(
        err.to_string()
            .contains("Step Functions DescribeExecution was refused: your AWS identity is not allowed states:DescribeExecution"),
        "{err}"
    );
}

/// The approval function's parking of `Release:Approve` for the execution.
async fn park(ops: &AwsOperations) {
    let input = ApprovalInput {
        task_token: "token-1".into(),
        pipeline: "hello".into(),
        execution_id: EXECUTION.into(),
        action: "Release:Approve".into(),
        message: Some("ship it?".into()),
        stage: Some("Release".into()),
        mode: None,
        started: None,
    };
    approval::start(&ops.pending, &ops.callbacks, input).await.expect("parked");
}

fn answer(action: &str, by: &str) -> ApprovalAnswer {
    ApprovalAnswer {
        execution: EXECUTION.into(),
        action: Some(action.into()),
        approved: true,
        comment: Some("lgtm".into()),
        by: by.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_reviewed_then_answered_with_the_callers_aws_identity() {
    let moto = Moto::start();
    let describe = describe(ExecutionStatus::Running);
    let history = history();
    let success = mock!(aws_sdk_sfn::Client::send_task_success)
        .match_requests(|r| {
            let output: serde_json::Value = serde_json::from_str(r.output().unwrap_or_default()).unwrap_or_default();
            r.task_token() == Some("token-1") && output["approver"] == CALLER && output["comment"] == "lgtm"
        })
        .then_output(|| SendTaskSuccessOutput::builder().build());
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history, &success]);
    let codedeploy = aws_sdk_codedeploy::Client::new(&moto.sdk_config());
    let ops = operations(&moto, MACHINE, sfn, codedeploy).await;
    park(&ops).await;

    // What the console lists: the approval parked in the state table, with its message.
    let waiting = ops.waiting_approvals(EXECUTION).await.expect("waiting");
    let listed: Vec<_> = waiting.iter().map(|w| (w.action.as_str(), w.message.as_deref())).collect();
    assert_eq!(listed, [("Release:Approve", Some("ship it?"))]);

    let review = ops.review_approval(EXECUTION, None).await.expect("review");
    assert_eq!(
        (
            review.action.as_str(),
            review.message.as_deref(),
            review.execution.commit.as_deref()
        ),
        ("Release:Approve", Some("ship it?"), Some("3fa2c1e"))
    );
    assert_eq!(review.produced.len(), 1, "{:?}", review.produced);
    assert_eq!(
        review.produced[0].0, "Build:Compile",
        "the result is Compile's, not the state entered last"
    );
    assert_eq!(review.produced[0].1["artifacts"]["app"]["version"], 2);

    // The name the caller types is not who approves: the AWS identity is.
    let answered = ops
        .answer_approval(answer("Approve", "someone typed this"))
        .await
        .expect("answered");
    assert_eq!((answered.action.as_str(), answered.approver.as_str()), ("Release:Approve", CALLER));
    assert_eq!(success.num_calls(), 1);
    let again = ops.answer_approval(answer("Approve", "x")).await;
    assert!(
        matches!(&again, Err(OperationError::Conflict(m)) if m.contains("waits for no approval")),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_is_step_functions_stop_execution_and_waits_for_the_end() {
    let moto = Moto::start();
    let (sfn, machine) = moto.state_machine().await;
    let codedeploy = aws_sdk_codedeploy::Client::new(&moto.sdk_config());
    sfn.start_execution()
        .state_machine_arn(&machine)
        .name(EXECUTION)
        .input("{}")
        .send()
        .await
        .expect("started");
    let ops = operations(&moto, &machine, sfn, codedeploy).await;
    let stop = |abandon| StopExecution {
        execution: EXECUTION.into(),
        cause: "stopped by ada".into(),
        abandon,
    };

    let wait = ops.stop(stop(false)).await.map(|p| p.plan);
    assert!(
        matches!(&wait, Err(OperationError::Invalid(m)) if m.contains("--abandon")),
        "{wait:?}"
    );
    let stopping = ops.stop(stop(true)).await.expect("accepted");
    assert_eq!(stopping.plan.status, PipelineStatus::Running);
    let stopped = stopping.run.await.expect("stopped");
    assert_eq!(stopped.status, PipelineStatus::Aborted);
    let again = ops.stop(stop(true)).await.map(|p| p.plan);
    assert!(
        matches!(&again, Err(OperationError::Conflict(m)) if m.contains("is ABORTED")),
        "{again:?}"
    );

    let unknown = ops
        .stop(StopExecution {
            execution: "nope".into(),
            ..stop(true)
        })
        .await
        .map(|p| p.plan);
    assert!(matches!(unknown, Err(OperationError::NotFound(_))), "{unknown:?}");
    let other = "arn:aws:states:us-east-1:123456789012:execution:other-machine:x";
    let foreign = ops
        .stop(StopExecution {
            execution: other.into(),
            ..stop(true)
        })
        .await
        .map(|p| p.plan);
    assert!(
        matches!(&foreign, Err(OperationError::Invalid(m)) if m.contains("another state machine")),
        "{foreign:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_redrives_a_failed_execution_from_the_state_that_failed() {
    let moto = Moto::start();
    let describe = describe(ExecutionStatus::Failed);
    let history = history();
    let redrive = mock!(aws_sdk_sfn::Client::redrive_execution)
        .match_requests(|r| r.execution_arn() == Some(execution_arn(EXECUTION).as_str()))
        .then_output(|| {
            RedriveExecutionOutput::builder()
                .redrive_date(DateTime::from_secs(9))
                .build()
                .expect("redrive")
        });
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history, &redrive]);
    let ops = operations(&moto, MACHINE, sfn, aws_sdk_codedeploy::Client::new(&moto.sdk_config())).await;

    let whole = ops.retry(EXECUTION, false).await.map(|p| p.plan);
    assert!(
        matches!(&whole, Err(OperationError::Invalid(m)) if m.contains("--failed-only")),
        "{whole:?}"
    );
    let retry = ops.retry(EXECUTION, true).await.expect("accepted");
    assert_eq!(
        (retry.plan.from.as_str(), retry.plan.stage.as_deref()),
        ("Build:Lint", Some("Build"))
    );
    assert_eq!(redrive.num_calls(), 0, "nothing is redriven before the work is awaited");
    retry.run.await.expect("redriven");
    assert_eq!(redrive.num_calls(), 1);

    let succeeded = describe_succeeded();
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&succeeded]);
    let ops = AwsOperations { sfn, ..ops };
    let refused = ops.retry(EXECUTION, true).await.map(|p| p.plan);
    assert!(
        matches!(&refused, Err(OperationError::Conflict(m)) if m.contains("is SUCCEEDED")),
        "{refused:?}"
    );
}

/// The refusal of an operation that was expected to be refused.
fn refused<T>(result: Result<T, OperationError>) -> OperationError {
    match result {
        Ok(_) => panic!("the operation was accepted"),
        Err(e) => e,
    }
}

fn describe_succeeded() -> Rule {
    describe(ExecutionStatus::Succeeded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_operations_name_a_group_a_version_and_a_deployment_in_progress() {
    let moto = Moto::start();
    let ended = mock!(aws_sdk_codedeploy::Client::get_deployment)
        .match_requests(|r| r.deployment_id() == Some("d-ENDED"))
        .then_output(|| {
            let info = DeploymentInfo::builder()
                .deployment_id("d-ENDED")
                .deployment_group_name("staging")
                .status(Cd::Succeeded)
                .build();
            GetDeploymentOutput::builder().deployment_info(info).build()
        });
    let missing = mock!(aws_sdk_codedeploy::Client::get_deployment)
        .match_requests(|r| r.deployment_id() == Some("d-NOPE"))
        .then_error(|| {
            GetDeploymentError::DeploymentDoesNotExistException(
                aws_sdk_codedeploy::types::error::DeploymentDoesNotExistException::builder()
                    .message("no such")
                    .build(),
            )
        });
    let codedeploy = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&ended, &missing]);
    let (sfn, machine) = moto.state_machine().await;
    let ops = operations(&moto, &machine, sfn, codedeploy).await;

    let err = refused(ops.roll_back("prod", None).await);
    assert!(
        matches!(&err, OperationError::NotFound(m) if m.contains("the pipeline has: staging")),
        "{err:?}"
    );
    let err = refused(ops.roll_back("staging", Some("app")).await);
    assert!(
        matches!(&err, OperationError::Invalid(m) if m.contains("not NAME@VERSION")),
        "{err:?}"
    );
    let err = refused(ops.roll_back("staging", Some("app@9")).await);
    assert!(
        matches!(&err, OperationError::NotFound(m) if m.contains("no artifact app@9")),
        "{err:?}"
    );
    let err = refused(ops.roll_back("staging", None).await);
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("no last-good revision yet")),
        "{err:?}"
    );

    let stop = |id: &str| StopDeployment {
        id: id.into(),
        rollback: None,
        cause: "stopped by ada".into(),
    };
    let err = refused(ops.stop_deployment(stop("d-ENDED")).await);
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("already ended (Succeeded)")),
        "{err:?}"
    );
    let err = refused(ops.stop_deployment(stop("d-NOPE")).await);
    assert!(matches!(err, OperationError::NotFound(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_is_a_codedeploy_deployment_of_the_version_chosen() {
    use baton_core::ports::{ArtifactStore, Deployer};
    let moto = Moto::start();
    let codedeploy = moto.deployment_group("hello-app", "staging").await;
    let (sfn, machine) = moto.state_machine().await;
    let ops = operations(&moto, &machine, sfn, codedeploy.clone()).await;
    let app = common::app_artifact(ops.deployer.store()).await;

    let prepared = ops.roll_back("staging", Some("app@1")).await.unwrap();
    assert_eq!((&prepared.plan.target, prepared.plan.chosen), (&app, true));
    assert!(
        prepared.plan.running.is_empty(),
        "nothing deployed yet: {:?}",
        prepared.plan.running
    );
    // moto keeps every deployment `Created`: the completion starts one, then waits for its end.
    let waited = tokio::time::timeout(std::time::Duration::from_secs(5), prepared.run).await;
    assert!(waited.is_err(), "moto ended a deployment: {waited:?}");

    let listed = codedeploy
        .list_deployments()
        .application_name("hello-app")
        .deployment_group_name("staging")
        .send()
        .await
        .unwrap();
    let [id] = listed.deployments() else {
        panic!("one deployment: {listed:?}")
    };
    let info = codedeploy.get_deployment().deployment_id(id).send().await.unwrap();
    let s3 = info.deployment_info().unwrap().revision().unwrap().s3_location().unwrap();
    let content = ops
        .deployer
        .store()
        .manifest("hello", "app", 1)
        .await
        .unwrap()
        .unwrap()
        .content
        .unwrap();
    assert_eq!(format!("s3://{}/{}", s3.bucket().unwrap(), s3.key().unwrap()), content.uri);
    let last = ops.deployer.last_deployment("hello", "staging").await.unwrap().unwrap();
    // A version named with --to is a deployment like any other, not the group's own rollback.
    assert_eq!((last.artifact, last.rollback), (app, false));
}
