//! Alarms in the shape of CloudWatch's `PutMetricAlarm` request, for users who bring their own
//! alarm definitions (`baton alarm evaluate`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::alarm::reason::ReasonWording;
use crate::alarm::{ComparisonOperator, EvaluationWindow, LowSampleCount, Statistic, TreatMissingData};
use crate::model::Alarm;

/// Unknown members are refused, as CloudWatch refuses them: a misspelt `Treshold` must not
/// silently become a default. A `MetricAlarm` as `describe-alarms` prints it reads too: its
/// read-only members (`AlarmArn`, `StateValue`, …) are accepted and unused. Metric math
/// (`Metrics`), anomaly bands (`ThresholdMetricId`) and PromQL (`EvaluationCriteria`,
/// `EvaluationInterval`) are not evaluated, so they are refused in words.
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
    pub unit: Option<StandardUnit>,
    #[serde(default)]
    pub evaluate_low_sample_count_percentile: Option<LowSampleCount>,
    #[serde(default)]
    pub tags: Vec<serde_json::Value>,
    #[serde(default)]
    pub evaluation_window: Option<WindowMember>,
    /// Notifications only.
    #[serde(default)]
    pub action_configuration: Option<IgnoredAny>,
    /// Accepted, not replayed: `unreplayed` says so.
    #[serde(default)]
    pub warm_up_configuration: Option<IgnoredAny>,
    #[serde(default)]
    pub metrics: Option<IgnoredAny>,
    #[serde(default)]
    pub threshold_metric_id: Option<IgnoredAny>,
    #[serde(default)]
    pub evaluation_criteria: Option<IgnoredAny>,
    #[serde(default)]
    pub evaluation_interval: Option<IgnoredAny>,
    /// `MetricAlarm`'s read-only members.
    #[serde(default)]
    pub alarm_arn: Option<IgnoredAny>,
    #[serde(default)]
    pub alarm_configuration_updated_timestamp: Option<IgnoredAny>,
    #[serde(default)]
    pub state_value: Option<IgnoredAny>,
    #[serde(default)]
    pub state_reason: Option<IgnoredAny>,
    #[serde(default)]
    pub state_reason_data: Option<IgnoredAny>,
    #[serde(default)]
    pub state_updated_timestamp: Option<IgnoredAny>,
    #[serde(default)]
    pub state_transitioned_timestamp: Option<IgnoredAny>,
    #[serde(default)]
    pub evaluation_state: Option<IgnoredAny>,
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

/// A `WallClockWindow`'s `Timezone` as seconds east of UTC: `UTC`, or a fixed offset written
/// `+05:30` or `UTC+05:30`, "aligned to a multiple of 5 minutes" (the `WallClockWindow`
/// reference, which bounds the text to 1-50 characters). Java's `ZoneOffset` bounds an offset
/// to ±18:00. Named zones (`America/New_York`) are refused: the days their daylight saving
/// lengthens or shortens are not on record.
fn utc_offset(zone: &str) -> Result<i32, RequestError> {
    let invalid = |why: String| Err(RequestError::Invalid(why));
    if zone.is_empty() || zone.chars().count() > 50 {
        return invalid(format!("Timezone must be 1 to 50 characters, not {}", zone.chars().count()));
    }
    if zone == "UTC" {
        return Ok(0);
    }
    match fixed_offset(zone.strip_prefix("UTC").unwrap_or(zone)) {
        None => invalid(format!(
            "Baton aligns a WallClockWindow to UTC or a fixed offset (`+05:30`, `UTC-08:00`), not to `{zone}`: a named zone's daylight-saving days are not on record; give its offset"
        )),
        Some(secs) if secs.abs() > 18 * 3600 => invalid(format!("Timezone `{zone}` is past ±18:00 from UTC")),
        Some(secs) if secs % 300 != 0 => invalid(format!("Timezone `{zone}` must be a multiple of 5 minutes from UTC")),
        Some(secs) => Ok(secs),
    }
}

/// `+05:30` or `-08:00` as seconds east of UTC: a sign, two digits of hours, two of minutes.
fn fixed_offset(text: &str) -> Option<i32> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = text[1..].split_once(':')?;
    let two_digits = |t: &str| match t.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some(i32::from(a - b'0') * 10 + i32::from(b - b'0')),
        _ => None,
    };
    let (h, m) = (two_digits(h)?, two_digits(m)?);
    (m < 60).then_some(sign * (h * 3600 + m * 60))
}

impl WindowMember {
    fn window(self, period: u64) -> Result<EvaluationWindow, RequestError> {
        match (self.sliding_window, self.wall_clock_window) {
            (Some(_), None) => Ok(EvaluationWindow::Sliding),
            (None, Some(wall)) => {
                if !WALL_CLOCK_PERIODS.contains(&period) {
                    let [first @ .., last] = WALL_CLOCK_PERIODS.map(|p| p.to_string());
                    return Err(RequestError::Invalid(format!(
                        "a WallClockWindow needs a Period of {} or {last} seconds, not {period}",
                        first.join(", ")
                    )));
                }
                // A calendar week's start, and a named zone's daylight-saving days, are
                // CloudWatch's to say and not on record here.
                if period == 604_800 {
                    return Err(RequestError::Invalid(
                        "Baton does not align a WallClockWindow to calendar weeks; use a SlidingWindow or a shorter period".into(),
                    ));
                }
                let utc_offset_secs = match wall.timezone.as_deref() {
                    None => 0,
                    Some(zone) => utc_offset(zone)?,
                };
                Ok(EvaluationWindow::WallClock { utc_offset_secs })
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

/// `StandardUnit`, the units PutMetricAlarm's `Unit` takes (its reference's valid values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum StandardUnit {
    Seconds,
    Microseconds,
    Milliseconds,
    Bytes,
    Kilobytes,
    Megabytes,
    Gigabytes,
    Terabytes,
    Bits,
    Kilobits,
    Megabits,
    Gigabits,
    Terabits,
    Percent,
    Count,
    #[serde(rename = "Bytes/Second")]
    BytesPerSecond,
    #[serde(rename = "Kilobytes/Second")]
    KilobytesPerSecond,
    #[serde(rename = "Megabytes/Second")]
    MegabytesPerSecond,
    #[serde(rename = "Gigabytes/Second")]
    GigabytesPerSecond,
    #[serde(rename = "Terabytes/Second")]
    TerabytesPerSecond,
    #[serde(rename = "Bits/Second")]
    BitsPerSecond,
    #[serde(rename = "Kilobits/Second")]
    KilobitsPerSecond,
    #[serde(rename = "Megabits/Second")]
    MegabitsPerSecond,
    #[serde(rename = "Gigabits/Second")]
    GigabitsPerSecond,
    #[serde(rename = "Terabits/Second")]
    TerabitsPerSecond,
    #[serde(rename = "Count/Second")]
    CountPerSecond,
    None,
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

    /// What the alarm asks for that a replay does not do, each in a sentence.
    pub fn unreplayed(&self) -> Vec<&'static str> {
        let mut said = Vec::new();
        if self.warm_up_configuration.is_some() {
            said.push("WarmUpConfiguration is not replayed: the evaluations run as if the alarm's warm-up period had ended");
        }
        if self.unit.is_some() {
            // CloudWatch evaluates only datapoints published with the alarm's unit; a datapoints
            // file carries none, so a wrong unit (an alarm stuck in INSUFFICIENT_DATA) cannot show.
            said.push("Unit is not checked: the datapoints file gives no units, so every datapoint counts");
        }
        said
    }

    /// Names and dimensions within PutMetricAlarm's lengths.
    fn check_lengths(&self) -> Result<(), RequestError> {
        let dimensions: Vec<(&str, &str)> = self.dimensions.iter().map(|d| (d.name.as_str(), d.value.as_str())).collect();
        let why = crate::alarm::out_of_length("AlarmName", &self.alarm_name, crate::alarm::MAX_NAME)
            .or_else(|| crate::alarm::metric_out_of_bounds(self.namespace.as_deref(), &self.metric_name, &dimensions));
        why.map_or(Ok(()), |why| Err(RequestError::Invalid(why)))
    }

    /// The alarm, checked as `PutMetricAlarm` checks it.
    pub fn into_alarm(self) -> Result<Alarm, RequestError> {
        for (member, present, what) in [
            ("Metrics", self.metrics.is_some(), "metric math"),
            ("ThresholdMetricId", self.threshold_metric_id.is_some(), "an anomaly detection band"),
            ("EvaluationCriteria", self.evaluation_criteria.is_some(), "a PromQL query"),
            (
                "EvaluationInterval",
                self.evaluation_interval.is_some(),
                "a PromQL query's interval",
            ),
        ] {
            if present {
                return Err(RequestError::Invalid(format!(
                    "{member} ({what}) is not evaluated by Baton: it replays alarms on one metric (MetricName)"
                )));
            }
        }
        let statistic = match (self.statistic, self.extended_statistic) {
            (Some(s), None) if !s.is_extended() => s,
            (None, Some(e)) if e.is_extended() => e,
            _ => {
                return Err(RequestError::Invalid(
                    "give exactly one of Statistic (SampleCount, Sum, Average, Minimum, Maximum) or ExtendedStatistic (p99, tm99, IQM, PR(:300), …)".into(),
                ));
            }
        };
        if let Some(why) = statistic.alarm_refusal() {
            return Err(RequestError::Invalid(why));
        }
        self.check_lengths()?;
        if !crate::alarm::valid_aws_period(self.period) {
            return Err(RequestError::Invalid(format!(
                "Period {} is not 10, 20, 30 or a multiple of 60, the periods PutMetricAlarm takes",
                self.period
            )));
        }
        if let Some(why) = crate::alarm::range_too_long(self.period, self.evaluation_periods) {
            return Err(RequestError::Invalid(why));
        }
        if self.evaluation_periods == 0 {
            return Err(RequestError::Invalid("EvaluationPeriods must be at least 1".into()));
        }
        let m = self.datapoints_to_alarm.unwrap_or(self.evaluation_periods);
        if m == 0 || m > self.evaluation_periods {
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
            reason_wording: match self.datapoints_to_alarm {
                Some(_) => ReasonWording::OutOfTheLast,
                None => ReasonWording::Counted,
            },
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

    /// An alarm as `aws cloudwatch describe-alarms` prints it (the `MetricAlarm` members of the
    /// DescribeAlarms reference) replays as it is; what a replay cannot do is refused or said.
    #[test]
    fn a_described_alarm_reads_as_its_request() {
        let described = r#"{"AlarmName": "ServerCpuTooHigh",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh",
            "AlarmConfigurationUpdatedTimestamp": "2019-10-02T17:00:00.000Z", "ActionsEnabled": true,
            "OKActions": [], "AlarmActions": [], "InsufficientDataActions": [], "StateValue": "OK",
            "StateReason": "Threshold Crossed: …", "StateReasonData": "{}",
            "StateUpdatedTimestamp": "2019-10-02T17:04:40.000Z", "StateTransitionedTimestamp": "2019-10-02T17:04:40.000Z",
            "MetricName": "CPUUtilization", "Namespace": "AWS/EC2", "Statistic": "Average",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-12345678901234567"}], "Period": 300,
            "EvaluationPeriods": 1, "Threshold": 50.0, "ComparisonOperator": "GreaterThanThreshold",
            "EvaluationState": "PARTIAL_DATA", "ActionConfiguration": {}"#;
        let request = PutMetricAlarm::from_json(&format!("{described}}}")).expect("read");
        assert!(request.unreplayed().is_empty());
        assert_eq!(request.into_alarm().expect("an alarm").metric, "CPUUtilization");
        let warm = PutMetricAlarm::from_json(&format!(
            r#"{described}, "WarmUpConfiguration": {{"WarmUpPeriodDurationInMinutes": 10}}}}"#
        ))
        .expect("read");
        assert!(warm.unreplayed()[0].starts_with("WarmUpConfiguration is not replayed"));
        let math = PutMetricAlarm::from_json(&format!(r#"{described}, "Metrics": []}}"#)).expect("read");
        assert!(refused(math.into_alarm()).contains("Metrics (metric math) is not evaluated"));
    }

    /// PutMetricAlarm's `ExtendedStatistic` reference: the percentiles, the trimmed statistics in
    /// their short forms and upper-case ones from 10% to 90%, IQM and PR(n:m) — and never in the
    /// `Statistic` member.
    #[test]
    fn an_extended_statistic_is_one_put_metric_alarm_takes() {
        let with = |member: &str, statistic: &str| {
            let text = format!(
                r#"{{"AlarmName": "a", "MetricName": "m", "{member}": "{statistic}", "Period": 60, "EvaluationPeriods": 1,
                    "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}}"#
            );
            PutMetricAlarm::from_json(&text)?.into_alarm()
        };
        for statistic in ["p99", "tm99", "wm90", "tc90", "ts90", "IQM", "PR(:300)", "TM(10%:90%)"] {
            let alarm = with("ExtendedStatistic", statistic).unwrap_or_else(|e| panic!("{statistic}: {e}"));
            assert_eq!(alarm.statistic.to_string(), statistic);
        }
        assert!(refused(with("ExtendedStatistic", "TM(150:1000)")).contains("bounds in percent"));
        assert!(refused(with("ExtendedStatistic", "TM(5%:95%)")).contains("from 10% to 90%"));
        assert!(refused(with("Statistic", "tm99")).contains("give exactly one of Statistic"));
        assert!(refused(with("ExtendedStatistic", "Sum")).contains("give exactly one of Statistic"));
    }

    /// PutMetricAlarm's reference: `Unit` one of `StandardUnit`'s values, names of 1 to 255
    /// characters, at most 30 dimensions, at least one evaluation period.
    #[test]
    fn members_are_bounded_as_put_metric_alarm_bounds_them() {
        let with = |members: &str| {
            PutMetricAlarm::from_json(&format!(
                r#"{{"MetricName": "m", "Statistic": "Sum", "Period": 60, "Threshold": 1,
                    "ComparisonOperator": "GreaterThanThreshold", {members}}}"#
            ))
        };
        let request = with(r#""AlarmName": "a", "EvaluationPeriods": 1, "Unit": "Bytes/Second""#).expect("a unit");
        assert_eq!(request.unit, Some(StandardUnit::BytesPerSecond));
        assert!(request.unreplayed().iter().any(|n| n.starts_with("Unit is not checked")));
        let e = with(r#""AlarmName": "a", "EvaluationPeriods": 1, "Unit": "Parsecs""#).unwrap_err();
        assert!(e.to_string().contains("unknown variant `Parsecs`"), "{e}");

        let refusal = |members: &str| refused(with(members).expect("read").into_alarm());
        assert!(refusal(r#""AlarmName": "", "EvaluationPeriods": 1"#).contains("AlarmName must be 1 to 255 characters, not 0"));
        let long = "x".repeat(256);
        assert!(refusal(&format!(r#""AlarmName": "{long}", "EvaluationPeriods": 1"#)).contains("not 256"));
        let dimensions: Vec<String> = (0..31).map(|i| format!(r#"{{"Name": "d{i}", "Value": "v"}}"#)).collect();
        let many = format!(
            r#""AlarmName": "a", "EvaluationPeriods": 1, "Dimensions": [{}]"#,
            dimensions.join(",")
        );
        assert!(refusal(&many).contains("31 Dimensions: an alarm takes at most 30"));
        assert_eq!(
            refusal(r#""AlarmName": "a", "EvaluationPeriods": 0"#),
            "EvaluationPeriods must be at least 1"
        );
    }

    /// PutMetricAlarm's `Period` reference: "Valid values are 10, 20, 30, and any multiple of 60"
    /// — 20 s among them, and not the 1 and 5 s a metric's data can have.
    #[test]
    fn a_period_is_one_put_metric_alarm_takes() {
        for period in [10, 20, 30, 60, 300, 3600] {
            assert_eq!(alarm(period, "").map(|a| a.period_secs).ok(), Some(period), "{period}");
        }
        for period in [1, 5, 15, 45, 90] {
            assert!(
                refused(alarm(period, "")).contains("not 10, 20, 30 or a multiple of 60"),
                "{period}"
            );
        }
    }

    /// The `EvaluationWindow` reference: a union whose default is the sliding window; a wall clock
    /// window takes five periods.
    #[test]
    fn the_evaluation_window_is_read_as_cloudwatch_reads_it() {
        assert_eq!(alarm(300, "").unwrap().window, EvaluationWindow::Sliding);
        assert_eq!(alarm(300, r#"{"SlidingWindow": {}}"#).unwrap().window, EvaluationWindow::Sliding);
        let wall = |utc_offset_secs| EvaluationWindow::WallClock { utc_offset_secs };
        assert_eq!(alarm(3600, r#"{"WallClockWindow": {}}"#).unwrap().window, wall(0));
        assert_eq!(alarm(86400, r#"{"WallClockWindow": {"Timezone": "UTC"}}"#).unwrap().window, wall(0));
        assert!(refused(alarm(120, r#"{"WallClockWindow": {}}"#)).contains("not 120"));
        assert!(refused(alarm(60, r#"{"SlidingWindow": {}, "WallClockWindow": {}}"#)).contains("exactly one"));
        assert!(refused(alarm(60, "{}")).contains("exactly one"));
        assert!(refused(alarm(604800, r#"{"WallClockWindow": {}}"#)).contains("calendar weeks"));
    }

    /// `WallClockWindow`'s `Timezone`: "a fixed UTC offset (for example, +05:30), or an
    /// offset-prefixed identifier (for example, UTC+05:30). The offset must be aligned to a
    /// multiple of 5 minutes"; 1-50 characters. Named zones stay refused (see `utc_offset`).
    #[test]
    fn a_wall_clock_window_takes_a_fixed_offset() {
        let zone = |z: &str| alarm(3600, &format!(r#"{{"WallClockWindow": {{"Timezone": "{z}"}}}}"#));
        let offset = |z: &str| match zone(z).unwrap().window {
            EvaluationWindow::WallClock { utc_offset_secs } => utc_offset_secs,
            EvaluationWindow::Sliding => panic!("a wall clock window"),
        };
        assert_eq!(offset("+05:30"), 19_800);
        assert_eq!(offset("UTC+05:30"), 19_800);
        assert_eq!(offset("-08:00"), -28_800);
        assert_eq!(offset("UTC-03:45"), -13_500);
        assert!(refused(zone("+05:31")).contains("multiple of 5 minutes"));
        assert!(refused(zone("+19:00")).contains("18:00"));
        assert!(refused(zone("")).contains("1 to 50"));
        for named in ["Europe/Paris", "America/New_York", "+5:30", "0530", "UTC+"] {
            assert!(refused(zone(named)).contains("fixed offset"), "{named}");
        }
    }

    /// Whether the request gives DatapointsToAlarm decides how the replay words its reasons, as
    /// CloudWatch does (`reason::ReasonWording`).
    #[test]
    fn datapoints_to_alarm_given_or_left_out_picks_the_wording() {
        assert_eq!(alarm(60, "").unwrap().reason_wording, ReasonWording::Counted);
        let given = r#"{"AlarmName": "a", "MetricName": "m", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"}"#;
        let given = PutMetricAlarm::from_json(given).unwrap().into_alarm().unwrap();
        assert_eq!(given.reason_wording, ReasonWording::OutOfTheLast);
    }
}
