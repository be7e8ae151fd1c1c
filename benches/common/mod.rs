//! What the local benchmarks share: the median of a series, and a project written into a
//! fresh directory with a runtime open on it (two worker threads, as the target machines have).

#![allow(dead_code, reason = "each benchmark uses the part it needs")]

use std::time::Duration;

use baton_local::{LocalRuntime, RuntimeOptions};

pub(crate) fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// Starts `n` executions of the project's pipeline at once and waits for them all.
pub(crate) fn run_many(
    rt: &tokio::runtime::Runtime,
    runtime: &std::sync::Arc<LocalRuntime>,
    n: usize,
) -> Vec<baton_local::ExecutionRecord> {
    rt.block_on(async {
        let mut runs = tokio::task::JoinSet::new();
        for _ in 0..n {
            let runtime = runtime.clone();
            runs.spawn(async move { runtime.run(None, Default::default()).await.unwrap() });
        }
        runs.join_all().await
    })
}

/// A project on disk and a runtime on its `pipeline.yml`, state in `.baton/`, the directory
/// snapshotted as it is (no git).
pub(crate) struct Bench {
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub runtime: LocalRuntime,
}

/// Writes `files` (name, text) and opens the runtime.
pub(crate) fn project(files: &[(&str, &str)]) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let runtime = rt
        .block_on(LocalRuntime::open(
            &dir.path().join("pipeline.yml"),
            RuntimeOptions {
                state_dir: Some(dir.path().join(".baton")),
                working_tree: true,
            },
        ))
        .unwrap();
    Bench { dir, rt, runtime }
}
