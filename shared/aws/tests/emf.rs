//! EMF lines checked against the Embedded Metric Format specification: an `_aws` object with a
//! millisecond `Timestamp` and `CloudWatchMetrics` directives; every dimension named in a
//! dimension set is a top-level string member; every metric named in `Metrics` is a top-level
//! number or array of at most 100 numbers; at most 30 dimensions per set and 100 metrics per
//! directive; units from CloudWatch's `StandardUnit`.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::collections::BTreeMap;

use baton_aws::emf::{EmfMetricsSink, documents};
use baton_core::ports::{MetricDatum, MetricsSink};
use serde_json::Value;

const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

fn conforms(doc: &Value) -> Result<(), String> {
    let aws = doc.get("_aws").and_then(Value::as_object).ok_or("no _aws object")?;
    aws.get("Timestamp")
        .and_then(Value::as_i64)
        .filter(|t| *t > 0)
        .ok_or("_aws.Timestamp must be epoch milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or("_aws.CloudWatchMetrics must be an array")?;
    for d in directives {
        let ns = d.get("Namespace").and_then(Value::as_str).ok_or("Namespace must be a string")?;
        if ns.is_empty() || ns.len() > 1024 {
            return Err("Namespace must be 1-1024 characters".into());
        }
        for set in d
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("Dimensions must be an array of dimension sets")?
        {
            let set = set.as_array().ok_or("a dimension set must be an array")?;
            if set.len() > 30 {
                return Err("a dimension set holds at most 30 dimensions".into());
            }
            for name in set {
                let name = name.as_str().ok_or("dimension names are strings")?;
                doc.get(name)
                    .and_then(Value::as_str)
                    .ok_or(format!("dimension {name} must be a top-level string member"))?;
            }
        }
        let metrics = d.get("Metrics").and_then(Value::as_array).ok_or("Metrics must be an array")?;
        if metrics.len() > 100 {
            return Err("a directive holds at most 100 metrics".into());
        }
        for m in metrics {
            let name = m.get("Name").and_then(Value::as_str).ok_or("a metric needs a Name")?;
            match doc.get(name) {
                Some(Value::Number(_)) => {}
                Some(Value::Array(vs)) if vs.len() <= 100 && vs.iter().all(Value::is_number) => {}
                _ => return Err(format!("metric {name} must be a top-level number or array of at most 100 numbers")),
            }
            if let Some(unit) = m.get("Unit").and_then(Value::as_str)
                && !UNITS.contains(&unit)
            {
                return Err(format!("unit {unit} is not a CloudWatch unit"));
            }
        }
    }
    Ok(())
}

fn datum(name: &str, value: f64, dims: &[(&str, &str)], ts: i64) -> MetricDatum {
    MetricDatum {
        namespace: "Baton".into(),
        name: name.into(),
        dimensions: dims.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
        value,
        unit: "Milliseconds".into(),
        timestamp_ms: ts,
    }
}

#[tokio::test]
async fn lines_follow_the_specification() {
    let action = [("Pipeline", "hello"), ("Stage", "Build"), ("Action", "Compile")];
    let group = [("Pipeline", "hello"), ("DeploymentGroup", "prod")];
    let data = vec![
        datum("ActionDuration", 120.0, &action, 1_700_000_000_000),
        datum("BuildDuration", 100.0, &action, 1_700_000_000_000),
        datum("ActionDuration", 130.0, &action, 1_700_000_000_000),
        datum("DeploymentDuration", 900.0, &group, 1_700_000_000_000),
    ];
    let sink = EmfMetricsSink::new(Vec::new());
    sink.put(&data).await.unwrap();
    let text = String::from_utf8(sink.into_inner()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "one line per dimension set and timestamp:\n{text}");
    for l in &lines {
        conforms(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    }
    let build = lines.iter().find(|l| l["Stage"] == "Build").unwrap();
    assert_eq!(
        build["ActionDuration"],
        serde_json::json!([120.0, 130.0]),
        "two values of one metric form an array"
    );
    assert_eq!(build["BuildDuration"], 100.0);
    assert_eq!(
        build["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([["Action", "Pipeline", "Stage"]])
    );
}

#[test]
fn wide_batches_are_split_within_the_limits() {
    let data: Vec<MetricDatum> = (0..250)
        .map(|i| datum(&format!("M{i}"), f64::from(i), &[("Pipeline", "p")], 1))
        .collect();
    let docs = documents(&data);
    assert_eq!(docs.len(), 3, "100 metrics per directive");
    for d in &docs {
        conforms(d).unwrap();
    }
    let bad = serde_json::json!({"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N", "Dimensions": [["Missing"]], "Metrics": [{"Name": "m"}]}]}, "m": 1});
    assert!(conforms(&bad).is_err(), "the checker itself rejects a dimension without a member");
}
