//! Alarms in the shape of CloudWatch's `PutMetricAlarm` request, for users who bring their own
//! alarm definitions (`baton alarm evaluate`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::alarm::{ComparisonOperator, EvaluationWindow, LowSampleCount, Statistic, TreatMissingData};
use crate::model::Alarm;

/// Unknown members are refused, as CloudWatch refuses them: a misspelt `Treshold` must not
/// silently become a default. Metric math (`Metrics`) is not evaluated, so it is refused too.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutMetricAlarm {
    pub alarm_name: String,
    pub metric_name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub statistic: Option<Statistic>,
    #[serde(default)]
    pub extended_statistic: Option<Statistic>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    pub period: u64,
    pub evaluation_periods: u32,
    #[serde(default)]
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: f64,
    pub comparison_operator: ComparisonOperator,
    #[serde(default)]
    pub treat_missing_data: Option<TreatMissingData>,
    /// The request's other members, accepted and unused: evaluating has no actions to take.
    #[serde(default)]
    pub alarm_description: Option<String>,
    #[serde(default)]
    pub actions_enabled: Option<bool>,
    #[serde(default, rename = "OKActions")]
    pub ok_actions: Vec<String>,
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub evaluate_low_sample_count_percentile: Option<LowSampleCount>,
    #[serde(default)]
    pub tags: Vec<serde_json::Value>,
    #[serde(default)]
    pub evaluation_window: Option<WindowMember>,
}

/// `EvaluationWindow`, a union: exactly one of its members.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WindowMember {
    #[serde(default)]
    pub sliding_window: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub wall_clock_window: Option<WallClockMember>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct WallClockMember {
    #[serde(default)]
    pub timezone: Option<String>,
}

/// The periods a wall clock window aligns to (the `WallClockWindow` reference: "Other period
/// values aren't supported with a wall clock window").
const WALL_CLOCK_PERIODS: [u64; 5] = [60, 300, 3_600, 86_400, 604_800];

impl WindowMember {
    fn window(self, period: u64) -> Result<EvaluationWindow, RequestError> {
        match (self.sliding_window, self.wall_clock_window) {
            (Some(_), None) => Ok(EvaluationWindow::Sliding),
            (None, Some(wall)) => {
                if !WALL_CLOCK_PERIODS.contains(&period) {
                    return Err(RequestError::Invalid(format!(
                        "a WallClockWindow needs a Period of 60, 300, 3600, 86400 or 604800 seconds, not {period}"
                    )));
                }
                // Baton aligns to UTC's boundaries: a calendar week's start, and a time zone's
                // offset and daylight saving, are CloudWatch's to say and not on record here.
                if period == 604_800 {
                    return Err(RequestError::Invalid(
                        "Baton does not align a WallClockWindow to calendar weeks; use a SlidingWindow or a shorter period".into(),
                    ));
                }
                match wall.timezone.as_deref() {
                    None | Some("UTC" | "+00:00" | "UTC+00:00") => Ok(EvaluationWindow::WallClock),
                    Some(zone) => Err(RequestError::Invalid(format!(
                        "Baton aligns a WallClockWindow in UTC only, not in `{zone}`; leave Timezone out or set it to UTC"
                    ))),
                }
            }
            _ => Err(RequestError::Invalid(
                "EvaluationWindow is a union: set exactly one of SlidingWindow or WallClockWindow".into(),
            )),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("the alarm is not a PutMetricAlarm request: {0}")]
    Shape(String),
    #[error("{0}")]
    Invalid(String),
}

impl PutMetricAlarm {
    pub fn from_json(text: &str) -> Result<Self, RequestError> {
        serde_json::from_str(text).map_err(|e| RequestError::Shape(e.to_string()))
    }

    /// The alarm, checked as `PutMetricAlarm` checks it.
    pub fn into_alarm(self) -> Result<Alarm, RequestError> {
        let statistic = match (self.statistic, self.extended_statistic) {
            (Some(s), None) if !matches!(s, Statistic::Percentile(_)) => s,
            (None, Some(p @ Statistic::Percentile(_))) => p,
            _ => {
                return Err(RequestError::Invalid(
                    "give exactly one of Statistic (SampleCount, Sum, Average, Minimum, Maximum) or ExtendedStatistic (pNN)".into(),
                ));
            }
        };
        if !crate::alarm::valid_period(self.period) {
            return Err(RequestError::Invalid(format!(
                "Period {} is not 10, 30 or a multiple of 60 (or 1, 5 for high resolution)",
                self.period
            )));
        }
        if let Some(why) = crate::alarm::range_too_long(self.period, self.evaluation_periods) {
            return Err(RequestError::Invalid(why));
        }
        let m = self.datapoints_to_alarm.unwrap_or(self.evaluation_periods);
        if self.evaluation_periods == 0 || m == 0 || m > self.evaluation_periods {
            return Err(RequestError::Invalid(format!(
                "DatapointsToAlarm ({m}) must be between 1 and EvaluationPeriods ({})",
                self.evaluation_periods
            )));
        }
        let window = match self.evaluation_window {
            Some(member) => member.window(self.period)?,
            None => EvaluationWindow::Sliding,
        };
        Ok(Alarm {
            name: self.alarm_name,
            namespace: self.namespace.unwrap_or_default(),
            metric: self.metric_name,
            dimensions: self.dimensions.into_iter().map(|d| (d.name, d.value)).collect::<BTreeMap<_, _>>(),
            statistic,
            period_secs: self.period,
            threshold: self.threshold,
            comparison: self.comparison_operator,
            evaluation_periods: self.evaluation_periods,
            datapoints_to_alarm: m,
            treat_missing_data: self.treat_missing_data.unwrap_or_default(),
            window,
            low_sample_count: self.evaluate_low_sample_count_percentile.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(period: u64, window: &str) -> Result<Alarm, RequestError> {
        let window = if window.is_empty() {
            String::new()
        } else {
            format!(r#", "EvaluationWindow": {window}"#)
        };
        let text = format!(
            r#"{{"AlarmName": "a", "MetricName": "m", "Statistic": "Sum", "Period": {period}, "EvaluationPeriods": 1,
                "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"{window}}}"#
        );
        PutMetricAlarm::from_json(&text)?.into_alarm()
    }

    fn refused(result: Result<Alarm, RequestError>) -> String {
        result.expect_err("refused").to_string()
    }

    /// The `EvaluationWindow` reference: a union whose default is the sliding window; a wall clock
    /// window takes five periods.
    #[test]
    fn the_evaluation_window_is_read_as_cloudwatch_reads_it() {
        assert_eq!(alarm(300, "").unwrap().window, EvaluationWindow::Sliding);
        assert_eq!(alarm(300, r#"{"SlidingWindow": {}}"#).unwrap().window, EvaluationWindow::Sliding);
        assert_eq!(
            alarm(3600, r#"{"WallClockWindow": {}}"#).unwrap().window,
            EvaluationWindow::WallClock
        );
        assert_eq!(
            alarm(86400, r#"{"WallClockWindow": {"Timezone": "UTC"}}"#).unwrap().window,
            EvaluationWindow::WallClock
        );
        assert!(refused(alarm(120, r#"{"WallClockWindow": {}}"#)).contains("not 120"));
        assert!(refused(alarm(60, r#"{"SlidingWindow": {}, "WallClockWindow": {}}"#)).contains("exactly one"));
        assert!(refused(alarm(60, "{}")).contains("exactly one"));
        assert!(refused(alarm(604800, r#"{"WallClockWindow": {}}"#)).contains("calendar weeks"));
        assert!(refused(alarm(3600, r#"{"WallClockWindow": {"Timezone": "Europe/Paris"}}"#)).contains("UTC only"));
    }
}
