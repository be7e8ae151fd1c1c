//! The metrics Baton publishes: namespace `Baton`, dimensions `Pipeline`, `Stage`, `Action`,
//! `DeploymentGroup`. Handlers build datums here and hand them to a `MetricsSink`.

use std::collections::BTreeMap;

use crate::events::{CoverageReport, TestReport, percent};
use crate::ports::MetricDatum;

pub const NAMESPACE: &str = "Baton";

/// One metric series and what is known of it: CloudWatch's `ListMetrics` names a series only,
/// the local store also counts its datapoints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MetricSeries {
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_timestamp_ms: Option<i64>,
    /// CloudWatch's unit of its latest datapoint (`Milliseconds`, `Count`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// What `GetMetricData` is asked of one series: a statistic per period, since a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricWindow {
    pub statistic: crate::alarm::Statistic,
    pub period_secs: u64,
    pub since_ms: i64,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub fn datum(name: &str, value: f64, unit: &str, dimensions: BTreeMap<String, String>) -> MetricDatum {
    MetricDatum {
        namespace: NAMESPACE.into(),
        name: name.into(),
        dimensions,
        value,
        unit: unit.into(),
        timestamp_ms: now_ms(),
    }
}

pub fn pipeline_dims(pipeline: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("Pipeline".to_string(), pipeline.to_string())])
}

/// `{Pipeline, Stage, Action}` from a state name such as `Build:Compile`.
pub fn action_dims(pipeline: &str, state: &str) -> BTreeMap<String, String> {
    let (stage, action) = state.split_once(':').unwrap_or((state, state));
    let mut d = pipeline_dims(pipeline);
    d.insert("Stage".into(), stage.into());
    d.insert("Action".into(), action.into());
    d
}

pub fn group_dims(pipeline: &str, group: &str) -> BTreeMap<String, String> {
    let mut d = pipeline_dims(pipeline);
    d.insert("DeploymentGroup".into(), group.into());
    d
}

/// `TestsPassed`, `TestsFailed`, `TestsSkipped` and `TestDuration` of a build, summed over its
/// report groups; nothing when the build wrote no report, so "no tests ran" is not "0 failed".
pub fn test_data(reports: &[TestReport], dims: &BTreeMap<String, String>) -> Vec<MetricDatum> {
    if reports.is_empty() {
        return Vec::new();
    }
    let sum = |f: fn(&TestReport) -> u64| reports.iter().map(f).sum::<u64>() as f64;
    vec![
        datum("TestsPassed", sum(|r| r.passed), "Count", dims.clone()),
        datum("TestsFailed", sum(|r| r.failed), "Count", dims.clone()),
        datum("TestsSkipped", sum(|r| r.skipped), "Count", dims.clone()),
        datum("TestDuration", sum(|r| r.duration_ms), "Milliseconds", dims.clone()),
    ]
}

/// `LineCoverage` and `BranchCoverage` in percent over all of a build's coverage groups.
pub fn coverage_data(coverage: &[CoverageReport], dims: &BTreeMap<String, String>) -> Vec<MetricDatum> {
    let sum = |f: fn(&CoverageReport) -> u64| coverage.iter().map(f).sum::<u64>();
    let lines = percent(sum(|c| c.lines_covered), sum(|c| c.lines_missed));
    let branches = percent(sum(|c| c.branches_covered), sum(|c| c.branches_missed));
    [("LineCoverage", lines), ("BranchCoverage", branches)]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| datum(name, v, "Percent", dims.clone())))
        .collect()
}

/// "3 of 40 tests failed: a, b, c" (at most five names), or `None` when none failed.
pub fn failing_tests(reports: &[TestReport]) -> Option<String> {
    let failed: u64 = reports.iter().map(|r| r.failed).sum();
    if failed == 0 {
        return None;
    }
    let total: u64 = reports.iter().map(|r| r.total).sum();
    let names: Vec<&str> = reports.iter().flat_map(|r| &r.failing).map(String::as_str).take(5).collect();
    let more = if failed as usize > names.len() { ", …" } else { "" };
    Some(format!("{failed} of {total} tests failed: {}{more}", names.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(passed: u64, failing: &[&str]) -> TestReport {
        TestReport {
            group: "unit".into(),
            total: passed + failing.len() as u64,
            passed,
            failed: failing.len() as u64,
            failing: failing.iter().map(|s| s.to_string()).collect(),
            ..TestReport::default()
        }
    }

    #[test]
    fn test_metrics_sum_groups_and_are_absent_without_reports() {
        let dims = action_dims("p", "Test:Unit");
        assert!(test_data(&[], &dims).is_empty());
        let data = test_data(&[report(3, &["a"]), report(2, &[])], &dims);
        let value = |n: &str| data.iter().find(|d| d.name == n).map(|d| d.value);
        assert_eq!((value("TestsPassed"), value("TestsFailed")), (Some(5.0), Some(1.0)));
    }

    #[test]
    fn coverage_is_pooled_over_groups() {
        let dims = action_dims("p", "Test:Unit");
        let group = |lines_covered, lines_missed| CoverageReport {
            lines_covered,
            lines_missed,
            ..CoverageReport::default()
        };
        let data = coverage_data(&[group(30, 10), group(60, 0)], &dims);
        assert_eq!(data.len(), 1, "no branches counted, no BranchCoverage: {data:?}");
        assert_eq!((data[0].name.as_str(), data[0].value), ("LineCoverage", 90.0));
    }

    #[test]
    fn failing_tests_names_at_most_five() {
        assert_eq!(failing_tests(&[report(4, &[])]), None);
        let names = ["a", "b", "c", "d", "e", "f"];
        assert_eq!(
            failing_tests(&[report(1, &names)]).as_deref(),
            Some("6 of 7 tests failed: a, b, c, d, e, …")
        );
        assert_eq!(failing_tests(&[report(0, &["x"])]).as_deref(), Some("1 of 1 tests failed: x"));
    }
}
