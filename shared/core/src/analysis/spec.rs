//! What an analysis is asked to judge: its metrics, intervals, thresholds and baseline, as
//! pipeline.yml (under a group's `analysis:`) and `analysis evaluate --config` give them, with
//! the bounds input may ask for.

use serde::{Deserialize, Serialize};

use crate::spec::duration::Span;

/// Which change of a metric is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Increase,
    Decrease,
    Either,
}

/// One metric to compare.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    pub name: String,
    pub direction: Direction,
    /// The relative effect that matters, e.g. 0.1: a canary 10 % worse than its baseline.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// Whether failing this metric fails the canary whatever the score.
    #[serde(default)]
    pub critical: bool,
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// For a Lambda group on AWS: the version's own CloudWatch metric this one is read from
    /// (`latency` and `errors` need none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudwatch: Option<VersionMetric>,
}

/// A metric of `AWS/Lambda` read per version (dimensions `FunctionName`, `Resource` = the
/// alias, `ExecutedVersion`), one `statistic` a minute: each minute is one sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionMetric {
    /// The metric's name, e.g. `Duration` or `Throttles`.
    pub metric: String,
    /// `SampleCount`, `Sum`, `Average`, `Minimum`, `Maximum` or a percentile such as `p99`.
    pub statistic: String,
}

/// CloudWatch's longest metric name.
const MAX_METRIC_NAME: usize = 255;

fn default_tolerance() -> f64 {
    0.1
}

fn default_weight() -> f64 {
    1.0
}

/// Score thresholds, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// An interval scoring at least this passes.
    pub pass: f64,
    /// An interval scoring under this fails the canary at once.
    pub marginal: f64,
}

/// The analysis of one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    pub metrics: Vec<MetricSpec>,
    /// How long each interval lasts in a deployment (recorded samples come in intervals already).
    #[serde(default = "default_interval")]
    pub interval: Span,
    /// How many intervals are judged before promotion.
    pub intervals: u32,
    pub thresholds: Thresholds,
    /// The p-value under which a difference counts (Kayenta's default confidence is 95 %).
    #[serde(default = "default_significance")]
    pub significance: f64,
    /// Fewer samples than this on either side is NoData.
    #[serde(default = "default_min_samples")]
    pub min_samples: usize,
    /// Locally: requests Baton sends through the group's front door while it analyses, for a
    /// group nobody else is calling (a local run has no users).
    #[serde(default)]
    pub load: Option<Load>,
    /// What the canary is compared with.
    #[serde(default)]
    pub baseline: Baseline,
}

/// The baseline's fleet (Kayenta compares a canary cluster with a baseline cluster).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    /// The fleet that serves the old revision and has served it for long.
    #[default]
    Serving,
    /// As many new instances of the old revision as the canary has, started for the analysis
    /// and given the canary's share of traffic, then retired: caches, JIT and connection pools
    /// as cold as the canary's, so age is not taken for a regression.
    Fresh,
}

/// Synthetic requests through a local group's front door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Load {
    /// The path each `GET` asks for.
    #[serde(default = "default_path")]
    pub path: String,
    /// Requests per second (1 to [`MAX_LOAD_PER_SECOND`]).
    pub per_second: u32,
}

/// The most synthetic requests per second a load may ask for.
pub const MAX_LOAD_PER_SECOND: u32 = 1_000;

fn default_path() -> String {
    "/".into()
}

fn default_interval() -> Span {
    Span(std::time::Duration::from_secs(60))
}

fn default_significance() -> f64 {
    0.05
}

fn default_min_samples() -> usize {
    5
}

/// The most intervals, metrics and samples an analysis takes: bounds on what input can ask.
pub const MAX_INTERVALS: u32 = 1_000;
pub const MAX_METRICS: usize = 50;
pub const MAX_SAMPLES: usize = 1_000_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalysisError {
    #[error("{0}")]
    Invalid(String),
}

impl AnalysisSpec {
    /// Every problem of the spec, each naming its field.
    pub fn check(&self) -> Result<(), AnalysisError> {
        let mut problems = Vec::new();
        if self.metrics.is_empty() || self.metrics.len() > MAX_METRICS {
            problems.push(format!("metrics: give 1 to {MAX_METRICS} metrics"));
        }
        if self.intervals == 0 || self.intervals > MAX_INTERVALS {
            problems.push(format!("intervals: {} is not 1 to {MAX_INTERVALS}", self.intervals));
        }
        let t = self.thresholds;
        let percent = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
        if !percent(t.pass) || !percent(t.marginal) || t.marginal > t.pass {
            problems.push(format!(
                "thresholds: pass {} and marginal {} must be 0 to 100, marginal at most pass",
                t.pass, t.marginal
            ));
        }
        if !(self.significance > 0.0 && self.significance < 1.0) {
            problems.push(format!("significance: {} is not between 0 and 1", self.significance));
        }
        if self.interval.secs() == 0 {
            problems.push("interval: at least 1s".to_string());
        }
        if let Some(load) = &self.load {
            if load.per_second == 0 || load.per_second > MAX_LOAD_PER_SECOND {
                problems.push(format!("load.per_second: {} is not 1 to {MAX_LOAD_PER_SECOND}", load.per_second));
            }
            if !load.path.starts_with('/') || load.path.chars().any(|c| c.is_whitespace() || c.is_control()) {
                problems.push(format!("load.path: `{}` is not a path such as /health", load.path));
            }
        }
        if self.min_samples == 0 || self.min_samples > MAX_SAMPLES {
            problems.push(format!("min_samples: {} is not 1 to {MAX_SAMPLES}", self.min_samples));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            if !names.insert(m.name.as_str()) {
                problems.push(format!("metrics[{i}]: `{}` is named twice", m.name));
            }
            if !(m.tolerance.is_finite() && (0.0..=100.0).contains(&m.tolerance)) {
                problems.push(format!(
                    "metrics[{i}].tolerance: {} is not 0 to 100 (a ratio: 0.1 is 10 %)",
                    m.tolerance
                ));
            }
            if !(m.weight.is_finite() && m.weight > 0.0 && m.weight <= 1_000.0) {
                problems.push(format!("metrics[{i}].weight: {} is not above 0 and at most 1000", m.weight));
            }
            if let Some(source) = &m.cloudwatch {
                let name = &source.metric;
                if name.is_empty() || name.len() > MAX_METRIC_NAME || name.chars().any(char::is_control) {
                    problems.push(format!(
                        "metrics[{i}].cloudwatch.metric: `{name}` is not a CloudWatch metric name (1 to {MAX_METRIC_NAME} characters)"
                    ));
                }
                if crate::alarm::Statistic::parse(&source.statistic).is_none() {
                    problems.push(format!(
                        "metrics[{i}].cloudwatch.statistic: `{}` is not a CloudWatch statistic: {}",
                        source.statistic,
                        crate::alarm::STATISTICS
                    ));
                }
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(AnalysisError::Invalid(problems.join("; "))),
        }
    }
}
