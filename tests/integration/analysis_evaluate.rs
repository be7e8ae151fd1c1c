//! `baton analysis evaluate`: the canary judge on recorded samples, from the command line.

use std::path::Path;

use crate::cli::{baton, text};

/// Latencies around `center` with a fixed, repeating spread.
fn latencies(center: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| center * (0.8 + 0.4 * ((i * 37 % 101) as f64 / 100.0))).collect()
}

fn write(dir: &Path, name: &str, value: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write");
    path.to_str().expect("utf-8").to_string()
}

/// `baton analysis evaluate` of these files, with `more` arguments.
fn evaluate(config: &str, canary: &str, baseline: &str, more: &[&str]) -> std::process::Output {
    let args = [
        "analysis",
        "evaluate",
        "--config",
        config,
        "--canary",
        canary,
        "--baseline",
        baseline,
    ];
    baton(&[&args[..], more].concat())
}

const CONFIG: &str = r#"{"metrics": [
    {"name": "latency", "direction": "increase", "tolerance": 0.1},
    {"name": "errors", "direction": "increase", "tolerance": 0, "critical": true}],
  "intervals": 3, "thresholds": {"pass": 95, "marginal": 75}}"#;

#[test]
fn a_slower_canary_fails_at_the_interval_it_slows_and_an_equal_one_is_promoted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write(dir.path(), "analysis.json", &serde_json::from_str(CONFIG).expect("config"));
    let errors = serde_json::json!([vec![0.0; 200], vec![0.0; 200], vec![0.0; 200]]);
    let baseline = write(
        dir.path(),
        "baseline.json",
        &serde_json::json!({"latency": [latencies(10.0, 200), latencies(10.0, 200), latencies(10.0, 200)], "errors": errors}),
    );
    let slower = write(
        dir.path(),
        "slower.json",
        &serde_json::json!({"latency": [latencies(10.0, 200), latencies(14.0, 200), latencies(14.0, 200)], "errors": errors}),
    );
    let equal = write(
        dir.path(),
        "equal.json",
        &serde_json::json!({"latency": [latencies(10.0, 200), latencies(10.0, 200), latencies(10.0, 200)], "errors": errors}),
    );

    let out = evaluate(&config, &slower, &baseline, &[]);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("Decision: FAIL after 2 of 3 intervals."), "{shown}");
    assert!(shown.contains("score 50 is under the marginal threshold 75"), "{shown}");

    let out = evaluate(&config, &equal, &baseline, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["decision"], "PROMOTE", "{doc}");
    assert_eq!(doc["intervals"].as_array().map(Vec::len), Some(3));
    assert_eq!(doc["intervals"][0]["metrics"][0]["classification"], "PASS");
}

#[test]
fn a_config_out_of_bounds_or_with_an_unknown_key_is_refused_plainly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = write(dir.path(), "s.json", &serde_json::json!({}));
    let unknown = write(
        dir.path(),
        "unknown.json",
        &serde_json::json!({"metrics": [], "intervals": 1, "thresholds": {"pass": 90, "marginal": 70}, "interval_secs": 60}),
    );
    let out = evaluate(&unknown, &samples, &samples, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown key `interval_secs`"), "{}", text(&out.stderr));

    let bounds = write(
        dir.path(),
        "bounds.json",
        &serde_json::json!({"metrics": [{"name": "l", "direction": "increase", "weight": 1e9}], "intervals": 5000,
                            "thresholds": {"pass": 90, "marginal": 70}}),
    );
    let out = evaluate(&bounds, &samples, &samples, &[]);
    assert_eq!(out.status.code(), Some(2));
    let why = text(&out.stderr);
    assert!(
        why.contains("intervals: 5000 is not 1 to 1000") && why.contains("metrics[0].weight"),
        "{why}"
    );

    let typed = write(dir.path(), "typed.json", &serde_json::json!({"latency": [["fast"]]}));
    let config = write(dir.path(), "ok.json", &serde_json::from_str(CONFIG).expect("config"));
    let out = evaluate(&config, &typed, &samples, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("f64"), "no library wording: {}", text(&out.stderr));
}
