//! `CodeBuildRunner`: `StartBuild` against moto (the project, the S3 source pinned by version,
//! the staged outputs), the request's overrides checked with `aws-smithy-mocks`, and the
//! documented `CodeBuild Build State Change` event turned into Baton's with the build's details
//! from mocked `BatchGetBuilds` / `BatchGetReports` (moto fakes build statuses). Last, faults:
//! StartBuild answered with server errors, throttling and a refusal through the real client.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::path::Path;
use std::time::Duration;

use aws_sdk_codebuild::operation::start_build::StartBuildOutput;
use aws_sdk_codebuild::types::{
    Build, BuildArtifacts, BuildPhase, BuildPhaseType, ExportedEnvironmentVariable, PhaseContext, Report, SourceType, StatusType,
    TestReportSummary,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::retry::RetryConfig;
use baton_aws::codebuild::{BuildStateChangeEvent, CORRELATION_VAR, CodeBuildRunner};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::events::{BuildStatus, Event};
use baton_core::ports::{ArtifactRef, ArtifactStore, BuildRequest, BuildRunner, PendingTasks, Provenance, StagedArtifact};
use baton_core::stages::abandon;
use common::Moto;
use serde_json::Value;

async fn store(moto: &Moto) -> (aws_sdk_s3::Client, S3ArtifactStore) {
    let client = moto.versioned_bucket("artifacts").await;
    (client.clone(), S3ArtifactStore::new(client, "artifacts", "baton", Encryption::S3))
}

async fn source(store: &S3ArtifactStore) -> ArtifactRef {
    common::source_artifact(store, "version: 0.2\nphases:\n  build:\n    commands: [make]\n").await
}

fn request(source: ArtifactRef, outputs: &[&str]) -> BuildRequest {
    BuildRequest {
        correlation: "e1/Build:Compile/0".into(),
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Build:Compile".into(),
        buildspec: "buildspec.yml".into(),
        source,
        commit_id: Some("c0ffee".into()),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        env: [("GREETING".to_string(), "hello".to_string())].into(),
        timeout_secs: 90,
        batch: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_start_on_the_shared_project_from_the_pinned_source_bundle() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    let content = store.manifest("hello", "source", 1).await.unwrap().unwrap().content.unwrap();
    let client = moto.build_project("baton-builds").await;
    let runner = CodeBuildRunner::new(client.clone(), "baton-builds", store.clone());
    let id = runner.start(request(source, &["app"])).await.unwrap();
    assert!(id.starts_with("baton-builds:"), "{id}");

    let builds = client.batch_get_builds().ids(&id).send().await.unwrap();
    let build = &builds.builds()[0];
    assert_eq!(
        build.source_version(),
        content.version_id.as_deref(),
        "the source is pinned by S3 object version"
    );
    let artifacts = build.artifacts().unwrap();
    // moto echoes the artifacts override back where AWS reports the object's ARN.
    let location = artifacts.location().unwrap();
    assert!(
        location == "artifacts" || location.ends_with("baton/hello/staging/e1/Build-Compile/0/app.zip"),
        "{location}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_request_carries_the_actions_overrides() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    let uri = store.manifest("hello", "source", 1).await.unwrap().unwrap().content.unwrap().uri;
    let expected_location = uri.trim_start_matches("s3://").to_string();
    let start = mock!(aws_sdk_codebuild::Client::start_build)
        .match_requests(move |r| {
            let env: Vec<(&str, &str)> = r.environment_variables_override().iter().map(|v| (v.name(), v.value())).collect();
            let secondary: Vec<_> = r
                .secondary_artifacts_override()
                .iter()
                .filter_map(|a| a.artifact_identifier())
                .collect();
            r.project_name() == Some("baton-builds")
                && r.source_type_override() == Some(&SourceType::S3)
                && r.source_location_override() == Some(expected_location.as_str())
                && r.buildspec_override() == Some("buildspec.yml")
                && r.timeout_in_minutes_override() == Some(5)
                && r.idempotency_token().is_some_and(|t| t.len() == 32)
                && env.contains(&(CORRELATION_VAR, "e1/Build:Compile/0"))
                && env.contains(&("BATON_COMMIT_ID", "c0ffee"))
                && env.contains(&("GREETING", "hello"))
                && r.artifacts_override().and_then(|a| a.name()) == Some("app.zip")
                && secondary == ["docs"]
        })
        .then_output(|| {
            StartBuildOutput::builder()
                .build_value(Build::builder().id("baton-builds:1").build())
                .build()
        });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&start]);
    let runner = CodeBuildRunner::new(client, "baton-builds", store);
    assert_eq!(runner.start(request(source, &["app", "docs"])).await.unwrap(), "baton-builds:1");
    assert_eq!(start.num_calls(), 1);
}

/// The CodeBuild user guide's sample state-change event, for a build Baton started.
fn sample_event(status: &str) -> BuildStateChangeEvent {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/codebuild-state-change.json")).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    event["detail"]["build-status"] = status.into();
    event["detail"]["additional-information"]["environment"]["environment-variables"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({ "name": CORRELATION_VAR, "type": "PLAINTEXT", "value": "e1/Build:Compile/0" }));
    serde_json::from_value(event).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_build_reports_its_failing_phase_tests_and_variables() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let get = mock!(aws_sdk_codebuild::Client::batch_get_builds).then_output(|| {
        aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput::builder()
            .builds(
                Build::builder()
                    .id("my-sample-project:8745a7a9")
                    .project_name("my-sample-project")
                    .phases(
                        BuildPhase::builder()
                            .phase_type(BuildPhaseType::Install)
                            .phase_status(StatusType::Succeeded)
                            .build(),
                    )
                    .phases(
                        BuildPhase::builder()
                            .phase_type(BuildPhaseType::Build)
                            .phase_status(StatusType::Failed)
                            .contexts(
                                PhaseContext::builder()
                                    .status_code("COMMAND_EXECUTION_ERROR")
                                    .message("Error while executing command: make test. Reason: exit status 2")
                                    .build(),
                            )
                            .build(),
                    )
                    .exported_environment_variables(ExportedEnvironmentVariable::builder().name("VERSION").value("1.2.3").build())
                    .report_arns("arn:aws:codebuild:us-west-2:123456789012:report/my-sample-project-unit:4d6c")
                    .build(),
            )
            .build()
    });
    let reports = mock!(aws_sdk_codebuild::Client::batch_get_reports).then_output(|| {
        aws_sdk_codebuild::operation::batch_get_reports::BatchGetReportsOutput::builder()
            .reports(
                Report::builder()
                    .arn("arn:aws:codebuild:us-west-2:123456789012:report/my-sample-project-unit:4d6c")
                    .test_summary(
                        TestReportSummary::builder()
                            .total(10)
                            .status_counts("SUCCEEDED", 8)
                            .status_counts("FAILED", 1)
                            .status_counts("SKIPPED", 1)
                            .duration_in_nano_seconds(2_500_000_000)
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&get, &reports]);
    let runner = CodeBuildRunner::new(client, "my-sample-project", store);
    let Some(Event::BuildStateChange {
        correlation,
        status,
        outputs,
        reports,
        variables,
        reason,
        log,
        ..
    }) = runner.event(&sample_event("FAILED")).await.unwrap()
    else {
        panic!("a finished Baton build is an event");
    };
    assert_eq!((correlation.as_str(), status), ("e1/Build:Compile/0", BuildStatus::Failed));
    assert!(outputs.is_empty(), "a failed build versions nothing");
    assert_eq!(
        reason.as_deref(),
        Some("phase BUILD FAILED: Error while executing command: make test. Reason: exit status 2")
    );
    assert_eq!(variables.get("VERSION").map(String::as_str), Some("1.2.3"));
    assert_eq!(reports.len(), 1);
    assert_eq!(
        (
            reports[0].group.as_str(),
            reports[0].total,
            reports[0].passed,
            reports[0].failed,
            reports[0].skipped,
            reports[0].duration_ms
        ),
        ("unit", 10, 8, 1, 1, 2500)
    );
    assert!(log.unwrap().starts_with("https://console.aws.amazon.com/cloudwatch/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_succeeded_builds_staged_zip_becomes_a_version() {
    let moto = Moto::start();
    let (s3, store) = store(&moto).await;
    // What CodeBuild leaves in staging: a zip of the output tree.
    let tree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tree.path().join("bin")).unwrap();
    std::fs::write(tree.path().join("bin/app"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::write(tree.path().join("appspec.yml"), "version: 0.0\nos: linux\n").unwrap();
    let mut zip = Vec::new();
    baton_core::bundle::write(tree.path(), std::io::Cursor::new(&mut zip)).unwrap();
    let key = "baton/hello/staging/e1/Build-Compile/0/app.zip";
    s3.put_object().bucket("artifacts").key(key).body(zip.into()).send().await.unwrap();

    let get = mock!(aws_sdk_codebuild::Client::batch_get_builds).then_output(move || {
        aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput::builder()
            .builds(
                Build::builder()
                    .id("my-sample-project:8745a7a9")
                    .artifacts(BuildArtifacts::builder().location(format!("arn:aws:s3:::artifacts/{key}")).build())
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&get]);
    let runner = CodeBuildRunner::new(client, "my-sample-project", store.clone());
    let Some(Event::BuildStateChange { status, outputs, .. }) = runner.event(&sample_event("SUCCEEDED")).await.unwrap() else {
        panic!("a finished Baton build is an event");
    };
    assert_eq!(status, BuildStatus::Succeeded);
    assert_eq!(
        outputs,
        [StagedArtifact {
            name: "app".into(),
            location: format!("s3://artifacts/{key}")
        }]
    );
    let provenance = Provenance {
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Build:Compile".into(),
        ..Provenance::default()
    };
    let manifest = store.put(&outputs[0], provenance).await.unwrap();
    assert_eq!(manifest.artifact.digest, baton_core::digest::summarize(tree.path()).unwrap().digest);
    assert_eq!(manifest.file_count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_and_foreign_builds_are_not_events() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, []);
    let runner = CodeBuildRunner::new(client, "my-sample-project", store);
    assert!(runner.event(&sample_event("IN_PROGRESS")).await.unwrap().is_none());
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events/codebuild-state-change.json")).unwrap();
    let foreign: BuildStateChangeEvent = serde_json::from_str(&text).unwrap();
    assert!(
        runner.event(&foreign).await.unwrap().is_none(),
        "a build without BATON_CORRELATION is someone else's"
    );
}

/// Every status the event can carry: the running one is not an end, each terminal one becomes
/// Baton's, with outputs only for a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_terminal_status_maps_to_its_domain_status() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let get = mock!(aws_sdk_codebuild::Client::batch_get_builds).then_output(|| {
        aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput::builder()
            .builds(
                Build::builder()
                    .id("my-sample-project:8745a7a9")
                    .artifacts(BuildArtifacts::builder().location("arn:aws:s3:::artifacts/x/app.zip").build())
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&get]);
    let runner = CodeBuildRunner::new(client, "my-sample-project", store);
    assert!(runner.event(&sample_event("IN_PROGRESS")).await.unwrap().is_none());
    for (text, expected) in [
        ("SUCCEEDED", BuildStatus::Succeeded),
        ("FAILED", BuildStatus::Failed),
        ("FAULT", BuildStatus::Fault),
        ("TIMED_OUT", BuildStatus::TimedOut),
        ("STOPPED", BuildStatus::Stopped),
    ] {
        let Some(Event::BuildStateChange { status, outputs, .. }) = runner.event(&sample_event(text)).await.unwrap() else {
            panic!("{text} ends a build");
        };
        assert_eq!(status, expected);
        assert_eq!(outputs.len(), usize::from(expected == BuildStatus::Succeeded), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_that_ends_early_has_its_build_stopped_and_its_tasks_cleared() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    let runner = CodeBuildRunner::new(moto.build_project("baton-builds").await, "baton-builds", store.clone());
    let state = moto.state_table("baton-state").await;
    let input = serde_json::json!({
        "task_token": "token-1",
        "pipeline": "hello",
        "execution_id": "e1",
        "action": "Build:Compile",
        "buildspec": "buildspec.yml",
        "timeout_secs": 600,
        "source": source,
    });
    let started = baton_core::stages::build::start(&runner, &state, baton_core::stages::decode(input).unwrap())
        .await
        .unwrap();
    let build_id = started["build_id"].as_str().unwrap().to_string();
    let waiting = state.list("build/e1/").await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].1.context["job_id"], build_id.as_str(), "the build is noted on its task");
    assert_eq!(waiting[0].1.context["action"], "Build:Compile", "the rest of the context is kept");

    // A succeeded execution waits on nothing: nothing is touched.
    let kept = abandon::ended(&state, &runner, "e1", "SUCCEEDED").await.unwrap();
    assert_eq!(kept, abandon::Abandoned::default());
    let ended = abandon::ended(&state, &runner, "e1", "ABORTED").await.unwrap();
    assert_eq!(ended.builds_stopped, vec![build_id.clone()]);
    assert_eq!(ended.dropped, vec!["build/e1/Build:Compile/0".to_string()]);
    assert!(state.list("build/e1/").await.unwrap().is_empty());
    // The build's completion comes later and finds nobody; noting a job on a task that is gone
    // does not bring it back.
    assert!(!state.note_job("build/e1/Build:Compile/0", &build_id).await.unwrap());
    assert!(state.list("build/").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_start_delivered_again_starts_no_second_build() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    let client = moto.build_project("baton-builds").await;
    let runner = CodeBuildRunner::new(client.clone(), "baton-builds", store.clone());
    let state = moto.state_table("baton-state").await;
    let input = serde_json::json!({
        "task_token": "token-1", "pipeline": "hello", "execution_id": "e1", "action": "Build:Compile",
        "buildspec": "buildspec.yml", "timeout_secs": 600, "source": source,
    });
    let mut ids = Vec::new();
    for _ in 0..3 {
        let out = baton_core::stages::build::start(&runner, &state, baton_core::stages::decode(input.clone()).unwrap())
            .await
            .unwrap();
        ids.push(out["build_id"].as_str().unwrap().to_string());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    // Counted on the service: moto ignores idempotency tokens, so only Baton's own check
    // keeps this at one.
    let builds = client.list_builds_for_project().project_name("baton-builds").send().await.unwrap();
    assert_eq!(builds.ids().len(), 1, "{:?}", builds.ids());
}

// Injected faults: what AWS documents as retryable is retried by the SDK with backoff and
// jitter and, once the attempts run out, reaches the state machine as `Transient` for its own
// retry; a refusal is terminal at once, with its code, after one request.

/// A CodeBuild client that answers with `rule`, retrying as the SDK's standard mode does (three
/// attempts), with millisecond backoffs so the test does not wait.
fn codebuild(rule: &Rule) -> aws_sdk_codebuild::Client {
    mock_client!(aws_sdk_codebuild, RuleMode::Sequential, [rule], |c| c.retry_config(
        RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(1))
            .with_max_backoff(Duration::from_millis(5))
    ))
}

fn started() -> StartBuildOutput {
    StartBuildOutput::builder()
        .build_value(Build::builder().id("baton-builds:1234").build())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_throttling_are_retried_and_the_build_starts() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    let rule = mock!(aws_sdk_codebuild::Client::start_build)
        .sequence()
        .http_status(503, None)
        .http_status(400, Some(throttled.to_string()))
        .output(started)
        .build();
    let runner = CodeBuildRunner::new(codebuild(&rule), "baton-builds", store);
    let id = runner.start(request(source, &[])).await.unwrap();
    assert_eq!(id, "baton-builds:1234");
    assert_eq!(rule.num_calls(), 3, "two faults, then the start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_that_outlast_the_retries_reach_the_state_machine_as_transient() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    let rule = mock!(aws_sdk_codebuild::Client::start_build)
        .sequence()
        .http_status(500, None)
        .times(3)
        .build();
    let runner = CodeBuildRunner::new(codebuild(&rule), "baton-builds", store);
    let e = runner.start(request(source, &[])).await.unwrap_err();
    assert!(e.transient, "{e:?}");
    assert!(e.message.starts_with("CodeBuild StartBuild failed"), "{e:?}");
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_terminal_at_once_and_names_its_code() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let source = source(&store).await;
    // As CodeBuild sends it: a 400 whose body names the error.
    let refused = r#"{"__type":"InvalidInputException","message":"buildspec override too long"}"#;
    let rule = mock!(aws_sdk_codebuild::Client::start_build)
        .sequence()
        .http_status(400, Some(refused.to_string()))
        .build();
    let runner = CodeBuildRunner::new(codebuild(&rule), "baton-builds", store);
    let e = runner.start(request(source, &[])).await.unwrap_err();
    assert!(!e.transient, "{e:?}");
    assert!(e.message.contains("InvalidInputException: buildspec override too long"), "{e:?}");
    assert_eq!(rule.num_calls(), 1, "not retried");
}
