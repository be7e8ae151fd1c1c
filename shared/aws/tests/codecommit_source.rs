//! `CodeCommitSource`: a commit's tree read through mocked CodeCommit content APIs (moto does
//! not implement them) and versioned in a moto S3 bucket, with the same digest as the same tree
//! on disk, executable bits and symlinks kept.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::time::Duration;

use aws_sdk_codecommit::config::retry::RetryConfig;
use aws_sdk_codecommit::operation::get_blob::GetBlobOutput;
use aws_sdk_codecommit::operation::get_branch::GetBranchOutput;
use aws_sdk_codecommit::operation::get_commit::GetCommitOutput;
use aws_sdk_codecommit::operation::get_folder::GetFolderOutput;
use aws_sdk_codecommit::types::{BranchInfo, Commit, File, FileModeTypeEnum, Folder, SymbolicLink, UserInfo};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::Blob;
use baton_aws::codecommit_source::CodeCommitSource;
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::ports::{ArtifactStore, SourceProvider};
use common::Moto;

const COMMIT: &str = "317f8570EXAMPLE0000000000000000000000000";

fn file(path: &str, blob: &str, mode: FileModeTypeEnum) -> File {
    File::builder().absolute_path(path).blob_id(blob).file_mode(mode).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commits_tree_becomes_the_source_artifact() {
    let moto = Moto::start();
    let s3 = moto.versioned_bucket("artifacts").await;
    let store = S3ArtifactStore::new(s3, "artifacts", "", Encryption::S3);

    let branch = mock!(aws_sdk_codecommit::Client::get_branch)
        .match_requests(|r| r.branch_name() == Some("main"))
        .then_output(|| {
            GetBranchOutput::builder()
                .branch(BranchInfo::builder().commit_id(COMMIT).build())
                .build()
        });
    let commit = mock!(aws_sdk_codecommit::Client::get_commit)
        .match_requests(|r| r.commit_id() == Some(COMMIT))
        .then_output(|| {
            let who = UserInfo::builder().name("Mary Major").date("1484167798 -0800").build();
            GetCommitOutput::builder()
                .commit(
                    Commit::builder()
                        .commit_id(COMMIT)
                        .message("Fix the greeting\n\nlonger text")
                        .author(who.clone())
                        .committer(who)
                        .build(),
                )
                .build()
        });
    let root = mock!(aws_sdk_codecommit::Client::get_folder)
        .match_requests(|r| r.folder_path() == Some("/") && r.commit_specifier() == Some(COMMIT))
        .then_output(|| {
            GetFolderOutput::builder()
                .commit_id(COMMIT)
                .folder_path("/")
                .files(file("/README.md", "blob-readme", FileModeTypeEnum::Normal))
                .sub_folders(Folder::builder().absolute_path("/bin").build())
                .symbolic_links(
                    SymbolicLink::builder()
                        .absolute_path("/latest")
                        .blob_id("blob-link")
                        .file_mode(FileModeTypeEnum::Symlink)
                        .build(),
                )
                .build()
                .unwrap()
        });
    let bin = mock!(aws_sdk_codecommit::Client::get_folder)
        .match_requests(|r| r.folder_path() == Some("/bin"))
        .then_output(|| {
            GetFolderOutput::builder()
                .commit_id(COMMIT)
                .folder_path("/bin")
                .files(file("/bin/app", "blob-app", FileModeTypeEnum::Executable))
                .build()
                .unwrap()
        });
    let blobs: [(&'static str, &'static str); 3] = [
        ("blob-readme", "# hello\n"),
        ("blob-app", "#!/bin/sh\necho hello\n"),
        ("blob-link", "bin/app"),
    ];
    // Each blob's first request meets a fault (a 503, then throttling), ridden out by the SDK's
    // retries: the tree still arrives whole.
    let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    let blob_rules: Vec<_> = blobs
        .into_iter()
        .enumerate()
        .map(|(i, (id, text))| {
            let fault = if i % 2 == 0 {
                (503, None)
            } else {
                (400, Some(throttled.to_string()))
            };
            mock!(aws_sdk_codecommit::Client::get_blob)
                .match_requests(move |r| r.blob_id() == Some(id))
                .sequence()
                .http_status(fault.0, fault.1)
                .output(move || GetBlobOutput::builder().content(Blob::new(text.as_bytes())).build().unwrap())
                .build()
        })
        .collect();
    let client = mock_client!(
        aws_sdk_codecommit,
        RuleMode::MatchAny,
        [&branch, &commit, &root, &bin, &blob_rules[0], &blob_rules[1], &blob_rules[2]],
        |c| c.retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
        )
    );
    let source = CodeCommitSource::new(client, "hello-app", "main", store.clone());
    let snapshot = source.snapshot("hello", "e1", None).await.unwrap();

    assert_eq!(snapshot.commit_id.as_deref(), Some(COMMIT));
    assert_eq!(snapshot.revision_summary.as_deref(), Some("Fix the greeting (Mary Major)"));
    assert_eq!(snapshot.commit_time.as_deref(), Some("2017-01-11T20:49:58Z"));
    assert_eq!(
        blob_rules.iter().map(|r| r.num_calls()).sum::<usize>(),
        6,
        "each blob: a fault, then its content"
    );

    // The same tree on disk has the same digest: contents, the executable bit and the link.
    let expected = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(expected.path().join("bin")).unwrap();
    std::fs::write(expected.path().join("README.md"), "# hello\n").unwrap();
    std::fs::write(expected.path().join("bin/app"), "#!/bin/sh\necho hello\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(expected.path().join("bin/app"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("bin/app", expected.path().join("latest")).unwrap();
    assert_eq!(
        snapshot.artifact.digest,
        baton_core::digest::summarize(expected.path()).unwrap().digest
    );
    let manifest = store.manifest("hello", "source", snapshot.artifact.version).await.unwrap().unwrap();
    assert_eq!(manifest.provenance.commit_id.as_deref(), Some(COMMIT));
}

/// Two links, each pointing inside the repository on its own (`d/l1 -> ..`, `d/l2 -> l1/..`),
/// that together climb out of it: the snapshot is refused before anything is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_of_links_out_of_the_repository_is_refused() {
    let link = |path: &str, blob: &str| {
        SymbolicLink::builder()
            .absolute_path(path)
            .blob_id(blob)
            .file_mode(FileModeTypeEnum::Symlink)
            .build()
    };
    let branch = mock!(aws_sdk_codecommit::Client::get_branch).then_output(|| {
        GetBranchOutput::builder()
            .branch(BranchInfo::builder().commit_id(COMMIT).build())
            .build()
    });
    let commit = mock!(aws_sdk_codecommit::Client::get_commit).then_output(|| {
        GetCommitOutput::builder()
            .commit(Commit::builder().commit_id(COMMIT).message("links").build())
            .build()
    });
    let root = mock!(aws_sdk_codecommit::Client::get_folder)
        .match_requests(|r| r.folder_path() == Some("/"))
        .then_output(|| {
            GetFolderOutput::builder()
                .commit_id(COMMIT)
                .folder_path("/")
                .sub_folders(Folder::builder().absolute_path("/d").build())
                .build()
                .unwrap()
        });
    let d = mock!(aws_sdk_codecommit::Client::get_folder)
        .match_requests(|r| r.folder_path() == Some("/d"))
        .then_output(move || {
            GetFolderOutput::builder()
                .commit_id(COMMIT)
                .folder_path("/d")
                .symbolic_links(link("/d/l1", "blob-l1"))
                .symbolic_links(link("/d/l2", "blob-l2"))
                .build()
                .unwrap()
        });
    let l1 = mock!(aws_sdk_codecommit::Client::get_blob)
        .match_requests(|r| r.blob_id() == Some("blob-l1"))
        .then_output(|| GetBlobOutput::builder().content(Blob::new("..")).build().unwrap());
    let l2 = mock!(aws_sdk_codecommit::Client::get_blob)
        .match_requests(|r| r.blob_id() == Some("blob-l2"))
        .then_output(|| GetBlobOutput::builder().content(Blob::new("l1/..")).build().unwrap());
    let client = mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, [&branch, &commit, &root, &d, &l1, &l2]);
    let moto = Moto::start();
    let s3 = moto.versioned_bucket("artifacts").await;
    let store = S3ArtifactStore::new(s3.clone(), "artifacts", "", Encryption::S3);
    let source = CodeCommitSource::new(client, "hello-app", "main", store);
    let err = source.snapshot("hello", "e1", None).await.unwrap_err();
    assert!(err.message.contains("leads out"), "{}", err.message);
    let stored = s3.list_objects_v2().bucket("artifacts").send().await.unwrap();
    assert_eq!(stored.key_count(), Some(0), "nothing is stored");
}
