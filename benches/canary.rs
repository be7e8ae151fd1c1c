//! Canary analysis on the example app: how often an identical release is failed (false
//! failures) and how often a regression is caught, with the time from the start of the shift to
//! the decision. Real parts: two fleets of two `examples/hello-app` processes behind the front
//! door that deployments use, the synthetic load pipeline.yml's `load` sends, and the analysis a
//! deployment runs (cumulative samples, the judge). The baseline's p50 latency is measured in the
//! same run and the latency regressions are injected relative to it (`SLOWER_BY_MS`); the error
//! regression answers that share of requests with 500 (`ERROR_PERCENT`).
//!
//! `cargo bench --bench canary`. BATON_BENCH_TRIALS (default 50) sets the trials of the identical
//! release, BATON_BENCH_DETECT_TRIALS (default 20) those of each regression.
//! Targets: at most 2 % false failures; at least 95 % detection at +25 % latency and +1 % errors.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baton_core::analysis::{AnalysisSpec, Baseline, Cumulative, Decision, Direction, Load, MetricSpec, Thresholds};
use baton_core::spec::duration::Span;
use baton_local::deploy::analysis::{SyntheticLoad, interval_samples};
use baton_local::deploy::traffic::TrafficSplit;

const PER_SECOND: u32 = 200;
const CANARY_PERCENT: u32 = 50;

fn spec() -> AnalysisSpec {
    let metric = |name: &str, tolerance, critical| MetricSpec {
        name: name.into(),
        direction: Direction::Increase,
        tolerance,
        critical,
        weight: 1.0,
        cloudwatch: None,
    };
    AnalysisSpec {
        metrics: vec![metric("latency", 0.1, false), metric("errors", 0.0, true)],
        interval: Span(Duration::from_secs(4)),
        intervals: 3,
        thresholds: Thresholds {
            pass: 95.0,
            marginal: 75.0,
        },
        significance: 0.05,
        min_samples: 5,
        load: None,
        baseline: Baseline::Serving,
    }
}

/// A fleet of app processes, killed when dropped.
struct Fleet {
    children: Vec<Child>,
    ports: Vec<u16>,
}

impl Fleet {
    fn start(app: &Path, n: usize) -> Self {
        let mut fleet = Fleet {
            children: Vec::new(),
            ports: Vec::new(),
        };
        for _ in 0..n {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = Command::new("python3")
                .arg(app)
                .args(["--port", &port.to_string(), "--version", "bench"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            fleet.children.push(child);
            fleet.ports.push(port);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in &fleet.ports {
            while std::net::TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(Instant::now() < deadline, "the app did not listen");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        fleet
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The example app with its knobs set, written into `dir`.
fn app(dir: &Path, slower_by_ms: f64, error_percent: f64) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello-app/src/hello/app.py");
    let text = std::fs::read_to_string(source)
        .unwrap()
        .replace("SLOWER_BY_MS = 0\n", &format!("SLOWER_BY_MS = {slower_by_ms}\n"))
        .replace("ERROR_PERCENT = 0\n", &format!("ERROR_PERCENT = {error_percent}\n"));
    let path = dir.join(format!("app-{slower_by_ms}-{error_percent}.py"));
    std::fs::write(&path, text).unwrap();
    path
}

struct Outcome {
    failed: usize,
    promoted: usize,
    decision_times: Vec<Duration>,
    effects: Vec<f64>,
}

/// `trials` analyses of `canary` against `baseline`, one after another behind one front door.
async fn trials(baseline: &Fleet, canary: &Fleet, trials: usize) -> Outcome {
    let spec = spec();
    let front = TrafficSplit::bind(0, baseline.ports.clone()).await.unwrap();
    front.shift(canary.ports.clone(), CANARY_PERCENT);
    let load = Load {
        path: "/".into(),
        per_second: PER_SECOND,
    };
    let _load = SyntheticLoad::start(front.port(), &load);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut out = Outcome {
        failed: 0,
        promoted: 0,
        decision_times: Vec::new(),
        effects: Vec::new(),
    };
    for _ in 0..trials {
        front.take_samples();
        let started = Instant::now();
        let mut analysis = Cumulative::new(&spec);
        loop {
            tokio::time::sleep(spec.interval.0).await;
            let result = analysis.judge(interval_samples(front.take_samples(), spec.baseline));
            if let Some(e) = result.metrics[0].effect {
                out.effects.push(e);
            }
            match result.decision {
                Decision::Continue => continue,
                Decision::Promote => out.promoted += 1,
                Decision::Fail => out.failed += 1,
            }
            out.decision_times.push(started.elapsed());
            break;
        }
    }
    out
}

fn median<T: PartialOrd + Copy>(mut xs: Vec<T>) -> Option<T> {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    xs.get(xs.len() / 2).copied()
}

/// The baseline fleet's p50 latency in ms, measured through a front door without a canary.
async fn baseline_p50(baseline: &Fleet) -> f64 {
    let front = TrafficSplit::bind(0, baseline.ports.clone()).await.unwrap();
    let load = Load {
        path: "/".into(),
        per_second: PER_SECOND,
    };
    let _load = SyntheticLoad::start(front.port(), &load);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let [samples, _, _] = front.take_samples();
    median(samples.iter().map(|s| s.latency_ms).collect()).unwrap()
}

fn main() {
    let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (same_trials, detect_trials) = (env("BATON_BENCH_TRIALS", 50), env("BATON_BENCH_DETECT_TRIALS", 20));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let baseline = Fleet::start(&app(dir.path(), 0.0, 0.0), 2);
    let p50 = rt.block_on(baseline_p50(&baseline));
    let s = spec();
    println!(
        "Canary analysis of examples/hello-app: 2 + 2 instances, {CANARY_PERCENT} % canary, {PER_SECOND} requests/s through the front door,"
    );
    println!(
        "{} intervals of {} s judged cumulatively, latency tolerance {:.0} %, errors critical; baseline p50 {p50:.2} ms (measured now)",
        s.intervals,
        s.interval.secs(),
        s.metrics[0].tolerance * 100.0
    );
    println!();
    println!(
        "  {:<24} {:>6} {:>16} {:>10} {:>16} {:>18}",
        "RELEASE", "TRIALS", "FAILED", "PROMOTED", "MEDIAN EFFECT", "MEDIAN DECISION"
    );
    let scenarios: [(&str, f64, f64, usize); 5] = [
        ("identical", 0.0, 0.0, same_trials),
        ("+10 % p50 latency", p50 * 0.10, 0.0, detect_trials),
        ("+25 % p50 latency", p50 * 0.25, 0.0, detect_trials),
        ("+50 % p50 latency", p50 * 0.50, 0.0, detect_trials),
        ("+1 % errors", 0.0, 1.0, detect_trials),
    ];
    for (name, slower, errors, n) in scenarios {
        let canary = Fleet::start(&app(dir.path(), slower, errors), 2);
        let o = rt.block_on(trials(&baseline, &canary, n));
        println!(
            "  {:<24} {:>6} {:>8} ({:>5.1} %) {:>10} {:>15.1} % {:>16.1} s",
            name,
            n,
            o.failed,
            100.0 * o.failed as f64 / n as f64,
            o.promoted,
            100.0 * median(o.effects).unwrap_or(f64::NAN),
            median(o.decision_times).unwrap_or_default().as_secs_f64()
        );
    }
    println!();
    println!("Targets: identical at most 2 % failed; +25 % latency and +1 % errors at least 95 % failed.");
}
