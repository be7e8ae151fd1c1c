//! `baton artifacts gc`: old versions go, pinned ones stay, orphans left by a crash are swept.

use baton_core::ports::ArtifactStore;

use crate::util::Project;

const PIPELINE: &str = "name: gc\nstages:\n  - name: Build\n    actions:\n      - { name: Pack, type: build, outputs: [app] }\n";
const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && cp v.txt dist/\nartifacts:\n  base-directory: dist\n  files: ['*']\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gc_keeps_the_newest_and_every_pinned_version() {
    let project = Project::with_files(&[("pipeline.yml", PIPELINE), ("buildspec.yml", BUILDSPEC), ("v.txt", "1")]);
    let rt = project.runtime().await;
    let mut executions = Vec::new();
    for v in 1..=4 {
        std::fs::write(project.path().join("v.txt"), v.to_string()).expect("write");
        let record = rt.run(None, Default::default()).await.expect("run");
        assert!(record.succeeded(), "{record:?}");
        executions.push(record.id);
    }
    let store = rt.store();
    let app = |v: u64| {
        store
            .list("gc", Some("app"))
            .expect("list")
            .into_iter()
            .find(|m| m.artifact.version == v)
            .expect("version")
    };
    // app@1 is a group's last-good; app@3's execution is (as far as the store can tell) running.
    store.set_last_good("gc", "prod", &app(1).artifact).await.expect("last good");
    project
        .db()
        .lock()
        .execute("UPDATE executions SET status = 'RUNNING' WHERE id = ?1", [&executions[2]])
        .expect("mark running");
    // A version directory whose transaction never committed.
    let orphan = project.state_dir().join("artifacts/gc/app/99");
    std::fs::create_dir_all(&orphan).expect("orphan");
    std::fs::write(orphan.join("files.jsonl"), "").expect("orphan listing");

    let dry = store.gc("gc", 1, true).expect("dry run");
    assert_eq!(store.list("gc", None).expect("list").len(), 8, "a dry run removes nothing");
    let report = store.gc("gc", 1, false).expect("gc");
    assert_eq!(report.removed, dry.removed);
    let removed: Vec<String> = report.removed.iter().map(ToString::to_string).collect();
    assert_eq!(removed, ["app@2", "source@1", "source@2"]);
    let pinned: Vec<(String, &str)> = report.pinned.iter().map(|(a, why)| (a.to_string(), why.as_str())).collect();
    assert_eq!(
        pinned,
        [
            ("app@1".to_string(), "last-good revision of group prod"),
            ("app@3".to_string(), &*format!("used by execution {} in progress", executions[2])),
            ("source@3".to_string(), &*format!("used by execution {} in progress", executions[2])),
        ]
    );
    assert_eq!(report.orphans, 1);
    assert!(!orphan.exists());
    let left: Vec<String> = store
        .list("gc", None)
        .expect("list")
        .iter()
        .map(|m| m.artifact.to_string())
        .collect();
    assert_eq!(left, ["app@1", "app@3", "app@4", "source@3", "source@4"]);
    assert!(!project.state_dir().join("artifacts/gc/app/2").exists(), "files go with the row");
    assert!(report.freed_bytes > 0, "contents only the removed versions listed are swept");
    // What is left is whole.
    let out = tempfile::tempdir().expect("tempdir");
    store
        .fetch("gc", &app(1).artifact, &out.path().join("one"))
        .expect("app@1 still fetches");
    assert_eq!(std::fs::read_to_string(out.path().join("one/v.txt")).expect("v.txt"), "1");
}
