//! `S3ArtifactStore` with the real SDK against a moto server: round trip by version id, the same
//! digest as the local store, racing writers, multipart uploads with checksums, conditional
//! last-good updates, encryption, and content addressing.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::types::ServerSideEncryption;
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_core::ports::{ArtifactStore, Provenance, StagedArtifact};
use common::Moto;

async fn store(moto: &Moto) -> (aws_sdk_s3::Client, S3ArtifactStore) {
    let client = moto.versioned_bucket("baton-artifacts").await;
    let store = S3ArtifactStore::new(client.clone(), "baton-artifacts", "baton", Encryption::S3);
    (client, store)
}

fn tree(root: &Path, tag: &str) {
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::write(root.join("appspec.yml"), "version: 0.0\nos: linux\n").unwrap();
    std::fs::write(root.join("bin/app"), format!("#!/bin/sh\necho {tag}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("bin/app"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn staged(dir: &Path) -> StagedArtifact {
    StagedArtifact {
        name: "app".into(),
        location: dir.to_string_lossy().into_owned(),
    }
}

fn provenance(execution: &str) -> Provenance {
    Provenance {
        pipeline: "hello".into(),
        execution_id: execution.into(),
        action: "Build:Compile".into(),
        ..Provenance::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_version_comes_back_whole_by_its_version_id() {
    let moto = Moto::start();
    let (client, store) = store(&moto).await;
    let src = tempfile::tempdir().unwrap();
    tree(src.path(), "one");
    let m = store.put(&staged(src.path()), provenance("e1")).await.unwrap();
    assert_eq!((m.artifact.version, m.file_count), (1, 2));
    // The same canonical digest as the local store.
    assert_eq!(m.artifact.digest, baton_core::digest::summarize(src.path()).unwrap().digest);
    let content = m.content.clone().unwrap();
    assert!(content.version_id.is_some(), "versioning is on: the bundle is pinned by version id");
    assert!(content.uri.starts_with("s3://baton-artifacts/baton/hello/blobs/"));
    assert_eq!(store.manifest("hello", "app", 1).await.unwrap().unwrap(), m);

    // Whatever later lands on the key, the manifest's version id gives the original bytes.
    let key = content.uri.trim_start_matches("s3://baton-artifacts/");
    client
        .put_object()
        .bucket("baton-artifacts")
        .key(key)
        .body(b"tampered".to_vec().into())
        .send()
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    store.fetch("hello", &m.artifact, &out.path().join("got")).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(out.path().join("got/bin/app")).unwrap(),
        "#!/bin/sh\necho one\n"
    );

    let head = client
        .head_object()
        .bucket("baton-artifacts")
        .key(key)
        .version_id(content.version_id.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(head.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    assert!(store.manifest("hello", "app", 2).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_never_share_a_version_number() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let store = Arc::new(store);
    let dirs: Vec<_> = (0..12)
        .map(|i| {
            let d = tempfile::tempdir().unwrap();
            tree(d.path(), &format!("writer {i}"));
            d
        })
        .collect();
    let mut puts = tokio::task::JoinSet::new();
    for (i, d) in dirs.iter().enumerate() {
        let (store, staged) = (store.clone(), staged(d.path()));
        puts.spawn(async move { store.put(&staged, provenance(&format!("e{i}"))).await.unwrap() });
    }
    let manifests = puts.join_all().await;
    let versions: BTreeSet<u64> = manifests.iter().map(|m| m.artifact.version).collect();
    assert_eq!(versions, (1..=12).collect(), "twelve writers, twelve distinct versions");
    for m in &manifests {
        let stored = store.manifest("hello", "app", m.artifact.version).await.unwrap().unwrap();
        assert_eq!(&stored, m, "each version is the writer's that claimed it");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_artifact_goes_up_in_checksummed_parts_and_an_identical_one_uploads_nothing() {
    let moto = Moto::start();
    let (client, store) = store(&moto).await;
    let src = tempfile::tempdir().unwrap();
    tree(src.path(), "big");
    // Incompressible, so the bundle spans three 16 MiB parts.
    let mut data = vec![0u8; 40 << 20];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    std::fs::write(src.path().join("blob.bin"), &data).unwrap();
    let first = store.put(&staged(src.path()), provenance("e1")).await.unwrap();
    let content = first.content.clone().unwrap();
    let key = content.uri.trim_start_matches("s3://baton-artifacts/").to_string();
    let head = client.head_object().bucket("baton-artifacts").key(&key).send().await.unwrap();
    assert!(head.e_tag().unwrap().ends_with("-3\""), "a three-part upload: {:?}", head.e_tag());
    let out = tempfile::tempdir().unwrap();
    store.fetch("hello", &first.artifact, &out.path().join("got")).await.unwrap();
    assert_eq!(std::fs::read(out.path().join("got/blob.bin")).unwrap(), data);

    // The same tree again: a new version, the same bundle object, no second upload.
    let second = store.put(&staged(src.path()), provenance("e2")).await.unwrap();
    assert_eq!(second.artifact.version, 2);
    assert_eq!(second.content.unwrap().version_id, content.version_id);
    let versions = client
        .list_object_versions()
        .bucket("baton-artifacts")
        .prefix(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1, "content-addressed: stored once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_good_updates_are_conditional_and_none_is_lost() {
    let moto = Moto::start();
    let (_, store) = store(&moto).await;
    let store = Arc::new(store);
    assert!(store.last_good("hello", "prod").await.unwrap().is_none());
    let src = tempfile::tempdir().unwrap();
    tree(src.path(), "lg");
    let m = store.put(&staged(src.path()), provenance("e1")).await.unwrap();
    let mut sets = tokio::task::JoinSet::new();
    for v in 1..=8u64 {
        let (store, mut a) = (store.clone(), m.artifact.clone());
        a.version = v;
        sets.spawn(async move { store.set_last_good("hello", "prod", &a).await.unwrap() });
    }
    sets.join_all().await;
    let last = store.last_good("hello", "prod").await.unwrap().unwrap();
    assert!((1..=8).contains(&last.version), "one of the writers' values: {last:?}");
    store.set_last_good("hello", "prod", &m.artifact).await.unwrap();
    assert_eq!(store.last_good("hello", "prod").await.unwrap(), Some(m.artifact));
}
