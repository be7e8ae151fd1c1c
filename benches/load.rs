//! Load: 1,000 executions of a no-op pipeline started at once in one runtime (one process, one
//! SQLite database), as `baton watch` would start them under a burst of pushes. Prints the wall
//! time, the peak resident memory and the history events written, and checks that every
//! execution SUCCEEDED with a complete history (ExecutionStarted first, ExecutionSucceeded last,
//! event ids dense, each action's task entered and exited once).
//!
//! `cargo bench --bench load` (BATON_BENCH_EXECUTIONS sets the number, default 1000).
//! Targets: all SUCCEEDED within 10 s, peak memory under 512 MiB.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

mod common;

use std::sync::Arc;
use std::time::Instant;

use baton_local::query;

/// Peak resident set size of this process, from the kernel's accounting.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn main() {
    let n: usize = std::env::var("BATON_BENCH_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    // PARALLEL: no stage locks, every execution runs at once. The one action is a test whose
    // buildspec runs `true`: a real shell per execution, as a real build would start.
    let common::Bench { dir: _dir, rt, runtime } = common::project(&[
        (
            "pipeline.yml",
            "name: load\nexecution_mode: PARALLEL\nstages:\n  - name: Check\n    actions:\n      - { name: Noop, type: test }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['true']\n"),
    ]);
    let runtime = Arc::new(runtime);
    let started = Instant::now();
    let records = common::run_many(&rt, &runtime, n);
    let wall = started.elapsed();
    let peak = peak_rss_mib();

    let db = runtime.db();
    let mut events = 0;
    let mut failed = Vec::new();
    for record in &records {
        let history = query::history(db, &record.id).unwrap();
        events += history.len();
        let kinds: Vec<String> = history.iter().map(|e| e.kind.to_string()).collect();
        let dense = history.iter().enumerate().all(|(i, e)| e.id == i as u64 + 1);
        let complete = kinds.first().map(String::as_str) == Some("ExecutionStarted")
            && kinds.last().map(String::as_str) == Some("ExecutionSucceeded")
            && kinds.iter().filter(|k| *k == "TaskStateEntered").count() == kinds.iter().filter(|k| *k == "TaskStateExited").count();
        if !record.succeeded() || !dense || !complete {
            failed.push(format!("{} {}: {kinds:?}", record.id, record.status));
        }
    }
    let ids: std::collections::BTreeSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    println!("load: {n} executions of a one-action pipeline, started at once, one process");
    println!("  wall time        : {:>8.2} s   (target <= 10 s)", wall.as_secs_f64());
    println!("  peak memory (RSS): {:>8.1} MiB (target < 512 MiB)", peak);
    println!("  history events   : {events:>8} ({:.0}/s)", events as f64 / wall.as_secs_f64());
    println!("  distinct ids     : {:>8}", ids.len());
    println!("  SUCCEEDED with a complete history: {} of {n}", n - failed.len());
    assert!(failed.is_empty(), "incomplete or failed:\n{}", failed.join("\n"));
    assert_eq!(ids.len(), n, "execution ids collided");
}
