//! `baton alarm evaluate`: an alarm's periods replayed over recorded datapoints, as CloudWatch
//! evaluates them.

use crate::cli::{baton, text};

#[test]
fn alarm_evaluate_walks_the_periods() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alarm = dir.path().join("alarm.json");
    let points = dir.path().join("points.json");
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
    let out = baton(&[
        "alarm",
        "evaluate",
        "--alarm",
        alarm.to_str().expect("utf-8"),
        "--datapoints",
        points.to_str().expect("utf-8"),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let states: Vec<(&str, &str)> = doc["evaluations"]
        .as_array()
        .expect("list")
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
    let bad = baton(&[
        "alarm",
        "evaluate",
        "--alarm",
        alarm.to_str().expect("utf-8"),
        "--datapoints",
        points.to_str().expect("utf-8"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("Period 7"), "{}", text(&bad.stderr));

    // A range with no datapoints at all is the missing-data rule's to decide (CloudWatch user
    // guide, "Configuring how CloudWatch alarms treat missing data": the "- - - - -" rows):
    // breaching → ALARM, and without a window there is nothing to evaluate.
    std::fs::write(&alarm, r#"{"AlarmName": "x", "MetricName": "m", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 3, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "breaching"}"#).expect("write");
    std::fs::write(&points, "[]").expect("write");
    let alarm = alarm.to_str().expect("utf-8");
    let points = points.to_str().expect("utf-8");
    let none = baton(&["alarm", "evaluate", "--alarm", alarm, "--datapoints", points]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("give --from and --to"), "{}", text(&none.stderr));
    let window = baton(&[
        "alarm",
        "evaluate",
        "--alarm",
        alarm,
        "--datapoints",
        points,
        "--from",
        "2026-12-01T10:00:00Z",
        "--to",
        "2026-12-01T10:03:00Z",
        "--json",
    ]);
    assert!(window.status.success(), "{}", text(&window.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&window.stdout).expect("JSON");
    let states: Vec<&str> = doc["evaluations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["ALARM", "ALARM", "ALARM"]);
}

/// A 5-minute alarm is evaluated every minute over a sliding window, CloudWatch's default (the
/// user guide, "Alarm evaluation window"), so a breach shows a minute after it; with a
/// `WallClockWindow` only once its 5-minute period has ended.
#[test]
fn alarm_evaluate_slides_its_window_every_minute_unless_told_the_wall_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alarm = dir.path().join("alarm.json");
    let points = dir.path().join("points.json");
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
        let out = baton(&[
            "alarm",
            "evaluate",
            "--alarm",
            alarm.to_str().expect("utf-8"),
            "--datapoints",
            points.to_str().expect("utf-8"),
            "--json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let rows = doc["evaluations"].as_array().expect("list").clone();
        let at = rows.iter().find(|e| e["state"] == "ALARM").expect("an ALARM row")["time"].clone();
        (at, rows.len())
    };
    let (at, rows) = first_alarm("");
    assert_eq!(at, "2026-12-01T10:02:00Z");
    assert!(rows > 5, "an evaluation every minute: {rows}");
    let (at, _) = first_alarm(r#", "EvaluationWindow": {"WallClockWindow": {}}"#);
    assert_eq!(at, "2026-12-01T10:05:00Z");
}
