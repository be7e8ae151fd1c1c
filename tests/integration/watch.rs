//! `baton watch`: git pushes that pass the push filters start executions at the pushed commit;
//! the others start nothing and say why.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use baton_local::watch::{WatchEvent, Watcher};
use serde_json::Map;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::util::{Project, git};

const PIPELINE: &str = r#"name: watched
triggers:
  - push:
      branches: { include: [main, "release/**"], exclude: ["release/old-*"] }
      paths: { include: ["src/**"], exclude: ["src/**/*.md"] }
  - push:
      tags: { include: ["v*"], exclude: ["v*-rc*"] }
stages:
  - name: Build
    actions:
      - { name: Make, type: build, outputs: [out] }
"#;
const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && echo \"$CODEBUILD_RESOLVED_SOURCE_VERSION\" > dist/commit\nartifacts:\n  base-directory: dist\n  files: ['*']\n";

fn commit(dir: &std::path::Path, file: &str) -> String {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, format!("{file} changed\n")).expect("write");
    git(dir, &["add", file]);
    git(dir, &["commit", "-qm", &format!("change {file}")]);
    git(dir, &["rev-parse", "HEAD"])
}

/// What the watcher decided per ref: (started commit or None, reasons for skipping).
#[derive(Debug, Default)]
struct Decisions {
    started: BTreeMap<String, Vec<String>>,
    skipped: BTreeMap<String, Vec<String>>,
    finished: Vec<baton_local::ExecutionRecord>,
}

fn reference(trigger: &str) -> String {
    trigger.split(' ').nth(1).unwrap_or_default().to_string()
}

/// Takes the events that arrive within `quiet` of each other.
async fn drain(rx: &mut UnboundedReceiver<WatchEvent>, d: &mut Decisions, quiet: Duration) {
    while let Ok(Some(event)) = tokio::time::timeout(quiet, rx.recv()).await {
        match event {
            WatchEvent::Started { trigger, commit, .. } => d.started.entry(reference(&trigger)).or_default().push(commit),
            WatchEvent::Skipped { trigger, why } => d.skipped.entry(reference(&trigger)).or_default().push(why),
            WatchEvent::Finished(r) => d.finished.push(r),
            WatchEvent::Problem(p) => panic!("watch problem: {p}"),
            WatchEvent::Watching { .. } => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_that_pass_the_filters_start_executions_and_the_rest_say_why_not() {
    let project = Project::with_files(&[
        ("pipeline.yml", PIPELINE),
        ("buildspec.yml", BUILDSPEC),
        (".gitignore", ".baton/\n"),
        ("src/app", "v0\n"),
    ]);
    let dir = project.path();
    git(dir, &["init", "-q"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "initial"]);

    let runtime = Arc::new(project.runtime().await);
    let watcher = Watcher::new(runtime.clone(), Map::new()).await.expect("watcher");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(watcher.run(tx));
    let mut d = Decisions::default();
    let step = Duration::from_millis(400);
    drain(&mut rx, &mut d, step).await;

    commit(dir, "README.md"); // main, but no file under src/
    drain(&mut rx, &mut d, step).await;
    let src_commit = commit(dir, "src/app"); // main and src/: starts
    drain(&mut rx, &mut d, step).await;
    commit(dir, "src/docs/notes.md"); // src/, but excluded
    drain(&mut rx, &mut d, step).await;
    git(dir, &["branch", "release/old-1"]); // an excluded branch
    drain(&mut rx, &mut d, step).await;
    git(dir, &["checkout", "-qb", "feature"]);
    let feature_commit = commit(dir, "src/feature"); // a branch no trigger includes
    drain(&mut rx, &mut d, step).await;
    git(dir, &["tag", "v1.0"]); // a tag: starts
    drain(&mut rx, &mut d, step).await;
    git(dir, &["tag", "-a", "v1.1-rc1", "-m", "candidate"]); // an excluded tag
    drain(&mut rx, &mut d, step).await;
    git(dir, &["branch", "-D", "release/old-1"]); // a deletion
    drain(&mut rx, &mut d, step).await;
    git(dir, &["push", "-q", ".", "feature:release/2026/12"]); // a new nested branch: starts
    // Wait for the three executions to end.
    for _ in 0..100 {
        drain(&mut rx, &mut d, Duration::from_millis(200)).await;
        if d.finished.len() >= 3 {
            break;
        }
    }
    task.abort();

    let started: BTreeMap<&str, &[String]> = d.started.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
    assert_eq!(
        started,
        BTreeMap::from([
            ("refs/heads/main", [src_commit.clone()].as_slice()),
            ("refs/heads/release/2026/12", [feature_commit.clone()].as_slice()),
            ("refs/tags/v1.0", [feature_commit.clone()].as_slice()),
        ]),
        "skipped: {:#?}",
        d.skipped
    );
    let why = |r: &str| d.skipped.get(r).map(|v| v.join(" / ")).unwrap_or_default();
    assert!(why("refs/heads/main").contains("README.md"), "{}", why("refs/heads/main"));
    assert!(why("refs/heads/main").contains("src/docs/notes.md"), "{}", why("refs/heads/main"));
    assert!(
        why("refs/heads/release/old-1").contains("is not matched by branches"),
        "{}",
        why("refs/heads/release/old-1")
    );
    assert!(
        why("refs/heads/release/old-1").contains("deleted"),
        "{}",
        why("refs/heads/release/old-1")
    );
    assert!(
        why("refs/heads/feature").contains("branch `feature` is not matched"),
        "{}",
        why("refs/heads/feature")
    );
    assert!(
        why("refs/tags/v1.1-rc1").contains("tag `v1.1-rc1` is not matched"),
        "{}",
        why("refs/tags/v1.1-rc1")
    );

    assert_eq!(d.finished.len(), 3, "{:?}", d.finished);
    assert!(d.finished.iter().all(|r| r.status == "SUCCEEDED"), "{:?}", d.finished);
    // Each execution built the commit that was pushed.
    let db = project.db();
    for r in &d.finished {
        let commit: String = db
            .lock()
            .query_row("SELECT commit_id FROM executions WHERE id = ?1", [&r.id], |row| row.get(0))
            .expect("commit recorded");
        assert!(commit == src_commit || commit == feature_commit, "{commit}");
    }
    // History says what started each one.
    let mut triggers: Vec<String> = baton_local::query::executions(&db, 10)
        .expect("executions")
        .into_iter()
        .map(|e| e.trigger)
        .collect();
    triggers.sort();
    assert_eq!(
        triggers,
        ["push refs/heads/main", "push refs/heads/release/2026/12", "push refs/tags/v1.0"]
    );
}
