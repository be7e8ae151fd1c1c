//! What the cloud-mode test stands on besides moto: the example's files, documented sample
//! events, and `aws-smithy-mocks` clients for what moto does not implement (CodeCommit content,
//! CloudWatch alarms, finished builds' details).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
use aws_sdk_codebuild::types::{Build, BuildArtifacts};
use aws_sdk_codecommit::operation::get_blob::GetBlobOutput;
use aws_sdk_codecommit::operation::get_commit::GetCommitOutput;
use aws_sdk_codecommit::operation::get_folder::GetFolderOutput;
use aws_sdk_codecommit::types::{Commit, File, FileModeTypeEnum, UserInfo};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::Blob;
use serde_json::Value;

pub(crate) mod finished;
pub(crate) mod invoker;
pub(crate) mod services;
pub(crate) mod stack;

pub(crate) const COMMIT: &str = "7f0103fa1e2b3c4d5e6f708192a3b4c5d6e7f801";

pub(crate) fn example(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello-app").join(file)).unwrap()
}

pub(crate) fn sample_event(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events").join(file)).unwrap()).unwrap()
}

/// CodeCommit's content APIs (not in moto): one commit holding the example's top-level files.
pub(crate) fn codecommit() -> aws_sdk_codecommit::Client {
    const FILES: [&str; 4] = ["pipeline.yml", "buildspec.yml", "lint.buildspec.yml", "appspec.yml"];
    let commit = mock!(aws_sdk_codecommit::Client::get_commit).then_output(|| {
        let who = UserInfo::builder().name("Mary Major").date("1764583200 +0000").build();
        GetCommitOutput::builder()
            .commit(
                Commit::builder()
                    .commit_id(COMMIT)
                    .message("Say hello")
                    .author(who.clone())
                    .committer(who)
                    .build(),
            )
            .build()
    });
    let folder = mock!(aws_sdk_codecommit::Client::get_folder)
        .match_requests(|r| r.folder_path() == Some("/") && r.commit_specifier() == Some(COMMIT))
        .then_output(|| {
            let files = FILES.map(|f| {
                File::builder()
                    .absolute_path(format!("/{f}"))
                    .blob_id(f)
                    .file_mode(FileModeTypeEnum::Normal)
                    .build()
            });
            GetFolderOutput::builder()
                .commit_id(COMMIT)
                .folder_path("/")
                .set_files(Some(files.to_vec()))
                .build()
                .unwrap()
        });
    let blob = mock!(aws_sdk_codecommit::Client::get_blob).then_compute_output(|r| {
        GetBlobOutput::builder()
            .content(Blob::new(example(r.blob_id().unwrap())))
            .build()
            .unwrap()
    });
    mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, [&commit, &folder, &blob])
}

/// CloudWatch (moto does not speak its protocol): the bake's alarm is OK.
pub(crate) fn cloudwatch() -> aws_sdk_cloudwatch::Client {
    let alarms = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_compute_output(|r| {
        let alarms = r
            .alarm_names()
            .iter()
            .map(|n| MetricAlarm::builder().alarm_name(n).state_value(StateValue::Ok).build());
        DescribeAlarmsOutput::builder().set_metric_alarms(Some(alarms.collect())).build()
    });
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&alarms])
}

/// What CodeBuild reports for a finished build (moto fakes it): its outputs' locations.
pub(crate) type Builds = Arc<Mutex<HashMap<String, Vec<(String, String)>>>>;

pub(crate) fn build_details(builds: Builds, project: &str) -> aws_sdk_codebuild::Client {
    let project = project.to_string();
    let get = mock!(aws_sdk_codebuild::Client::batch_get_builds).then_compute_output(move |r| {
        let id = r.ids()[0].clone();
        let outputs = builds.lock().unwrap().get(&id).cloned().unwrap_or_default();
        let mut build = Build::builder().id(&id).project_name(&project);
        for (i, (name, location)) in outputs.into_iter().enumerate() {
            let artifact = BuildArtifacts::builder().location(location);
            build = if i == 0 {
                build.artifacts(artifact.build())
            } else {
                build.secondary_artifacts(artifact.artifact_identifier(name).build())
            };
        }
        BatchGetBuildsOutput::builder().builds(build.build()).build()
    });
    mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&get])
}
