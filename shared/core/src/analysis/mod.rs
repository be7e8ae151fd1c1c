//! Automated canary analysis: the canary's samples of each metric judged against the baseline's,
//! interval by interval, as Kayenta's judge does (Spinnaker's canary analysis): a Mann-Whitney U
//! test says whether they differ, the effect size says by how much, each metric is classified
//! Pass, High, Low or NoData, and the classifications make a 0–100 score by weight.
//!
//! The judge is pure and deterministic: the same samples give the same decision, so a decision
//! can be replayed (`baton analysis evaluate`) and unit-tested.

pub mod mann_whitney;
mod spec;

pub use spec::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a metric's canary compares with its baseline in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    Pass,
    High,
    Low,
    NoData,
}

/// One metric's verdict in one interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    pub name: String,
    pub classification: Classification,
    /// Whether the classification is the bad direction's: the metric failed.
    pub failed: bool,
    pub critical: bool,
    /// The relative change of the median (of the mean where the medians are equal):
    /// (canary − baseline) / |baseline|; infinite from a baseline of 0 (`"Infinity"` or
    /// `"-Infinity"` in JSON, which has no such number).
    #[serde(serialize_with = "ratio", deserialize_with = "ratio_from")]
    pub effect: Option<f64>,
    pub p_value: Option<f64>,
    pub canary_samples: usize,
    pub baseline_samples: usize,
    pub canary_mean: Option<f64>,
    pub baseline_mean: Option<f64>,
}

fn ratio<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.is_infinite() => s.serialize_str(if *x > 0.0 { "Infinity" } else { "-Infinity" }),
        Some(x) => s.serialize_f64(*x),
        None => s.serialize_none(),
    }
}

fn ratio_from<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ratio {
        Number(f64),
        Text(String),
    }
    Ok(match Option::<Ratio>::deserialize(d)? {
        None => None,
        Some(Ratio::Number(x)) => Some(x),
        Some(Ratio::Text(t)) if t == "-Infinity" => Some(f64::NEG_INFINITY),
        Some(Ratio::Text(_)) => Some(f64::INFINITY),
    })
}

/// What the judge decides at an interval's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// Judge the next interval.
    Continue,
    /// Every interval passed: shift the rest of the traffic.
    Promote,
    /// Stop the shift and roll back (`CANARY_ANALYSIS_FAILED`).
    Fail,
}

impl Decision {
    /// The name JSON gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continue => "CONTINUE",
            Self::Promote => "PROMOTE",
            Self::Fail => "FAIL",
        }
    }
}

impl Classification {
    /// The name JSON gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::High => "HIGH",
            Self::Low => "LOW",
            Self::NoData => "NO_DATA",
        }
    }
}

/// One interval's judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalResult {
    pub interval: u32,
    pub metrics: Vec<MetricResult>,
    /// 0–100 by weight over the metrics with data; `None` when no metric had data.
    pub score: Option<f64>,
    pub decision: Decision,
    pub reason: String,
}

/// The samples of one interval, per metric name; a metric with none is NoData.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalSamples {
    pub canary: BTreeMap<String, Vec<f64>>,
    pub baseline: BTreeMap<String, Vec<f64>>,
}

/// One side's samples of a metric; none when it has none.
fn of<'a>(side: &'a BTreeMap<String, Vec<f64>>, name: &str) -> &'a [f64] {
    side.get(name).map_or(&[], Vec::as_slice)
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn median(v: &[f64]) -> Option<f64> {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// `(canary − baseline) / |baseline|`; infinite from a baseline of 0.
fn relative(canary: f64, baseline: f64) -> f64 {
    let d = canary - baseline;
    if d == 0.0 {
        0.0
    } else if baseline == 0.0 {
        d.signum() * f64::INFINITY
    } else {
        d / baseline.abs()
    }
}

/// The relative change of the median — robust to the few slow outliers any latency has — or,
/// where the medians are equal, of the mean: a rate of rare events (0 or 1 per request) has a
/// median of 0 on both sides however far its mean moved.
fn effect(canary: &[f64], baseline: &[f64]) -> Option<f64> {
    let (cm, bm) = (median(canary)?, median(baseline)?);
    if cm != bm {
        return Some(relative(cm, bm));
    }
    Some(relative(mean(canary)?, mean(baseline)?))
}

/// Classifies one metric: NoData with too few samples; High or Low when the test finds a
/// difference (p under `significance`) whose effect passes the tolerance; Pass otherwise.
pub fn classify(spec: &AnalysisSpec, metric: &MetricSpec, canary: &[f64], baseline: &[f64]) -> MetricResult {
    let (cm, bm) = (mean(canary), mean(baseline));
    let test = mann_whitney::test(canary, baseline);
    let enough = canary.len() >= spec.min_samples && baseline.len() >= spec.min_samples;
    let effect = effect(canary, baseline);
    let classification = match (enough, test, effect) {
        (true, Some(t), Some(e)) if t.p_value < spec.significance && e > metric.tolerance => Classification::High,
        (true, Some(t), Some(e)) if t.p_value < spec.significance && e < -metric.tolerance => Classification::Low,
        (true, Some(_), Some(_)) => Classification::Pass,
        _ => Classification::NoData,
    };
    let failed = matches!(
        (metric.direction, classification),
        (Direction::Increase | Direction::Either, Classification::High) | (Direction::Decrease | Direction::Either, Classification::Low)
    );
    MetricResult {
        name: metric.name.clone(),
        classification,
        failed,
        critical: metric.critical,
        effect,
        p_value: test.map(|t| t.p_value),
        canary_samples: canary.len(),
        baseline_samples: baseline.len(),
        canary_mean: cm,
        baseline_mean: bm,
    }
}

/// Judges interval `interval` (1-based) given the earlier intervals' results: a critical
/// metric failed or a score under `marginal` fails the canary; the last interval promotes only
/// when every interval scored at least `pass`.
pub fn judge(spec: &AnalysisSpec, interval: u32, earlier: &[IntervalResult], samples: &IntervalSamples) -> IntervalResult {
    let metrics: Vec<MetricResult> = spec
        .metrics
        .iter()
        .map(|m| classify(spec, m, of(&samples.canary, &m.name), of(&samples.baseline, &m.name)))
        .collect();
    let weighed: f64 = spec
        .metrics
        .iter()
        .zip(&metrics)
        .filter(|(_, r)| r.classification != Classification::NoData)
        .map(|(m, _)| m.weight)
        .sum();
    let passed: f64 = spec
        .metrics
        .iter()
        .zip(&metrics)
        .filter(|(_, r)| r.classification != Classification::NoData && !r.failed)
        .map(|(m, _)| m.weight)
        .sum();
    let score = (weighed > 0.0).then(|| 100.0 * passed / weighed);
    let last = interval >= spec.intervals;
    let t = spec.thresholds;
    let all_passed_before = earlier.iter().all(|r| r.score.is_some_and(|s| s >= t.pass));
    let (decision, reason) = if let Some(m) = metrics.iter().find(|m| m.critical && m.failed) {
        (Decision::Fail, format!("critical metric {} is {:?}", m.name, m.classification))
    } else {
        match score {
            Some(s) if s < t.marginal => (
                Decision::Fail,
                format!("score {s:.0} is under the marginal threshold {}", t.marginal),
            ),
            Some(s) if last && s >= t.pass && all_passed_before => {
                (Decision::Promote, format!("every interval scored at least {}", t.pass))
            }
            Some(s) if last => (
                Decision::Fail,
                format!("score {s:.0}: not every interval reached the pass threshold {}", t.pass),
            ),
            None if last => (Decision::Fail, "no metric had enough samples to judge".to_string()),
            Some(s) if s >= t.pass => (Decision::Continue, format!("score {s:.0} passes")),
            Some(s) => (Decision::Continue, format!("score {s:.0} is marginal")),
            None => (Decision::Continue, "no metric had enough samples yet".to_string()),
        }
    };
    IntervalResult {
        interval,
        metrics,
        score,
        decision,
        reason,
    }
}

/// An analysis in progress. Each interval is judged on every sample since the canary took its
/// share, as Spinnaker's judge does without a lookback window: rare failures add up, and the
/// later intervals weigh more evidence. Each side's samples of a metric are kept to
/// [`MAX_SAMPLES`].
#[derive(Debug)]
pub struct Cumulative<'a> {
    spec: &'a AnalysisSpec,
    so_far: IntervalSamples,
    judged: Vec<IntervalResult>,
}

impl<'a> Cumulative<'a> {
    pub fn new(spec: &'a AnalysisSpec) -> Self {
        Self {
            spec,
            so_far: IntervalSamples::default(),
            judged: Vec::new(),
        }
    }

    /// Judges the next interval on everything so far plus `samples`.
    pub fn judge(&mut self, samples: IntervalSamples) -> &IntervalResult {
        for (all, new) in [
            (&mut self.so_far.canary, samples.canary),
            (&mut self.so_far.baseline, samples.baseline),
        ] {
            for (name, values) in new {
                let kept = all.entry(name).or_default();
                let room = MAX_SAMPLES.saturating_sub(kept.len());
                kept.extend(values.into_iter().take(room));
            }
        }
        let interval = u32::try_from(self.judged.len() + 1).unwrap_or(u32::MAX);
        let result = judge(self.spec, interval, &self.judged, &self.so_far);
        self.judged.push(result);
        &self.judged[self.judged.len() - 1]
    }

    /// The intervals judged, in order.
    pub fn judged(&self) -> &[IntervalResult] {
        &self.judged
    }
}

/// Judges recorded intervals in order, as a deployment would, until a decision other than
/// Continue.
pub fn replay(spec: &AnalysisSpec, intervals: Vec<IntervalSamples>) -> Vec<IntervalResult> {
    let mut analysis = Cumulative::new(spec);
    for samples in intervals.into_iter().take(spec.intervals as usize) {
        if analysis.judge(samples).decision != Decision::Continue {
            break;
        }
    }
    analysis.judged
}

#[cfg(test)]
mod tests;
