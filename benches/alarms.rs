//! Alarms and metrics, measured in one run:
//!
//! 1. From a breaching datapoint arriving to the rollback deployment starting: a pipeline is
//!    baking a release, a datapoint that breaches its alarm is written, and the clock stops when
//!    the rollback task has started its deployment (target: under 1 s).
//! 2. The local metric store's ingest rate, beside a plain SQLite insert loop of the same rows.
//!
//! `cargo bench --bench alarms` (BATON_BENCH_RUNS sets the rollback repetitions, default 5).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use baton_asl::Owners;
use baton_core::ports::{ArtifactStore, MetricDatum, MetricsSink};
use baton_local::LocalRuntime;

use common::median;

const PIPELINE: &str = "name: bench
stages:
  - name: Build
    actions:
      - { name: Pack, type: build, outputs: [app] }
  - name: Ship
    actions:
      - { name: Deploy, type: deploy, input: app, group: prod }
      - { name: Bake, type: bake, group: prod, duration: 30s, run_order: 2 }
deployment_groups:
  prod: { instances: 1, alarms: [errors], auto_rollback: [failure, alarm] }
alarms:
  errors: { metric: Errors, statistic: Sum, period: 1s, threshold: 1, comparison: GreaterThanOrEqualToThreshold, evaluation_periods: 1, treat_missing_data: notBreaching }
";

fn breach() -> MetricDatum {
    let now = chrono::Utc::now().timestamp_millis();
    MetricDatum {
        namespace: "Baton".into(),
        name: "Errors".into(),
        dimensions: BTreeMap::from([("Pipeline".into(), "bench".into()), ("DeploymentGroup".into(), "prod".into())]),
        value: 5.0,
        unit: "Count".into(),
        // In the period that just completed, so it is judged as soon as it arrives.
        timestamp_ms: (now / 1000) * 1000 - 500,
    }
}

/// The alarm of the previous run must be back to OK, or the next deployment is stopped at its
/// first batch (CodeDeploy stops deployments whose group alarm is in ALARM).
async fn wait_until_ok(runtime: &LocalRuntime) {
    loop {
        let alarms = baton_local::query::alarms(runtime.db()).unwrap();
        if alarms.iter().all(|a| a.state == "OK") && !alarms.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn rollback_latency(runtime: &LocalRuntime) -> Duration {
    wait_until_ok(runtime).await;
    let mut events = runtime.subscribe();
    let run = runtime.run(None, Default::default());
    tokio::pin!(run);
    let mut owners: Owners<String> = Owners::default();
    let mut breached_at = None;
    loop {
        tokio::select! {
            record = &mut run => panic!("the run ended before its rollback started: {:?}", record),
            progress = events.recv() => {
                let e = progress.unwrap().event;
                let state = match e.state_name() {
                    Some(n) if e.kind.ends_with("StateEntered") => {
                        owners.enter(&e, n.to_string());
                        n.to_string()
                    }
                    _ => owners.follow(&e).unwrap_or_default(),
                };
                if e.kind == "TaskSubmitted" && state == "Ship:Bake" {
                    breached_at = Some(Instant::now());
                    runtime.metrics().put(&[breach()]).await.unwrap();
                }
                if e.kind == "TaskSubmitted" && state == "Rollback:prod" {
                    let took = breached_at.expect("breach before rollback").elapsed();
                    let record = run.await.unwrap();
                    assert_eq!(record.error.as_deref(), Some("AlarmTriggered"));
                    return took;
                }
            }
        }
    }
}

fn main() {
    let runs: usize = std::env::var("BATON_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let files = [
        ("pipeline.yml", PIPELINE),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p out && cp appspec.yml out/\nartifacts:\n  base-directory: out\n  files: ['**/*']\n",
        ),
        ("appspec.yml", "version: 0.0\nos: linux\n"),
    ];
    let common::Bench { dir: _dir, rt, runtime } = common::project(&files);
    // A last-good revision to roll back to: the first build's artifact.
    rt.block_on(async {
        let record = runtime.run(None, Default::default());
        let mut events = runtime.subscribe();
        tokio::pin!(record);
        loop {
            tokio::select! {
                r = &mut record => panic!("setup run ended early: {r:?}"),
                p = events.recv() => {
                    if p.unwrap().event.kind == "TaskSubmitted"
                        && let Some(m) = runtime.store().list("bench", Some("app")).unwrap().first() {
                            runtime.store().set_last_good("bench", "prod", &m.artifact).await.unwrap();
                            runtime.metrics().put(&[breach()]).await.unwrap();
                            break;
                        }
                }
            }
        }
        let _ = record.await;
    });
    let latencies: Vec<Duration> = (0..runs).map(|_| rt.block_on(rollback_latency(&runtime))).collect();
    rt.block_on(runtime.teardown()).unwrap();

    // Ingest: the store's batched writes against a plain prepared-insert loop, same rows.
    let rows = 200_000;
    let batch = 500;
    let data: Vec<MetricDatum> = (0..rows)
        .map(|i| MetricDatum {
            namespace: "Baton".into(),
            name: "Latency".into(),
            dimensions: BTreeMap::from([("Pipeline".into(), "bench".into()), ("Stage".into(), format!("S{}", i % 4))]),
            value: i as f64,
            unit: "Milliseconds".into(),
            timestamp_ms: 1_700_000_000_000 + i as i64,
        })
        .collect();
    let store_dir = tempfile::tempdir().unwrap();
    let db = std::sync::Arc::new(baton_local::db::Db::open(&store_dir.path().join("store.db")).unwrap());
    let store = baton_local::cloudwatch::SqliteMetrics::new(db);
    let t = Instant::now();
    for chunk in data.chunks(batch) {
        rt.block_on(store.put(chunk)).unwrap();
    }
    let store_time = t.elapsed();

    let plain = rusqlite::Connection::open(store_dir.path().join("plain.db")).unwrap();
    plain
        .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE m (namespace TEXT, name TEXT, dimensions TEXT, timestamp_ms INTEGER, value REAL, unit TEXT); CREATE INDEX mi ON m (namespace, name, dimensions, timestamp_ms);")
        .unwrap();
    let mut plain = plain;
    let t = Instant::now();
    for chunk in data.chunks(batch) {
        let tx = plain.transaction().unwrap();
        {
            let mut stmt = tx.prepare_cached("INSERT INTO m VALUES (?1, ?2, ?3, ?4, ?5, ?6)").unwrap();
            for d in chunk {
                let dims = serde_json::to_string(&d.dimensions).unwrap();
                stmt.execute(rusqlite::params![d.namespace, d.name, dims, d.timestamp_ms, d.value, d.unit])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let plain_time = t.elapsed();

    println!("alarms and metrics");
    println!(
        "  breaching datapoint -> rollback deployment started: median {:.1} ms of {runs} (min {:.1}, max {:.1}; target < 1000 ms)",
        median(latencies.clone()).as_secs_f64() * 1e3,
        latencies.iter().min().unwrap().as_secs_f64() * 1e3,
        latencies.iter().max().unwrap().as_secs_f64() * 1e3
    );
    println!("  metric ingest, {rows} datapoints in batches of {batch}:");
    println!(
        "    local metric store : {:>10.0} datapoints/s",
        rows as f64 / store_time.as_secs_f64()
    );
    println!(
        "    plain SQLite insert: {:>10.0} datapoints/s   (baseline, same run)",
        rows as f64 / plain_time.as_secs_f64()
    );
}
