//! The state directory: a lost database is refused, never taken for a new one; a stored version
//! is never written over; a state directory inside the source is not snapshotted into itself.

use std::sync::Arc;

use baton_core::ports::{Provenance, StagedArtifact};
use baton_local::artifacts::FsArtifactStore;
use baton_local::db::Db;

use crate::util::{Project, health};

/// The probe: a 0-byte `baton.db` beside stored artifacts was taken for a new state directory,
/// and the next run numbered its artifact from 1 again and wrote over `app@1`.
///
/// The run has a runtime of its own, ended before the database is emptied, as `baton run`'s
/// process ends: a task of a live runtime still holding the database (a health probe, a metric
/// write) could checkpoint its log back into the emptied file and make it a valid, empty
/// database — the race this test once lost in CI.
#[test]
fn an_emptied_database_is_refused_and_down_still_stops_the_instances() {
    let project = Project::example("hello-app");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (rt, record) = runtime.block_on(project.run());
    assert!(record.succeeded(), "{record:?}");
    drop(rt);
    // Waits until every task has been dropped, and with them every handle on baton.db.
    drop(runtime);
    let ports: Vec<u16> = project
        .db()
        .lock()
        .prepare("SELECT port FROM instances WHERE process_group IS NOT NULL")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .expect("instances");
    assert_eq!(ports.len(), 3);
    assert!(ports.iter().all(|p| health(*p).is_some()), "the instances serve");
    let state = project.state_dir();
    let manifest = state.join("artifacts/hello/app/1/manifest.json");
    let stored = std::fs::read(&manifest).expect("app@1's manifest");

    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(state.join(format!("baton.db{suffix}")));
    }
    std::fs::write(state.join("baton.db"), b"").expect("truncate");

    let run = super::baton(project.path(), &["run", "."]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is damaged: its database"), "{stderr}");
    assert!(stderr.contains("Restore baton.db from a backup"), "{stderr}");
    assert_eq!(std::fs::read(&manifest).expect("still there"), stored, "app@1 was written over");
    assert!(!state.join("artifacts/hello/app/2").exists());

    let down = super::baton(project.path(), &["down", "."]);
    let stdout = String::from_utf8_lossy(&down.stdout);
    assert!(down.status.success(), "{}", String::from_utf8_lossy(&down.stderr));
    assert!(stdout.contains("stopped 3 instance(s) of pipeline hello"), "{stdout}");
    assert!(ports.iter().all(|p| health(*p).is_none()), "an instance still serves");
}

#[test]
fn a_database_that_is_not_one_is_refused() {
    let state = tempfile::tempdir().expect("state");
    std::fs::create_dir_all(state.path().join("builds/x")).expect("builds");
    std::fs::write(
        state.path().join("baton.db"),
        b"this is not SQLite, and it is long enough to be read as a header",
    )
    .expect("write");
    let err = Db::open(&state.path().join("baton.db")).expect_err("refused").to_string();
    assert!(err.contains("is damaged") && err.contains("is not a SQLite database"), "{err}");
}

#[test]
fn a_fresh_state_directory_is_not_damaged() {
    let state = tempfile::tempdir().expect("state");
    Db::open(&state.path().join("baton.db")).expect("a new database");
    // An empty database left by a run that stored nothing is not damaged either.
    Db::open(&state.path().join("baton.db")).expect("opened again");
}

/// A database from before the schema was versioned is upgraded in place; one from a later
/// Baton is refused rather than misread.
#[test]
fn the_schema_is_versioned_and_upgraded_in_order() {
    let state = tempfile::tempdir().expect("state");
    let file = state.path().join("baton.db");
    {
        let old = rusqlite::Connection::open(&file).expect("sqlite");
        old.execute_batch(
            "CREATE TABLE instances (pipeline TEXT NOT NULL, grp TEXT NOT NULL, idx INTEGER NOT NULL, port INTEGER NOT NULL,
             artifact TEXT, archive TEXT, process_group INTEGER, PRIMARY KEY (pipeline, grp, idx));
             INSERT INTO instances (pipeline, grp, idx, port) VALUES ('p', 'g', 0, 4000);",
        )
        .expect("an unversioned database");
    }
    let db = Db::open(&file).expect("upgraded");
    let (version, out): (i64, i64) = db
        .lock()
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), out_of_service FROM instances",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the new column, on the old row");
    assert_eq!((version, out), (6, 0));
    drop(db);

    rusqlite::Connection::open(&file)
        .expect("sqlite")
        .pragma_update(None, "user_version", 99)
        .expect("from the future");
    let err = Db::open(&file).expect_err("refused").to_string();
    assert!(err.contains("schema version 99, newer than this baton knows (6)"), "{err}");
}

/// A version directory the database does not list (a crash between rename and commit, or a
/// database restored from an older copy) was deleted and its number reused.
#[test]
fn a_stored_version_the_database_does_not_list_is_never_written_over() {
    let state = tempfile::tempdir().expect("state");
    let store = FsArtifactStore::new(state.path(), Arc::new(Db::open(&state.path().join("baton.db")).expect("db")));
    let src = tempfile::tempdir().expect("src");
    let provenance = |execution: &str| Provenance {
        pipeline: "p".into(),
        execution_id: execution.into(),
        action: "Build".into(),
        ..Provenance::default()
    };
    let staged = StagedArtifact {
        name: "app".into(),
        location: src.path().to_string_lossy().into_owned(),
    };
    std::fs::write(src.path().join("v"), "1").expect("write");
    store.put_dir(&staged, provenance("e1")).expect("app@1");
    let manifest = state.path().join("artifacts/p/app/1/manifest.json");
    let first = std::fs::read(&manifest).expect("manifest");
    Db::open(&state.path().join("baton.db"))
        .expect("db")
        .lock()
        .execute("DELETE FROM artifacts", [])
        .expect("the row is lost");

    std::fs::write(src.path().join("v"), "2").expect("write");
    let next = store.put_dir(&staged, provenance("e2")).expect("stored");
    assert_eq!(next.artifact.version, 2, "the number on disk is passed over");
    assert_eq!(std::fs::read(&manifest).expect("still there"), first);
}

/// The probe: `baton run . --working-tree --state-dir ./st` snapshotted the state directory
/// into itself until the path grew too long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_directory_inside_the_source_is_left_out_of_the_snapshot() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, outputs: [out] }\n",
        ),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - ls -A > listing\nartifacts:\n  files: [listing]\n",
        ),
        ("nested/keep.txt", "kept\n"),
    ]);
    for state in ["st", "nested/deeper/state"] {
        let rt = baton_local::LocalRuntime::open(
            &project.pipeline(),
            baton_local::RuntimeOptions {
                state_dir: Some(project.path().join(state)),
                working_tree: true,
            },
        )
        .await
        .expect("runtime");
        let record = rt.run(None, serde_json::Map::new()).await.expect("run");
        assert!(record.succeeded(), "{state}: {record:?}");
        let source = rt.store().list("p", Some("source")).expect("list").pop().expect("the source");
        let out = tempfile::tempdir().expect("out");
        rt.store().fetch("p", &source.artifact, &out.path().join("src")).expect("fetch");
        let src = out.path().join("src");
        assert!(src.join("nested/keep.txt").is_file());
        assert!(!src.join(state).exists(), "{state} was snapshotted");
    }
}
