//! Orchestration overhead per action: a pipeline of 20 no-op test actions (each a buildspec
//! running `true`), run end to end through synth, the interpreter, task tokens, the shell build
//! runner and SQLite, against a bare shell loop that runs the same 20 commands, each in its own
//! bash (as each build gets its own shell session). Both are measured in the same run.
//!
//! `cargo bench --bench overhead` (BATON_BENCH_RUNS sets the number of runs, default 15).
//! Target: median overhead at most 5 ms per action.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

mod common;

use std::time::Instant;

use common::median;

const ACTIONS: usize = 20;

fn pipeline() -> String {
    let mut y = String::from("name: bench\nstages:\n  - name: Noop\n    actions:\n");
    for i in 1..=ACTIONS {
        y.push_str(&format!("      - {{ name: A{i}, type: test, run_order: {i} }}\n"));
    }
    y
}

fn main() {
    let runs: usize = std::env::var("BATON_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let common::Bench { dir: _dir, rt, runtime } = common::project(&[
        ("pipeline.yml", &pipeline()),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'true'\n"),
    ]);

    // Warm-up: page cache, SQLite file, bash binary.
    rt.block_on(runtime.run(None, Default::default())).unwrap();

    let mut pipeline_times = Vec::new();
    let mut shell_times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let record = rt.block_on(runtime.run(None, Default::default())).unwrap();
        pipeline_times.push(t.elapsed());
        assert!(record.succeeded(), "{record:?}");

        let t = Instant::now();
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("for i in $(seq {ACTIONS}); do bash -c 'true' || exit 1; done"))
            .status()
            .unwrap();
        shell_times.push(t.elapsed());
        assert!(status.success());
    }
    let p = median(pipeline_times);
    let s = median(shell_times);
    let per_action = p.saturating_sub(s) / ACTIONS as u32;
    println!("overhead: {ACTIONS} no-op actions, median of {runs} runs");
    println!("  baton pipeline : {:>8.1} ms", p.as_secs_f64() * 1e3);
    println!("  bare shell loop: {:>8.1} ms   (baseline, same run)", s.as_secs_f64() * 1e3);
    println!("  overhead/action: {:>8.2} ms   (target <= 5 ms)", per_action.as_secs_f64() * 1e3);
}
