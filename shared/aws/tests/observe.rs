//! What the CLI reads of a deployed stack besides its executions (`baton_aws::operations`):
//! the pipeline's metrics (CloudWatch, through aws-smithy-mocks: moto does not route the CBOR
//! protocol its SDK speaks), its builds' logs (the execution's history and CodeBuild's
//! `BatchGetBuilds` mocked; the log itself in moto's CloudWatch Logs) and its deployments' logs
//! (CodeDeploy's deployment targets mocked: moto keeps no lifecycle events).
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
use aws_sdk_codebuild::types::{Build, LogsLocation, StatusType};
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryOutput;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, StateEnteredEventDetails, TaskSubmittedEventDetails};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use baton_aws::cloudwatch::CloudWatchAlarms;
use baton_core::analysis::{AnalysisSpec, IntervalSamples};
use baton_core::operations::{LogCursor, OperationError, Operations};
use baton_core::stages::canary;
use common::Moto;
use common::stack_ops::{EXECUTION, MACHINE, describe, event, operations};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_the_pipelines_series_in_cloudwatch_read_per_period() {
    use aws_sdk_cloudwatch::operation::{get_metric_data::GetMetricDataOutput, list_metrics::ListMetricsOutput};
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataResult};
    let moto = Moto::start();
    let config = moto.sdk_config();
    let codedeploy = aws_sdk_codedeploy::Client::new(&config);
    let mut ops = operations(&moto, MACHINE, aws_sdk_sfn::Client::new(&config), codedeploy).await;
    let metric = |pipeline: &str| {
        let dim = Dimension::builder().name("Pipeline").value(pipeline).build();
        Metric::builder()
            .namespace("Baton")
            .metric_name("BuildDuration")
            .dimensions(dim)
            .build()
    };
    // Two pages, and another pipeline's series in the same namespace.
    let first = mock!(aws_sdk_cloudwatch::Client::list_metrics)
        .match_requests(|r| r.next_token().is_none() && r.namespace() == Some("Baton"))
        .then_output(move || ListMetricsOutput::builder().metrics(metric("someone-else")).next_token("2").build());
    let second = mock!(aws_sdk_cloudwatch::Client::list_metrics)
        .match_requests(|r| r.next_token() == Some("2"))
        .then_output(move || ListMetricsOutput::builder().metrics(metric("hello")).build());
    let data = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| {
            let stat = r.metric_data_queries()[0].metric_stat();
            stat.and_then(|s| s.stat()) == Some("p99") && stat.and_then(|s| s.period()) == Some(3600)
        })
        .then_output(|| {
            let result = MetricDataResult::builder()
                .timestamps(DateTime::from_secs(3600))
                .values(1800.0)
                .build();
            GetMetricDataOutput::builder().metric_data_results(result).build()
        });
    // 20 s is a high-resolution period (the `MetricStat` reference: 1, 5, 10, 20, 30, 60).
    let twenty = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| r.metric_data_queries()[0].metric_stat().and_then(|s| s.period()) == Some(20))
        .then_output(|| GetMetricDataOutput::builder().build());
    ops.cloudwatch = CloudWatchAlarms::new(mock_client!(
        aws_sdk_cloudwatch,
        RuleMode::MatchAny,
        [&first, &second, &data, &twenty]
    ));

    let series = ops.metric_series().await.expect("ListMetrics");
    assert_eq!(series.len(), 1, "only this stack's pipeline: {series:?}");
    assert_eq!(
        (series[0].name.as_str(), series[0].dimensions["Pipeline"].as_str()),
        ("BuildDuration", "hello")
    );
    let window = |period_secs| baton_core::metrics::MetricWindow {
        statistic: baton_core::alarm::Statistic::Percentile(99.0),
        period_secs,
        since_ms: 0,
    };
    let points = ops.metric_data(&series[0], window(3600)).await.expect("GetMetricData");
    assert_eq!(points, [(3_600_000, 1800.0)]);
    let refused = ops.metric_data(&series[0], window(90)).await;
    assert!(
        matches!(&refused, Err(OperationError::Invalid(m)) if m.contains("multiple of 60")),
        "{refused:?}"
    );
    assert_eq!(data.num_calls(), 1, "a period CloudWatch refuses is not asked");
    ops.metric_data(&series[0], window(20)).await.expect("a 20 s period is asked");
    assert_eq!(twenty.num_calls(), 1);
}

/// A build task's `TaskSubmitted`: Lambda's `Invoke` response, the build function's answer as
/// its `Payload`.
fn submitted(id: i64, previous: i64, payload: &str) -> aws_sdk_sfn::types::HistoryEvent {
    let details = TaskSubmittedEventDetails::builder()
        .resource("invoke.waitForTaskToken")
        .resource_type("lambda")
        .output(format!(r#"{{"ExecutedVersion":"$LATEST","Payload":{payload},"StatusCode":200}}"#))
        .build()
        .expect("submitted");
    event(id, previous, HistoryEventType::TaskSubmitted)
        .task_submitted_event_details(details)
        .build()
        .expect("event")
}

fn entered(id: i64, name: &str) -> aws_sdk_sfn::types::HistoryEvent {
    event(id, id - 1, HistoryEventType::TaskStateEntered)
        .state_entered_event_details(StateEnteredEventDetails::builder().name(name).build().expect("entered"))
        .build()
        .expect("event")
}

/// An execution that built (`Build:Compile`) and deployed (`Staging:Deploy`, deployment d-1).
fn history() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_sfn::Client::get_execution_history).then_output(|| {
        let events = vec![
            event(1, 0, HistoryEventType::ExecutionStarted).build().expect("event"),
            entered(2, "Build:Compile"),
            submitted(3, 2, r#"{"build_id":"hello-build:1234"}"#),
            entered(4, "Staging:Deploy"),
            submitted(5, 4, r#"{"deployment_id":"d-1"}"#),
        ];
        GetExecutionHistoryOutput::builder()
            .set_events(Some(events))
            .build()
            .expect("history")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builds_log_is_found_from_the_history_and_read_from_cloudwatch_logs() {
    let moto = Moto::start();
    let config = moto.sdk_config();
    let history = history();
    let describe = describe(ExecutionStatus::Running);
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history]);
    let builds = mock!(aws_sdk_codebuild::Client::batch_get_builds)
        .match_requests(|r| r.ids() == ["hello-build:1234"])
        .then_output(|| {
            let logs = LogsLocation::builder()
                .group_name("/baton/hello-baton/builds")
                .stream_name("1234")
                .build();
            let build = Build::builder()
                .id("hello-build:1234")
                .build_status(StatusType::Succeeded)
                .build_complete(true)
                .logs(logs)
                .build();
            BatchGetBuildsOutput::builder().builds(build).build()
        });
    let mut ops = operations(&moto, MACHINE, sfn, aws_sdk_codedeploy::Client::new(&config)).await;
    ops.codebuild = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&builds]);

    let found = ops.builds(EXECUTION).await.expect("builds");
    assert_eq!(found.len(), 1, "the deployment's task is not a build: {found:?}");
    let build = &found[0];
    assert_eq!(
        (build.action.as_str(), build.status.as_str(), build.ended, build.log.as_str()),
        ("Build:Compile", "SUCCEEDED", true, "/baton/hello-baton/builds:1234")
    );
    let nothing_yet = ops.build_log(build, &LogCursor::default()).await.expect("a stream not written yet");
    assert!(nothing_yet.text.is_empty());

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group()
        .log_group_name("/baton/hello-baton/builds")
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name("/baton/hello-baton/builds")
        .log_stream_name("1234")
        .send()
        .await
        .unwrap();
    let line = |ms: i64, text: &str| InputLogEvent::builder().timestamp(ms).message(text).build().unwrap();
    let now = baton_core::metrics::now_ms();
    logs.put_log_events()
        .log_group_name("/baton/hello-baton/builds")
        .log_stream_name("1234")
        .log_events(line(now - 2, "[Container] Running command make\n"))
        .log_events(line(now - 1, "built"))
        .send()
        .await
        .unwrap();
    let chunk = ops.build_log(build, &LogCursor::default()).await.expect("GetLogEvents");
    assert_eq!(chunk.text, "[Container] Running command make\nbuilt\n");
    let after = ops.build_log(build, &chunk.next).await.expect("GetLogEvents again");
    assert!(after.text.is_empty(), "read on from the token, nothing is repeated: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployments_log_is_each_targets_lifecycle_and_the_rollback_that_replaced_it() {
    use aws_sdk_codedeploy::operation::batch_get_deployment_targets::BatchGetDeploymentTargetsOutput;
    use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentOutput;
    use aws_sdk_codedeploy::operation::list_deployment_targets::ListDeploymentTargetsOutput;
    use aws_sdk_codedeploy::types::{
        DeploymentCreator, DeploymentInfo, DeploymentStatus, DeploymentTarget, Diagnostics, ErrorInformation, InstanceTarget,
        LifecycleEvent, LifecycleEventStatus, RollbackInfo,
    };
    let moto = Moto::start();
    let history = history();
    let describe = describe(ExecutionStatus::Failed);
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history]);
    // d-1 failed on its instance and CodeDeploy rolled it back with d-2.
    let tag = r#"{"correlation":"c","pipeline":"hello","artifact":{"name":"app","version":3,"digest":"sha256:00"},"rollback":false}"#;
    let first = mock!(aws_sdk_codedeploy::Client::get_deployment)
        .match_requests(|r| r.deployment_id() == Some("d-1"))
        .then_output(move || {
            let info = DeploymentInfo::builder()
                .deployment_id("d-1")
                .deployment_group_name("staging")
                .status(DeploymentStatus::Failed)
                .description(format!("Baton pipeline hello deploys app@3 to staging\n{tag}"))
                .error_information(ErrorInformation::builder().message("ValidateService failed").build())
                .rollback_info(RollbackInfo::builder().rollback_deployment_id("d-2").build())
                .build();
            GetDeploymentOutput::builder().deployment_info(info).build()
        });
    let rollback = mock!(aws_sdk_codedeploy::Client::get_deployment)
        .match_requests(|r| r.deployment_id() == Some("d-2"))
        .then_output(|| {
            let info = DeploymentInfo::builder()
                .deployment_id("d-2")
                .deployment_group_name("staging")
                .status(DeploymentStatus::Succeeded)
                .creator(DeploymentCreator::CodeDeployRollback)
                .build();
            GetDeploymentOutput::builder().deployment_info(info).build()
        });
    let list = mock!(aws_sdk_codedeploy::Client::list_deployment_targets)
        .then_output(|| ListDeploymentTargetsOutput::builder().target_ids("i-0abc").build());
    let targets = mock!(aws_sdk_codedeploy::Client::batch_get_deployment_targets).then_output(|| {
        let step = |name: &str, status: LifecycleEventStatus, tail: &str| {
            let diagnostics = Diagnostics::builder()
                .message(if tail.is_empty() { "" } else { "Script failed" })
                .log_tail(tail)
                .build();
            LifecycleEvent::builder()
                .lifecycle_event_name(name)
                .status(status)
                .diagnostics(diagnostics)
                .build()
        };
        let instance = InstanceTarget::builder()
            .target_id("i-0abc")
            .lifecycle_events(step("ApplicationStart", LifecycleEventStatus::Succeeded, ""))
            .lifecycle_events(step("ValidateService", LifecycleEventStatus::Failed, "curl: (7) Failed to connect"))
            .build();
        BatchGetDeploymentTargetsOutput::builder()
            .deployment_targets(DeploymentTarget::builder().instance_target(instance).build())
            .build()
    });
    let codedeploy = mock_client!(aws_sdk_codedeploy, RuleMode::MatchAny, [&first, &rollback, &list, &targets]);
    let mut ops = operations(&moto, MACHINE, sfn, codedeploy).await;
    // The group is analysed and d-1's interval was judged by a timer's check, kept in moto's
    // DynamoDB as the events function keeps it.
    let spec: AnalysisSpec = serde_json::from_value(serde_json::json!({
        "intervals": 2, "thresholds": {"pass": 90, "marginal": 50},
        "metrics": [{"name": "latency", "direction": "increase"}]
    }))
    .unwrap();
    let side = |ms: f64| BTreeMap::from([("latency".to_string(), vec![ms, ms + 1.0, ms + 2.0, ms + 3.0, ms + 4.0, ms + 5.0])]);
    let judged = baton_core::analysis::replay(
        &spec,
        vec![IntervalSamples {
            canary: side(100.0),
            baseline: side(100.0),
        }],
    );
    canary::keep(&ops.pending, "d-1", &judged).await.unwrap();
    ops.pipeline.groups.get_mut("staging").unwrap().analysis = Some(spec);

    let logs = ops.deployment_logs(EXECUTION, "staging").await.expect("deployment logs");
    let shown: Vec<(&str, Option<&str>, &str, bool)> = logs
        .iter()
        .map(|d| (d.id.as_str(), d.revision.as_deref(), d.status.as_str(), d.rollback))
        .collect();
    assert_eq!(shown, [("d-1", Some("app@3"), "Failed", false), ("d-2", None, "Succeeded", true)]);
    assert_eq!(logs[0].reason.as_deref(), Some("ValidateService failed"));
    let target = &logs[0].targets[0];
    let events: Vec<(&str, &str, Option<&str>)> = target
        .events
        .iter()
        .map(|e| (e.event.as_str(), e.status.as_str(), e.message.as_deref()))
        .collect();
    assert_eq!(
        (target.name.as_str(), events),
        (
            "i-0abc",
            vec![
                ("ApplicationStart", "Succeeded", None),
                ("ValidateService", "Failed", Some("Script failed"))
            ]
        )
    );
    assert_eq!(target.output, "curl: (7) Failed to connect");
    assert_eq!(logs[0].analysis, judged, "the kept interval, under its deployment");
    assert!(logs[1].analysis.is_empty(), "a rollback is not analysed");
    assert!(ops.deployment_logs(EXECUTION, "prod").await.expect("another group").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_builds_logs_are_its_builds_each_read_as_a_build() {
    use aws_sdk_codebuild::operation::batch_get_build_batches::BatchGetBuildBatchesOutput;
    use aws_sdk_codebuild::types::{BuildBatch, BuildGroup, BuildSummary};
    let moto = Moto::start();
    let config = moto.sdk_config();
    let batch_arn = "arn:aws:codebuild:us-east-1:123456789012:build-batch/hello-build:b-77";
    let history = mock!(aws_sdk_sfn::Client::get_execution_history).then_output(move || {
        let events = vec![
            event(1, 0, HistoryEventType::ExecutionStarted).build().expect("event"),
            entered(2, "Build:Compile"),
            submitted(3, 2, &format!(r#"{{"build_id":"{batch_arn}"}}"#)),
        ];
        GetExecutionHistoryOutput::builder()
            .set_events(Some(events))
            .build()
            .expect("history")
    });
    let describe = describe(ExecutionStatus::Running);
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, [&describe, &history]);
    // Two build groups (linux, windows): the first ended, the second still runs.
    let batches = mock!(aws_sdk_codebuild::Client::batch_get_build_batches)
        .match_requests(|r| r.ids() == ["hello-build:b-77"])
        .then_output(|| {
            let group = |name: &str| {
                let summary = BuildSummary::builder()
                    .arn(format!("arn:aws:codebuild:us-east-1:123456789012:build/hello-build:{name}"))
                    .build();
                BuildGroup::builder().identifier(name).current_build_summary(summary).build()
            };
            let batch = BuildBatch::builder()
                .id("hello-build:b-77")
                .arn("arn:aws:codebuild:us-east-1:123456789012:build-batch/hello-build:b-77")
                .build_groups(group("linux"))
                .build_groups(group("windows"))
                .build();
            BatchGetBuildBatchesOutput::builder().build_batches(batch).build()
        });
    let builds = mock!(aws_sdk_codebuild::Client::batch_get_builds)
        .match_requests(|r| r.ids() == ["hello-build:linux", "hello-build:windows"])
        .then_output(|| {
            let build = |name: &str, status: StatusType, complete: bool| {
                let logs = LogsLocation::builder()
                    .group_name("/baton/hello-baton/builds")
                    .stream_name(name)
                    .build();
                Build::builder()
                    .id(format!("hello-build:{name}"))
                    .build_status(status)
                    .build_complete(complete)
                    .logs(logs)
                    .build()
            };
            BatchGetBuildsOutput::builder()
                .builds(build("linux", StatusType::Succeeded, true))
                .builds(build("windows", StatusType::InProgress, false))
                .build()
        });
    let mut ops = operations(&moto, MACHINE, sfn, aws_sdk_codedeploy::Client::new(&config)).await;
    ops.codebuild = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&batches, &builds]);

    let found = ops.builds(EXECUTION).await.expect("builds");
    let seen: Vec<(&str, &str, &str, bool, &str)> = found
        .iter()
        .map(|b| (b.action.as_str(), b.id.as_str(), b.status.as_str(), b.ended, b.log.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "Build:Compile",
                "hello-build:linux",
                "SUCCEEDED",
                true,
                "/baton/hello-baton/builds:linux"
            ),
            (
                "Build:Compile",
                "hello-build:windows",
                "IN_PROGRESS",
                false,
                "/baton/hello-baton/builds:windows"
            ),
        ]
    );
}
