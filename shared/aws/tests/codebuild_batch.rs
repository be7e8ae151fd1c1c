//! Batch builds on CodeBuild (an action's `batch: true`): `StartBuildBatch` with the action's
//! overrides, `StopBuildBatch`, and the batch's end read when its builds' state-change events
//! arrive. moto implements none of the batch calls, so they are `aws-smithy-mocks` rules over
//! the real client; the source bundle is in moto's S3.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::path::Path;

use aws_sdk_codebuild::operation::batch_get_build_batches::BatchGetBuildBatchesOutput;
use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
use aws_sdk_codebuild::operation::start_build_batch::StartBuildBatchOutput;
use aws_sdk_codebuild::operation::stop_build_batch::StopBuildBatchOutput;
use aws_sdk_codebuild::types::{Build, BuildArtifacts, BuildBatch, BuildGroup, BuildSummary, SourceType, StatusType};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use baton_aws::codebuild::{BuildStateChangeEvent, CORRELATION_VAR, CodeBuildRunner};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::events::{BuildStatus, Event};
use baton_core::ports::{BuildRequest, BuildRunner};
use common::Moto;
use serde_json::Value;

const BATCH_ARN: &str = "arn:aws:codebuild:us-east-1:123456789012:build-batch/baton-builds:6e4c";

async fn request(moto: &Moto) -> (S3ArtifactStore, BuildRequest) {
    let client = moto.versioned_bucket("artifacts").await;
    let store = S3ArtifactStore::new(client, "artifacts", "baton", Encryption::S3);
    let source = common::source_artifact(
        &store,
        "version: 0.2\nbatch:\n  build-list:\n    - identifier: one\n      buildspec: one.yml\n",
    )
    .await;
    let req = BuildRequest {
        correlation: "e1/Build:Ci/0".into(),
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Build:Ci".into(),
        buildspec: "buildspec.yml".into(),
        source,
        commit_id: None,
        outputs: vec!["dist".into()],
        env: [("GREETING".to_string(), "hello".to_string())].into(),
        timeout_secs: 600,
        batch: true,
    };
    (store, req)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_action_starts_a_build_batch_with_its_overrides_and_stops_it_by_arn() {
    let moto = Moto::start();
    let (store, req) = request(&moto).await;
    let start = mock!(aws_sdk_codebuild::Client::start_build_batch)
        .match_requests(|r| {
            let env: Vec<(&str, &str)> = r.environment_variables_override().iter().map(|v| (v.name(), v.value())).collect();
            r.project_name() == Some("baton-builds")
                && r.source_type_override() == Some(&SourceType::S3)
                && r.source_version().is_some()
                && r.buildspec_override() == Some("buildspec.yml")
                && r.build_timeout_in_minutes_override() == Some(10)
                && r.idempotency_token().is_some_and(|t| t.len() == 32)
                && env.contains(&(CORRELATION_VAR, "e1/Build:Ci/0"))
                && env.contains(&("GREETING", "hello"))
                && r.artifacts_override().and_then(|a| a.name()) == Some("dist.zip")
        })
        .then_output(|| {
            StartBuildBatchOutput::builder()
                .build_batch(BuildBatch::builder().id("baton-builds:6e4c").arn(BATCH_ARN).build())
                .build()
        });
    let build = mock!(aws_sdk_codebuild::Client::start_build).then_output(|| {
        aws_sdk_codebuild::operation::start_build::StartBuildOutput::builder()
            .build_value(Build::builder().id("baton-builds:1").build())
            .build()
    });
    let stop = mock!(aws_sdk_codebuild::Client::stop_build_batch)
        .match_requests(|r| r.id() == Some("baton-builds:6e4c"))
        .then_output(|| {
            StopBuildBatchOutput::builder()
                .build_batch(BuildBatch::builder().build_batch_status(StatusType::Stopped).build())
                .build()
        });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&start, &build, &stop]);
    let runner = CodeBuildRunner::new(client, "baton-builds", store);
    let job = runner.start(req.clone()).await.unwrap();
    assert_eq!(job, BATCH_ARN, "a batch is the action's job");
    assert_eq!((start.num_calls(), build.num_calls()), (1, 0));
    runner.stop(&job).await.unwrap();
    assert_eq!(stop.num_calls(), 1);

    // Without `batch: true` the same request is a build.
    let mut single = req;
    single.batch = false;
    assert_eq!(runner.start(single).await.unwrap(), "baton-builds:1");
    assert_eq!((start.num_calls(), build.num_calls()), (1, 1));
}

/// The CodeBuild user guide's sample state-change event, for a build of Baton's batch.
fn child_event() -> BuildStateChangeEvent {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/codebuild-state-change.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["detail"]["build-status"] = "SUCCEEDED".into();
    event["detail"]["additional-information"]["environment"]["environment-variables"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "name": CORRELATION_VAR, "type": "PLAINTEXT", "value": "e1/Build:Ci/0" }));
    serde_json::from_value(event).unwrap()
}

/// `BatchGetBuilds` of the reporting build: one of the batch's.
fn child() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_codebuild::Client::batch_get_builds).then_output(|| {
        BatchGetBuildsOutput::builder()
            .builds(Build::builder().id("baton-builds:child-1").build_batch_arn(BATCH_ARN).build())
            .build()
    })
}

fn group(id: &str, status: StatusType, ignore_failure: bool) -> BuildGroup {
    BuildGroup::builder()
        .identifier(id)
        .ignore_failure(ignore_failure)
        .current_build_summary(BuildSummary::builder().build_status(status).build())
        .build()
}

fn batch(status: StatusType, groups: Vec<BuildGroup>) -> BuildBatch {
    BuildBatch::builder()
        .id("baton-builds:6e4c")
        .arn(BATCH_ARN)
        .build_batch_status(status)
        .artifacts(
            BuildArtifacts::builder()
                .location("arn:aws:s3:::artifacts/baton/hello/staging/e1/Build-Ci/0/dist.zip")
                .build(),
        )
        .set_build_groups(Some(groups))
        .build()
}

/// A build of the batch reports; the action's answer is the batch's end, not the build's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_ends_the_action_when_it_ends_not_when_its_first_build_does() {
    let moto = Moto::start();
    let (store, _) = request(&moto).await;
    let running = mock!(aws_sdk_codebuild::Client::batch_get_build_batches)
        .match_requests(|r| r.ids() == ["baton-builds:6e4c"])
        .then_output(|| {
            BatchGetBuildBatchesOutput::builder()
                .build_batches(batch(
                    StatusType::InProgress,
                    vec![
                        group("one", StatusType::Succeeded, false),
                        group("two", StatusType::InProgress, false),
                    ],
                ))
                .build()
        });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::Sequential, [&child(), &running]);
    let runner = CodeBuildRunner::new(client, "baton-builds", store.clone());
    assert!(runner.event(&child_event()).await.unwrap().is_none(), "another build still runs");

    let ended = mock!(aws_sdk_codebuild::Client::batch_get_build_batches).then_output(|| {
        BatchGetBuildBatchesOutput::builder()
            .build_batches(batch(
                StatusType::Succeeded,
                vec![group("one", StatusType::Succeeded, false), group("flaky", StatusType::Failed, true)],
            ))
            .build()
    });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::Sequential, [&child(), &ended]);
    let runner = CodeBuildRunner::new(client, "baton-builds", store.clone());
    let Some(Event::BuildStateChange {
        build_id,
        correlation,
        status,
        outputs,
        reason,
        ..
    }) = runner.event(&child_event()).await.unwrap()
    else {
        panic!("an ended batch ends the action");
    };
    assert_eq!(
        (build_id.as_str(), correlation.as_str(), status),
        (BATCH_ARN, "e1/Build:Ci/0", BuildStatus::Succeeded)
    );
    assert_eq!(outputs.len(), 1);
    assert_eq!(
        (outputs[0].name.as_str(), outputs[0].location.as_str()),
        ("dist", "s3://artifacts/baton/hello/staging/e1/Build-Ci/0/dist.zip"),
        "the combined artifact"
    );
    assert_eq!(reason, None);

    let failed = mock!(aws_sdk_codebuild::Client::batch_get_build_batches).then_output(|| {
        BatchGetBuildBatchesOutput::builder()
            .build_batches(batch(
                StatusType::Failed,
                vec![group("one", StatusType::Failed, false), group("flaky", StatusType::Failed, true)],
            ))
            .build()
    });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::Sequential, [&child(), &failed]);
    let runner = CodeBuildRunner::new(client, "baton-builds", store);
    let Some(Event::BuildStateChange {
        status, outputs, reason, ..
    }) = runner.event(&child_event()).await.unwrap()
    else {
        panic!("an ended batch ends the action");
    };
    assert_eq!(status, BuildStatus::Failed);
    assert!(outputs.is_empty());
    assert_eq!(
        reason.as_deref(),
        Some("batch: build `one` FAILED"),
        "ignore-failure builds are not blamed"
    );
}

/// When the batch's last build has ended the batch still combines its artifacts: the event
/// waits for the batch's end rather than losing it (no event says when a batch ends).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_build_waits_for_its_batch_to_end() {
    let moto = Moto::start();
    let (store, _) = request(&moto).await;
    let child = child();
    let combining = mock!(aws_sdk_codebuild::Client::batch_get_build_batches).then_output(|| {
        BatchGetBuildBatchesOutput::builder()
            .build_batches(batch(StatusType::InProgress, vec![group("one", StatusType::Succeeded, false)]))
            .build()
    });
    let ended = mock!(aws_sdk_codebuild::Client::batch_get_build_batches).then_output(|| {
        BatchGetBuildBatchesOutput::builder()
            .build_batches(batch(StatusType::Succeeded, vec![group("one", StatusType::Succeeded, false)]))
            .build()
    });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::Sequential, [&child, &combining, &ended]);
    let runner = CodeBuildRunner::new(client, "baton-builds", store);
    let event = runner.event(&child_event()).await.unwrap();
    assert!(
        matches!(
            event,
            Some(Event::BuildStateChange {
                status: BuildStatus::Succeeded,
                ..
            })
        ),
        "{event:?}"
    );
    assert_eq!((combining.num_calls(), ended.num_calls()), (1, 1));
}
