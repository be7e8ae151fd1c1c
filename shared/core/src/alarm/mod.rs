//! CloudWatch alarms: the vocabulary shared by the spec, the local evaluator and the AWS
//! adapters; [`evaluate`] decides a metric alarm's state the way CloudWatch does, and
//! [`composite`] parses and evaluates composite alarm rules.

pub mod composite;
pub mod evaluate;
pub mod reason;
pub mod request;
mod statistic;

pub use statistic::{Range, STATISTICS, Statistic, Trim};

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    /// The words CloudWatch's state reasons use.
    pub fn phrase(self) -> &'static str {
        match self {
            Self::GreaterThanOrEqualToThreshold => "greater than or equal to",
            Self::GreaterThanThreshold => "greater than",
            Self::LessThanThreshold => "less than",
            Self::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Self::GreaterThanOrEqualToThreshold => value >= threshold,
            Self::GreaterThanThreshold => value > threshold,
            Self::LessThanThreshold => value < threshold,
            Self::LessThanOrEqualToThreshold => value <= threshold,
        }
    }
}

/// Where an alarm's evaluation window falls (PutMetricAlarm's `EvaluationWindow`; the CloudWatch
/// user guide, "Alarm evaluation window").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EvaluationWindow {
    /// CloudWatch's default: the window ends where the alarm is evaluated and advances with each
    /// evaluation, "so it detects breaches as soon as data points cross your threshold".
    #[default]
    Sliding,
    /// Aligned to the boundaries of the period (the top of the hour, midnight) in UTC shifted by
    /// a fixed offset, in seconds east of UTC (`WallClockWindow`'s `Timezone`: "a fixed UTC
    /// offset (for example, +05:30)").
    WallClock { utc_offset_secs: i32 },
}

impl fmt::Display for EvaluationWindow {
    /// "sliding window", "wall clock window in UTC", "wall clock window in UTC+05:30".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Sliding => f.write_str("sliding window"),
            Self::WallClock { utc_offset_secs: 0 } => f.write_str("wall clock window in UTC"),
            Self::WallClock { utc_offset_secs } => {
                let sign = if utc_offset_secs < 0 { '-' } else { '+' };
                let minutes = utc_offset_secs.unsigned_abs() / 60;
                write!(f, "wall clock window in UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
            }
        }
    }
}

/// The periods PutMetricAlarm takes: 10, 20, 30 or a multiple of 60 seconds (its `Period`
/// reference: "Valid values are 10, 20, 30, and any multiple of 60").
pub fn valid_aws_period(secs: u64) -> bool {
    matches!(secs, 10 | 20 | 30) || (secs > 0 && secs.is_multiple_of(60))
}

/// The periods a pipeline.yml alarm takes: CloudWatch's, and 1 or 5 seconds for a quick local
/// bake (`synth --sam` writes those as 10 and warns that it does).
pub fn valid_pipeline_period(secs: u64) -> bool {
    matches!(secs, 1 | 5) || valid_aws_period(secs)
}

/// The longest name PutMetricAlarm takes (an alarm's, a namespace's, a metric's, a dimension's).
pub const MAX_NAME: usize = 255;
const MAX_DIMENSION_VALUE: usize = 1024;
const MAX_DIMENSIONS: usize = 30;

/// Why `text` is not 1 to `max` characters long, as PutMetricAlarm's reference bounds `member`.
pub fn out_of_length(member: &str, text: &str, max: usize) -> Option<String> {
    let n = text.chars().count();
    (n == 0 || n > max).then(|| format!("{member} must be 1 to {max} characters, not {n}"))
}

/// Why the metric an alarm watches is outside PutMetricAlarm's bounds: a namespace and a metric
/// name of 1 to 255 characters, at most 30 dimensions, each named in 1 to 255 and valued in 1 to
/// 1024 (its reference and `Dimension`'s).
pub fn metric_out_of_bounds(namespace: Option<&str>, metric: &str, dimensions: &[(&str, &str)]) -> Option<String> {
    if dimensions.len() > MAX_DIMENSIONS {
        return Some(format!("{} Dimensions: an alarm takes at most {MAX_DIMENSIONS}", dimensions.len()));
    }
    out_of_length("MetricName", metric, MAX_NAME)
        .or_else(|| namespace.and_then(|ns| out_of_length("Namespace", ns, MAX_NAME)))
        .or_else(|| {
            dimensions.iter().find_map(|(name, value)| {
                out_of_length("a dimension's Name", name, MAX_NAME)
                    .or_else(|| out_of_length("a dimension's Value", value, MAX_DIMENSION_VALUE))
            })
        })
}

/// CloudWatch's limit on an alarm's evaluation range: `Period × EvaluationPeriods` at most seven
/// days (604,800 s), and one day (86,400 s) when the period is under an hour (PutMetricAlarm's
/// `Period` reference). `None` when it holds, else the sentence that says why not, in words
/// that fit both spellings of the fields (pipeline.yml's `evaluation_periods`, a PutMetricAlarm
/// request's `EvaluationPeriods`).
pub fn range_too_long(period_secs: u64, evaluation_periods: u32) -> Option<String> {
    let limit: u64 = if period_secs < 3600 { 86_400 } else { 604_800 };
    let range = period_secs.checked_mul(u64::from(evaluation_periods));
    range.is_none_or(|r| r > limit).then(|| {
        format!(
            "{evaluation_periods} evaluation periods of {period_secs} s are longer than CloudWatch evaluates: at most {limit} s{}",
            if limit == 86_400 { " for a period under an hour" } else { "" }
        )
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    #[default]
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// What a percentile alarm does with a period of too few samples to be statistically significant
/// (`EvaluateLowSampleCountPercentile`; the user guide, "Percentile-based alarms and low data
/// samples").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LowSampleCount {
    /// CloudWatch's default: "the alarm is always evaluated and possibly changes state".
    #[default]
    Evaluate,
    /// "The alarm state does not change during periods with too few data points".
    Ignore,
}

impl LowSampleCount {
    /// The fewest samples that make percentile `p` (0–100) significant: 10/(1 − p) from p50 up
    /// to p100, 10/p under p50; p0 and p100 have no such bound.
    pub fn significant_samples(p: f64) -> Option<f64> {
        // In percent, which keeps 1000 for p99 exact; rounded so that p99.9's 10,000 is not
        // 10,000.0000000006.
        let bound = match p {
            p if (50.0..100.0).contains(&p) => 1000.0 / (100.0 - p),
            p if p > 0.0 && p < 50.0 => 1000.0 / p,
            _ => return None,
        };
        Some((bound * 1e6).round() / 1e6)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        })
    }
}

impl AlarmState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OK" => Some(Self::Ok),
            "ALARM" => Some(Self::Alarm),
            "INSUFFICIENT_DATA" => Some(Self::InsufficientData),
            _ => None,
        }
    }
}

#[cfg(test)]
mod range_tests {
    use super::range_too_long;

    /// PutMetricAlarm's `Period` reference: the range is at most a day under hour-long periods,
    /// a week otherwise; 4294967295 evaluation periods had overflowed the evaluation range.
    #[test]
    fn an_evaluation_range_is_a_day_or_a_week_at_most() {
        assert!(range_too_long(60, 1440).is_none());
        assert!(range_too_long(60, 1441).is_some());
        assert!(range_too_long(3600, 168).is_none());
        assert!(range_too_long(3600, 169).is_some());
        assert!(range_too_long(u64::MAX, u32::MAX).is_some());
        assert!(range_too_long(60, u32::MAX).unwrap().contains("at most 86400 s"));
        assert_eq!(
            range_too_long(3600, 169).as_deref(),
            Some("169 evaluation periods of 3600 s are longer than CloudWatch evaluates: at most 604800 s")
        );
    }
}
