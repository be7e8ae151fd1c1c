//! Trigger latency: the time from a local commit (the moment `git commit` has moved the branch)
//! to the pipeline's first action starting under `baton watch`, against the same pipeline
//! started directly with `baton run` (call to first action), measured in the same run. The
//! difference is what following the repository costs: the inotify wake-up, reading the refs,
//! the filter decision.
//!
//! `cargo bench --bench watch` (BATON_BENCH_RUNS sets the number of commits, default 20).
//! Target: under 1 s from commit to first action.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_local::watch::{WatchEvent, Watcher};
use baton_local::{LocalRuntime, Progress, RuntimeOptions};
use tokio::sync::broadcast;

const PIPELINE: &str = "name: bench\ntriggers:\n  - push:\n      branches: { include: [main] }\n      paths: { include: ['src/**'] }\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n";

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

fn percentile(xs: &mut [Duration], p: f64) -> Duration {
    xs.sort();
    xs[((xs.len() - 1) as f64 * p).round() as usize]
}

/// Waits for the first action of `execution` to start (a state named `Stage:Action`).
async fn first_action(events: &mut broadcast::Receiver<Progress>, execution: Option<&str>) -> Instant {
    loop {
        let p = events.recv().await.unwrap();
        if execution.is_none_or(|e| e == p.execution_id)
            && p.event.kind == "TaskStateEntered"
            && p.event.state_name().is_some_and(|n| n.contains(':'))
        {
            return Instant::now();
        }
    }
}

fn main() {
    let runs: usize = std::env::var("BATON_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("pipeline.yml"), PIPELINE).unwrap();
    std::fs::write(
        d.join("buildspec.yml"),
        "version: 0.2\nphases:\n  build:\n    commands:\n      - 'true'\n",
    )
    .unwrap();
    std::fs::write(d.join(".gitignore"), ".baton/\n").unwrap();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(d.join("src/app"), "0\n").unwrap();
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "initial"]);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let options = RuntimeOptions {
            state_dir: Some(d.join(".baton")),
            working_tree: false,
        };
        let runtime = Arc::new(LocalRuntime::open(&d.join("pipeline.yml"), options).await.unwrap());
        // Warm-up: page cache, SQLite file, bash and git binaries.
        runtime.run(None, Default::default()).await.unwrap();

        let mut direct = Vec::new();
        for _ in 0..runs {
            let mut events = runtime.subscribe();
            let t0 = Instant::now();
            let run = tokio::spawn({
                let rt = runtime.clone();
                async move { rt.run(None, Default::default()).await.unwrap() }
            });
            direct.push(first_action(&mut events, None).await - t0);
            run.await.unwrap();
        }

        let watcher = Watcher::new(runtime.clone(), Default::default()).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(watcher.run(tx));
        assert!(matches!(rx.recv().await, Some(WatchEvent::Watching { .. })));
        let mut watched = Vec::new();
        let mut commit_times = Vec::new();
        for i in 0..runs {
            let mut events = runtime.subscribe();
            std::fs::write(d.join("src/app"), format!("{}\n", i + 1)).unwrap();
            git(d, &["add", "src/app"]);
            let before = Instant::now();
            git(d, &["commit", "-qm", "change"]);
            let committed = Instant::now();
            commit_times.push(committed - before);
            let Some(WatchEvent::Started { execution_id, .. }) = rx.recv().await else {
                panic!("the commit did not start an execution")
            };
            watched.push(first_action(&mut events, Some(&execution_id)).await - committed);
            loop {
                match rx.recv().await {
                    Some(WatchEvent::Finished(r)) if r.id == execution_id => break,
                    Some(WatchEvent::Problem(p)) => panic!("{p}"),
                    _ => {}
                }
            }
        }
        task.abort();

        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("trigger latency over {runs} commits (2 worker threads)");
        println!(
            "  baton watch, commit → first action:   p50 {:7.2} ms   p90 {:7.2} ms   max {:7.2} ms   (target < 1000 ms)",
            ms(percentile(&mut watched, 0.5)),
            ms(percentile(&mut watched, 0.9)),
            ms(percentile(&mut watched, 1.0))
        );
        println!(
            "  baseline, baton run → first action:  p50 {:7.2} ms   p90 {:7.2} ms   max {:7.2} ms",
            ms(percentile(&mut direct, 0.5)),
            ms(percentile(&mut direct, 0.9)),
            ms(percentile(&mut direct, 1.0))
        );
        println!(
            "  (git commit itself took p50 {:.2} ms; it is not counted above)",
            ms(percentile(&mut commit_times, 0.5))
        );
    });
}
