//! `baton alarm evaluate`: an alarm's periods replayed over recorded datapoints, as CloudWatch
//! evaluates them.

use std::path::{Path, PathBuf};

use crate::cli::{baton, text};

/// A temporary directory (kept while the test holds it) and where its alarm and datapoints go.
fn files() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (alarm, points) = (dir.path().join("alarm.json"), dir.path().join("points.json"));
    (dir, alarm, points)
}

/// `baton alarm evaluate --json` over the two files and `more` arguments: its evaluations.
fn evaluations(alarm: &Path, points: &Path, more: &[&str]) -> Vec<serde_json::Value> {
    let (alarm, points) = (alarm.to_str().expect("utf-8"), points.to_str().expect("utf-8"));
    let mut args = vec!["alarm", "evaluate", "--alarm", alarm, "--datapoints", points, "--json"];
    args.extend_from_slice(more);
    let out = baton(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["evaluations"].as_array().expect("list").clone()
}

/// What `baton alarm evaluate` says refusing the two files (it exits 2).
fn refused(alarm: &Path, points: &Path) -> String {
    let (alarm, points) = (alarm.to_str().expect("utf-8"), points.to_str().expect("utf-8"));
    let out = baton(&["alarm", "evaluate", "--alarm", alarm, "--datapoints", points]);
    assert_eq!(out.status.code(), Some(2));
    text(&out.stderr)
}

#[test]
fn alarm_evaluate_walks_the_periods() {
    let (_dir, alarm, points) = files();
    std::fs::write(
        &alarm,
        r#"{"AlarmName": "errors", "MetricName": "Errors", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}"#,
    )
    .expect("write");
    std::fs::write(
        &points,
        r#"[{"Timestamp": "2026-11-26T18:00:10Z", "Value": 0}, {"Timestamp": "2026-11-26T18:01:10Z", "Value": 3},
            {"Timestamp": "2026-11-26T18:02:10Z", "Value": 2}]"#,
    )
    .expect("write");
    let rows = evaluations(&alarm, &points, &[]);
    let states: Vec<(&str, &str)> = rows
        .iter()
        .map(|e| (e["time"].as_str().unwrap(), e["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        &states[..3],
        [
            ("2026-11-26T18:01:00Z", "OK"),
            ("2026-11-26T18:02:00Z", "OK"),
            ("2026-11-26T18:03:00Z", "ALARM")
        ]
    );
    assert_eq!(
        states.last().map(|s| s.1),
        Some("INSUFFICIENT_DATA"),
        "once every datapoint has left the range"
    );

    std::fs::write(&alarm, r#"{"AlarmName": "x", "MetricName": "m", "Statistic": "Sum", "Period": 7, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}"#).expect("write");
    let bad = refused(&alarm, &points);
    assert!(bad.contains("Period 7"), "{bad}");

    // A range with no datapoints at all is the missing-data rule's to decide (CloudWatch user
    // guide, "Configuring how CloudWatch alarms treat missing data": the "- - - - -" rows):
    // breaching → ALARM, and without a window there is nothing to evaluate.
    std::fs::write(&alarm, r#"{"AlarmName": "x", "MetricName": "m", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 3, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "breaching"}"#).expect("write");
    std::fs::write(&points, "[]").expect("write");
    let none = refused(&alarm, &points);
    assert!(none.contains("give --from and --to"), "{none}");
    let window = ["--from", "2026-12-01T10:00:00Z", "--to", "2026-12-01T10:03:00Z"];
    let rows = evaluations(&alarm, &points, &window);
    let states: Vec<&str> = rows.iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["ALARM", "ALARM", "ALARM"]);
}

/// A 5-minute alarm is evaluated every minute over a sliding window, CloudWatch's default (the
/// user guide, "Alarm evaluation window"), so a breach shows a minute after it; with a
/// `WallClockWindow` only once its 5-minute period has ended.
#[test]
fn alarm_evaluate_slides_its_window_every_minute_unless_told_the_wall_clock() {
    let (_dir, alarm, points) = files();
    std::fs::write(&points, r#"[{"Timestamp": "2026-12-01T10:01:30Z", "Value": 9}]"#).expect("write");
    let first_alarm = |window: &str| {
        std::fs::write(
            &alarm,
            format!(
                r#"{{"AlarmName": "x", "MetricName": "m", "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1,
                    "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"{window}}}"#
            ),
        )
        .expect("write");
        let rows = evaluations(&alarm, &points, &[]);
        let at = rows.iter().find(|e| e["state"] == "ALARM").expect("an ALARM row")["time"].clone();
        (at, rows.len())
    };
    let (at, rows) = first_alarm("");
    assert_eq!(at, "2026-12-01T10:02:00Z");
    assert!(rows > 5, "an evaluation every minute: {rows}");
    let (at, _) = first_alarm(r#", "EvaluationWindow": {"WallClockWindow": {}}"#);
    assert_eq!(at, "2026-12-01T10:05:00Z");
}

/// A wall clock window in a fixed offset is evaluated at that zone's boundaries: an hourly alarm
/// at +05:30 at half past each UTC hour (the `WallClockWindow` reference: the zone "affects window
/// alignment for all periods").
#[test]
fn alarm_evaluate_evaluates_a_wall_clock_window_at_its_zones_boundaries() {
    let (_dir, alarm, points) = files();
    std::fs::write(&points, r#"[{"Timestamp": "2026-12-01T10:10:00Z", "Value": 9}]"#).expect("write");
    std::fs::write(
        &alarm,
        r#"{"AlarmName": "x", "MetricName": "m", "Statistic": "Sum", "Period": 3600, "EvaluationPeriods": 1,
            "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            "EvaluationWindow": {"WallClockWindow": {"Timezone": "UTC+05:30"}}}"#,
    )
    .expect("write");
    let rows = evaluations(&alarm, &points, &[]);
    let at = rows.iter().find(|e| e["state"] == "ALARM").expect("an ALARM row");
    assert_eq!(at["time"], "2026-12-01T10:30:00Z");
    assert!(at["reason"].as_str().unwrap().contains("[9.0 (01/12/26 09:30:00)]"), "{at}");
}

/// `describe-alarms` output replays as it is (docs/metrics.md says so); what the replay leaves out
/// is said on stderr.
#[test]
fn alarm_evaluate_replays_a_described_alarm_and_says_what_it_leaves_out() {
    let (_dir, alarm, points) = files();
    std::fs::write(
        &alarm,
        r#"{"AlarmName": "x", "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x", "StateValue": "OK",
            "StateReason": "Threshold Crossed", "MetricName": "m", "Statistic": "Sum", "Period": 60,
            "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            "WarmUpConfiguration": {"WarmUpPeriodDurationInMinutes": 10}}"#,
    )
    .expect("write");
    std::fs::write(&points, r#"[{"Timestamp": "2026-12-01T10:00:30Z", "Value": 5}]"#).expect("write");
    let (alarm, points) = (alarm.to_str().expect("utf-8"), points.to_str().expect("utf-8"));
    let out = baton(&["alarm", "evaluate", "--alarm", alarm, "--datapoints", points]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("WarmUpConfiguration is not replayed"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("ALARM"), "{}", text(&out.stdout));
}

/// A datapoints file in any order replays as the same series: CloudWatch stores a metric in time
/// order, whatever order its datapoints arrived in.
#[test]
fn alarm_evaluate_reads_datapoints_in_any_order() {
    let (_dir, alarm, points) = files();
    std::fs::write(
        &alarm,
        r#"{"AlarmName": "x", "MetricName": "m", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 2,
            "Threshold": 3, "ComparisonOperator": "GreaterThanThreshold"}"#,
    )
    .expect("write");
    let series: Vec<String> = (0..40)
        .map(|i| {
            format!(
                r#"{{"Timestamp": "2026-12-01T10:{:02}:{:02}Z", "Value": {}}}"#,
                i / 4,
                (i % 4) * 15,
                i % 5
            )
        })
        .collect();
    std::fs::write(&points, format!("[{}]", series.join(","))).expect("write");
    let in_order = evaluations(&alarm, &points, &[]);
    let reversed: Vec<&str> = series.iter().rev().map(String::as_str).collect();
    std::fs::write(&points, format!("[{}]", reversed.join(","))).expect("write");
    assert_eq!(evaluations(&alarm, &points, &[]), in_order);
    assert!(in_order.iter().any(|e| e["state"] == "ALARM"), "{in_order:?}");
}
