//! Build start latency and log throughput, each beside plain bash in the same run.
//!
//! - Start: from asking Baton's build shell runner to start (process group, pipes, log copier)
//!   to the first command running, against `bash -c` starting the same command. The rest of an
//!   action's start (token, source checkout, SQLite) is in the `overhead` bench.
//! - Throughput: a command printing 1 GiB through the build shell runner (pipes → capped log
//!   file) against `bash -c '… > file'` writing the same bytes straight to a file.
//!
//! `cargo bench --bench build_log` (BATON_BENCH_GIB sets the size, default 1). Files go to
//! /dev/shm when it exists.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

mod common;

use std::time::{Duration, Instant};

use baton_local::sys::process::{clean_command, run_build_shell};

use common::median;

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::main]
async fn main() {
    let gib: u64 = std::env::var("BATON_BENCH_GIB").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    // On tmpfs when there is one: the figure is about Baton's copy, not the disk's writeback,
    // which made runs on this machine's disk vary threefold.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let stamp = dir.path().join("stamp");

    // Start latency: the first command writes the wall clock; the difference to the moment the
    // runner was asked to start is the latency. 20 runs each.
    let first_command = format!("date +%s%N > {}", stamp.display());
    let mut baton = Vec::new();
    let mut bash = Vec::new();
    for _ in 0..20 {
        let t0 = now_ns();
        let mut cmd = clean_command("bash");
        cmd.arg("-c").arg(&first_command);
        run_build_shell(
            cmd,
            &dir.path().join("log"),
            Duration::from_secs(60),
            u64::MAX,
            &[],
            std::future::pending(),
        )
        .await
        .unwrap();
        let t1: u128 = std::fs::read_to_string(&stamp).unwrap().trim().parse().unwrap();
        baton.push(Duration::from_nanos(u64::try_from(t1.saturating_sub(t0)).unwrap()));

        let t0 = now_ns();
        std::process::Command::new("bash").arg("-c").arg(&first_command).status().unwrap();
        let t1: u128 = std::fs::read_to_string(&stamp).unwrap().trim().parse().unwrap();
        bash.push(Duration::from_nanos(u64::try_from(t1.saturating_sub(t0)).unwrap()));
    }
    println!(
        "start → first command: baton build shell {:?} median, bash -c {:?} median (20 runs each)",
        median(baton),
        median(bash)
    );

    // Throughput.
    let bytes = gib << 30;
    let print = format!("head -c {bytes} /dev/zero");
    let log = dir.path().join("build.log");
    let t = Instant::now();
    let mut cmd = clean_command("bash");
    cmd.arg("-c").arg(&print);
    run_build_shell(cmd, &log, Duration::from_secs(600), u64::MAX, &[], std::future::pending())
        .await
        .unwrap();
    let through_baton = t.elapsed();
    assert_eq!(std::fs::metadata(&log).unwrap().len(), bytes);
    std::fs::remove_file(&log).unwrap();

    let t = Instant::now();
    std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("{print} > {}", log.display()))
        .status()
        .unwrap();
    let direct = t.elapsed();
    let rate = |d: Duration| bytes as f64 / d.as_secs_f64() / f64::from(1 << 20);
    println!(
        "log throughput, {gib} GiB: baton build shell {:.0} MiB/s ({through_baton:?}), bash -c > file {:.0} MiB/s ({direct:?})",
        rate(through_baton),
        rate(direct)
    );
}
