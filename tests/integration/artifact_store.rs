//! The local store under stress: writers racing for version numbers through separate database
//! connections (as separate processes would), and a writer killed with SIGKILL at random points,
//! after which every stored version is whole.

use std::path::Path;
use std::sync::Arc;

use baton_core::ports::{Provenance, StagedArtifact};
use baton_local::artifacts::FsArtifactStore;
use baton_local::artifacts::blobs::Entry;
use baton_local::db::Db;

fn store(state: &Path) -> FsArtifactStore {
    FsArtifactStore::new(state, Arc::new(Db::open(&state.join("baton.db")).expect("db")))
}

fn staged(dir: &Path) -> StagedArtifact {
    StagedArtifact {
        name: "app".into(),
        location: dir.to_string_lossy().into_owned(),
    }
}

fn provenance() -> Provenance {
    Provenance {
        pipeline: "p".into(),
        ..Provenance::default()
    }
}

/// Every stored version from `from` on is whole: its listing gives the manifest's digest and
/// every content it lists is stored at its full size; the newest also fetches, each file hashed.
/// Returns the newest version number.
fn whole_from(state: &Path, from: u64) -> u64 {
    let store = store(state);
    let versions = store.list("p", Some("app")).expect("list");
    let db = Arc::new(Db::open(&state.join("baton.db")).expect("db"));
    let blobs = baton_local::artifacts::blobs::Blobs::new(&state.join("artifacts"), db);
    for m in versions.iter().filter(|m| m.artifact.version >= from) {
        let listing = state.join(format!(
            "artifacts/p/app/{}/{}",
            m.artifact.version,
            baton_local::artifacts::blobs::LISTING
        ));
        let mut digest = baton_core::digest::DigestBuilder::default();
        for entry in baton_local::artifacts::blobs::read_listing(&listing).expect("listing") {
            match entry {
                Entry::File {
                    path,
                    sha256,
                    size,
                    executable,
                    packed,
                } => {
                    assert_eq!(
                        blobs.stored_len(&sha256, packed.as_ref(), size),
                        Some(size),
                        "{}: {path}",
                        m.artifact
                    );
                    digest.file(&path, executable, &sha256, size);
                }
                Entry::Link { path, target } => digest.symlink(&path, Path::new(&target)),
                Entry::Dir { .. } => {}
            }
        }
        assert_eq!(digest.finish().digest, m.artifact.digest, "{} is not whole", m.artifact);
    }
    let Some(newest) = versions.last() else { return 0 };
    let out = tempfile::tempdir().expect("tempdir");
    store
        .fetch("p", &newest.artifact, &out.path().join("v"))
        .expect("the newest fetches");
    newest.artifact.version
}

#[test]
fn writers_on_separate_connections_never_share_a_version_number() {
    let state = tempfile::tempdir().expect("state");
    let sources: Vec<_> = (0..8)
        .map(|i| {
            let d = tempfile::tempdir().expect("src");
            std::fs::write(d.path().join("n"), i.to_string()).expect("write");
            d
        })
        .collect();
    let handles: Vec<_> = sources
        .iter()
        .map(|d| {
            let (state, staged) = (state.path().to_path_buf(), staged(d.path()));
            std::thread::spawn(move || store(&state).put_dir(&staged, provenance()).expect("put").artifact.version)
        })
        .collect();
    let mut versions: Vec<u64> = handles.into_iter().map(|h| h.join().expect("writer")).collect();
    versions.sort_unstable();
    assert_eq!(versions, (1..=8).collect::<Vec<_>>());
    assert_eq!(whole_from(state.path(), 1), 8);
}

/// Run as a child: store the tree at BATON_TEST_SOURCE into BATON_TEST_STATE, over and over.
#[test]
fn killed_writer_child() {
    let (Some(state), Some(source)) = (std::env::var_os("BATON_TEST_STATE"), std::env::var_os("BATON_TEST_SOURCE")) else {
        return; // only meaningful when the test below starts it
    };
    let store = store(Path::new(&state));
    loop {
        store.put_dir(&staged(Path::new(&source)), provenance()).expect("put");
    }
}

#[test]
fn a_writer_killed_at_random_points_leaves_only_whole_versions() {
    let state = tempfile::tempdir().expect("state");
    let source = tempfile::tempdir().expect("source");
    for i in 0..100 {
        let dir = source.path().join(format!("d{}", i % 10));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("f{i}")), vec![i as u8; 2_000 + i * 120]).expect("write");
    }
    let mut seed: u64 = 0x853c_49e6_748f_ea9b;
    let mut checked = 0;
    for round in 0..20 {
        let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "artifact_store::killed_writer_child", "--nocapture", "--test-threads=1"])
            .env("BATON_TEST_STATE", state.path())
            .env("BATON_TEST_SOURCE", source.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("child");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_millis(20 + seed % 150));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        // Change one file so the next round stores new content too.
        std::fs::write(source.path().join("d0/f0"), format!("round {round}")).expect("write");
        // Versions are immutable: each round checks the ones stored since the last.
        checked = whole_from(state.path(), checked + 1);
    }
    assert!(checked > 0, "some versions were stored between the kills");
}
