//! Alarms in the shape of CloudWatch's `PutMetricAlarm` request, for users who bring their own
//! alarm definitions (`baton alarm evaluate`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::alarm::{ComparisonOperator, Statistic, TreatMissingData};
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
    pub evaluate_low_sample_count_percentile: Option<String>,
    #[serde(default)]
    pub tags: Vec<serde_json::Value>,
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
        })
    }
}
