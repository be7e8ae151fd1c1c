//! A metric alarm's state reason, in CloudWatch's words. Recorded on AWS:
//!
//! - "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)]
//!   was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)." and
//!   "… [0.0 (02/10/19 16:59:00)] was not greater than the threshold (50.0) (minimum 1 datapoint
//!   for ALARM -> OK transition)." (the CloudWatch user guide's sample state-change event, kept in
//!   `shared/aws/tests/events/cloudwatch-alarm-state-change.json`);
//! - "Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21
//!   06:44:00), 0.0 (21/12/21 06:42:00)] were not greater than the threshold (0.0) (minimum 3
//!   datapoints for ALARM -> OK transition)." (an alarm notification quoted in a public project):
//!   the count is of the datapoints that carry the transition, newest first, out of the
//!   evaluation periods even where fewer were real, and leaving ALARM takes N − M + 1;
//! - "Insufficient Data: 5 datapoints were unknown." (the Lambda alarm-action sample event);
//! - "5 missing datapoints were treated as \[NonBreaching\] (minimum 7 datapoints for ALARM -> OK
//!   transition)", the end of a reason quoted from an alarm filling gaps, joined to the
//!   sentence before it with "and" (the reasons recorded below);
//! - "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was
//!   treated as \[Breaching\]." and "… as \[NonBreaching\]." (`describe-alarms` output kept in
//!   public projects, 2017 and 2026): an evaluation range with no datapoint at all, its gaps
//!   filled by the missing-data treatment; "no datapoints were received for 8 periods and 8
//!   missing datapoints were treated as \[Breaching\]" over more periods; and "1 datapoint was
//!   received for 3 periods and 2 missing datapoints were treated as \[Breaching\]" (2026) when
//!   the gaps alone decide though a datapoint, not breaching, came: the same sentence, whenever
//!   no datapoint received carries the state. The missing ones are named by how they were
//!   treated, in an OK reason too ("… and 3 missing datapoints were treated as \[Breaching\]",
//!   an alarm in OK, 2026);
//! - "Insufficient Data: 1 datapoint was unknown." (`describe-alarms` output, 2017).
//!
//! Two wordings, by whether the alarm's definition gives `DatapointsToAlarm` ([`ReasonWording`]):
//! with it, "M out of the last N datapoints … (minimum M datapoints for … transition)", as above;
//! without it, "Threshold Crossed: 3 datapoints [2.0 (19/08/26 05:50:00), 3.0 (19/08/26 05:47:00),
//! 1.0 (19/08/26 05:44:00)] were greater than the threshold (0.0)." and "Threshold Crossed: 1
//! datapoint [2.0 (19/08/26 09:36:00)] was not less than or equal to the threshold (0.0) and 7
//! missing datapoints were treated as \[Breaching\]." (`describe-alarm-history` of two alarms
//! whose `describe-alarms` shows no DatapointsToAlarm, quoted in a public project, 2026). An
//! alarm in ALARM "prematurely" (missing data treated as missing) is worded as any other: "1 out
//! of the last 3 datapoints \[0.0 …\] was less than the threshold (minimum 3 datapoints for OK ->
//! ALARM transition)" (an alarm history quoted in a public project, 2026).
//!
//! Up to three datapoints are listed in the sentence; more are counted, and the five most recent
//! listed after it: "Threshold Crossed: 30 out of the last 30 datapoints were greater than the
//! threshold (20.0). The most recent datapoints which crossed the threshold: [60.0 (06/12/24
//! 05:34:00), …, 59.0 (06/12/24 05:30:00)] (minimum 30 datapoints for OK -> ALARM transition)."
//! (an SNS notification, 2024) and "Threshold Crossed: 24 datapoints were greater than the
//! threshold (0.0). The most recent datapoints which crossed the threshold: \[five\]." (`describe-
//! alarms` output, 2024), both quoted in public projects; three are listed inline in every record
//! ("3 out of the last 5 datapoints \[…\]" above), four counted in one ("Threshold Crossed: 4 out
//! of the last 4 datapoints were greater than the threshold", an alert's summary, 2026).
//!
//! Values and the threshold are written as Java writes a double (`50.0`), and a datapoint's time
//! as `dd/MM/yy HH:mm:ss` in UTC.
//!
//! A composite alarm's reason names the child whose transition moved it: "arn:aws:cloudwatch:
//! us-east-1:111122223333:alarm:CompositeDemo.FirstChild transitioned to ALARM at Friday 04
//! August, 2023 12:54:46 UTC" (the user guide's composite alarm sample, "Invoke a Lambda function
//! from an alarm").

use chrono::{DateTime, Utc};

use baton_asl::java_number::double_text;

use crate::alarm::AlarmState;
use crate::model::Alarm;

/// One period's datapoint: its value, whether it breaches, when its period starts, and how many
/// samples it aggregates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Datapoint {
    pub value: f64,
    pub breaching: bool,
    pub start_ms: i64,
    pub samples: usize,
}

/// How CloudWatch words an alarm's threshold reasons, which hangs on whether the alarm's
/// definition gives `DatapointsToAlarm` (see the module's records).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReasonWording {
    /// DatapointsToAlarm given: "2 out of the last 3 datapoints [...] were ... (minimum 2
    /// datapoints for OK -> ALARM transition)." Baton's synthesized alarms always give it.
    #[default]
    OutOfTheLast,
    /// DatapointsToAlarm left to default to EvaluationPeriods: "3 datapoints [...] were ...".
    Counted,
}

/// The evaluation periods that held no datapoint and the missing-data treatment counted: how
/// many, and whether as breaching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gaps {
    pub count: usize,
    pub breaching: bool,
}

impl Gaps {
    /// No period was missing, or the treatment left the missing ones out.
    pub const NONE: Gaps = Gaps {
        count: 0,
        breaching: false,
    };
}

/// Why the alarm is in `state` (ALARM or OK): the datapoints that carry that state (breaching for
/// ALARM, not breaching for OK), out of the `received` ones judged, and the gaps the missing-data
/// treatment counted. When no datapoint received carries the state, the gaps decided it, and the
/// sentence says what was received instead.
pub fn threshold_crossed(alarm: &Alarm, state: AlarmState, counted: &[Datapoint], received: usize, gaps: Gaps) -> String {
    let treated = match gaps.count {
        0 => String::new(),
        n => format!(
            " and {n} missing {} treated as [{}]",
            datapoints_were(n),
            if gaps.breaching { "Breaching" } else { "NonBreaching" }
        ),
    };
    if counted.is_empty() && gaps.count > 0 {
        let periods = received + gaps.count;
        let came = match received {
            0 => "no datapoints were".to_string(),
            k => format!("{k} {}", datapoints_were(k)),
        };
        return format!(
            "Threshold Crossed: {came} received for {periods} {}{treated}.",
            plural(periods, "period")
        );
    }
    let alarming = state == AlarmState::Alarm;
    let not = if alarming { "" } else { "not " };
    match alarm.reason_wording {
        ReasonWording::Counted => format!("{}{treated}.", crossed(alarm, counted, not)),
        ReasonWording::OutOfTheLast => {
            let (minimum, transition) = if alarming {
                (alarm.datapoints_to_alarm, "OK -> ALARM")
            } else {
                (
                    alarm.evaluation_periods.saturating_sub(alarm.datapoints_to_alarm) + 1,
                    "ALARM -> OK",
                )
            };
            format!(
                "{}{treated} (minimum {minimum} {} for {transition} transition).",
                crossed(alarm, counted, not),
                plural(minimum as usize, "datapoint"),
            )
        }
    }
}

/// Why the alarm is OK though every real datapoint breaches: too few of them to reach M.
/// CloudWatch's words for this are not on record, and its OK sentence would list no datapoint,
/// so Baton says it with the ALARM sentence's parts.
pub fn too_few_breaching(alarm: &Alarm, breaching: &[Datapoint]) -> String {
    let m = alarm.datapoints_to_alarm as usize;
    format!(
        "{}, fewer than the minimum {m} {} for OK -> ALARM transition.",
        crossed(alarm, breaching, ""),
        plural(m, "datapoint")
    )
}

/// Why the alarm has too little data: `unknown` periods of the evaluation range held none.
pub fn insufficient_data(unknown: usize) -> String {
    format!("Insufficient Data: {unknown} {} unknown.", datapoints_were(unknown))
}

/// The most datapoints a reason lists inside its first sentence; past this it counts them there
/// and lists the [`MOST_RECENT_LISTED`] newest after it (see the module's records).
const LISTED_INLINE: usize = 3;
const MOST_RECENT_LISTED: usize = 5;

/// "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (…), 3.0 (…)] were [not] greater
/// than the threshold (1.0)", or "… 2 datapoints [5.0 (…), 3.0 (…)] were …" as the alarm words
/// it; past three datapoints, "… 5 datapoints were greater than the threshold (1.0). The most
/// recent datapoints which crossed the threshold: […]".
fn crossed(alarm: &Alarm, counted: &[Datapoint], not: &str) -> String {
    let list = |points: &[Datapoint]| points.iter().map(written).collect::<Vec<_>>().join(", ");
    let k = counted.len();
    let how_many = match alarm.reason_wording {
        ReasonWording::OutOfTheLast => format!("{k} out of the last {} datapoints", alarm.evaluation_periods),
        ReasonWording::Counted => format!("{k} {}", plural(k, "datapoint")),
    };
    let verdict = format!(
        "{} {not}{} the threshold ({})",
        was(k),
        alarm.comparison.phrase(),
        double_text(alarm.threshold)
    );
    if k <= LISTED_INLINE {
        format!("Threshold Crossed: {how_many} [{}] {verdict}", list(counted))
    } else {
        let recent = &counted[..k.min(MOST_RECENT_LISTED)];
        format!(
            "Threshold Crossed: {how_many} {verdict}. The most recent datapoints which crossed the threshold: [{}]",
            list(recent)
        )
    }
}

/// Why a composite alarm is in its state: `child` (its ARN) went to `state` at `at`.
pub fn child_transitioned(child: &str, state: AlarmState, at: DateTime<Utc>) -> String {
    format!("{child} transitioned to {state} at {}", at.format("%A %d %B, %Y %H:%M:%S UTC"))
}

fn written(p: &Datapoint) -> String {
    let at = DateTime::<Utc>::from_timestamp_millis(p.start_ms)
        .map(|t| t.format("%d/%m/%y %H:%M:%S").to_string())
        .unwrap_or_default();
    format!("{} ({at})", double_text(p.value))
}

fn datapoints_were(n: usize) -> String {
    format!("{} {}", plural(n, "datapoint"), was(n))
}

fn was(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { word.to_string() } else { format!("{word}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::{ComparisonOperator, EvaluationWindow, Statistic, TreatMissingData};
    use std::collections::BTreeMap;

    fn alarm(n: u32, m: u32, comparison: ComparisonOperator, threshold: f64) -> Alarm {
        Alarm {
            name: "a".into(),
            namespace: "AWS/EC2".into(),
            metric: "CPUUtilization".into(),
            dimensions: BTreeMap::new(),
            statistic: Statistic::Average,
            period_secs: 60,
            threshold,
            comparison,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing_data: TreatMissingData::Missing,
            window: EvaluationWindow::Sliding,
            low_sample_count: crate::alarm::LowSampleCount::Evaluate,
            reason_wording: ReasonWording::OutOfTheLast,
        }
    }

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis()
    }

    #[test]
    fn the_user_guides_sample_event_reasons() {
        let a = alarm(1, 1, ComparisonOperator::GreaterThanThreshold, 50.0);
        let start_ms = at("2019-10-02T16:59:00Z");
        let high = Datapoint {
            value: 99.50160229693434,
            breaching: true,
            start_ms,
            samples: 1,
        };
        assert_eq!(
            threshold_crossed(&a, AlarmState::Alarm, &[high], 1, Gaps::NONE),
            "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."
        );
        let low = Datapoint {
            value: 0.0,
            breaching: false,
            start_ms,
            samples: 1,
        };
        assert_eq!(
            threshold_crossed(&a, AlarmState::Ok, &[low], 1, Gaps::NONE),
            "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (02/10/19 16:59:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition)."
        );
    }

    #[test]
    fn an_ok_out_of_fewer_real_datapoints_than_periods() {
        let a = alarm(5, 3, ComparisonOperator::GreaterThanThreshold, 0.0);
        let zero = |t| Datapoint {
            value: 0.0,
            breaching: false,
            start_ms: at(t),
            samples: 1,
        };
        let counted = [
            zero("2021-12-21T06:45:00Z"),
            zero("2021-12-21T06:44:00Z"),
            zero("2021-12-21T06:42:00Z"),
        ];
        assert_eq!(
            threshold_crossed(&a, AlarmState::Ok, &counted, 3, Gaps::NONE),
            "Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21 06:44:00), 0.0 (21/12/21 06:42:00)] were not greater than the threshold (0.0) (minimum 3 datapoints for ALARM -> OK transition)."
        );
    }

    #[test]
    fn filled_gaps_and_unknown_periods() {
        let a = alarm(8, 2, ComparisonOperator::GreaterThanThreshold, 7200.0);
        let low = Datapoint {
            value: 0.0,
            breaching: false,
            start_ms: at("2021-12-21T06:45:00Z"),
            samples: 1,
        };
        let gaps = Gaps {
            count: 5,
            breaching: false,
        };
        let reason = threshold_crossed(&a, AlarmState::Ok, &[low; 3], 3, gaps);
        assert!(
            reason.ends_with("and 5 missing datapoints were treated as [NonBreaching] (minimum 7 datapoints for ALARM -> OK transition)."),
            "{reason}"
        );
        assert_eq!(insufficient_data(5), "Insufficient Data: 5 datapoints were unknown.");
        assert_eq!(insufficient_data(1), "Insufficient Data: 1 datapoint was unknown.");
    }

    /// An alarm whose definition leaves DatapointsToAlarm out, as CloudWatch words its reasons:
    /// the `describe-alarm-history` of two such alarms quoted in a public project (2026-08-19;
    /// their `describe-alarms` showing no DatapointsToAlarm), to the character.
    #[test]
    fn without_datapoints_to_alarm_the_reason_counts_the_datapoints() {
        let point = |value, t| Datapoint {
            value,
            breaching: value > 0.0,
            start_ms: at(t),
            samples: 1,
        };
        let counted = |mut a: Alarm| {
            a.reason_wording = ReasonWording::Counted;
            a
        };
        let errors = counted(alarm(3, 3, ComparisonOperator::GreaterThanThreshold, 0.0));
        let three = [
            point(2.0, "2026-08-19T05:50:00Z"),
            point(3.0, "2026-08-19T05:47:00Z"),
            point(1.0, "2026-08-19T05:44:00Z"),
        ];
        assert_eq!(
            threshold_crossed(&errors, AlarmState::Alarm, &three, 3, Gaps::NONE),
            "Threshold Crossed: 3 datapoints [2.0 (19/08/26 05:50:00), 3.0 (19/08/26 05:47:00), 1.0 (19/08/26 05:44:00)] were greater than the threshold (0.0)."
        );
        assert_eq!(
            threshold_crossed(&errors, AlarmState::Ok, &[point(0.0, "2026-08-19T09:48:00Z")], 3, Gaps::NONE),
            "Threshold Crossed: 1 datapoint [0.0 (19/08/26 09:48:00)] was not greater than the threshold (0.0)."
        );
        let stale = counted(alarm(8, 8, ComparisonOperator::LessThanOrEqualToThreshold, 0.0));
        let gaps = Gaps { count: 7, breaching: true };
        assert_eq!(
            threshold_crossed(&stale, AlarmState::Ok, &[point(2.0, "2026-08-19T09:36:00Z")], 1, gaps),
            "Threshold Crossed: 1 datapoint [2.0 (19/08/26 09:36:00)] was not less than or equal to the threshold (0.0) and 7 missing datapoints were treated as [Breaching]."
        );
    }

    /// Past three datapoints the reason counts them and lists the five newest after its first
    /// sentence: an SNS notification (2024, DatapointsToAlarm given) and `describe-alarms` output
    /// (2024, counted), quoted in public projects, to the character.
    #[test]
    fn past_three_datapoints_the_five_newest_are_listed_after_the_count() {
        let minute = |m: i64, value| Datapoint {
            value,
            breaching: true,
            start_ms: at("2024-12-06T05:34:00Z") - m * 60_000,
            samples: 1,
        };
        let thirty: Vec<Datapoint> = (0..30).map(|m| minute(m, if m < 2 { 60.0 } else { 59.0 })).collect();
        let a = alarm(30, 30, ComparisonOperator::GreaterThanThreshold, 20.0);
        assert_eq!(
            threshold_crossed(&a, AlarmState::Alarm, &thirty, 30, Gaps::NONE),
            "Threshold Crossed: 30 out of the last 30 datapoints were greater than the threshold (20.0). The most recent datapoints which crossed the threshold: [60.0 (06/12/24 05:34:00), 60.0 (06/12/24 05:33:00), 59.0 (06/12/24 05:32:00), 59.0 (06/12/24 05:31:00), 59.0 (06/12/24 05:30:00)] (minimum 30 datapoints for OK -> ALARM transition)."
        );
        let one = |m: i64| Datapoint {
            value: 1.0,
            breaching: true,
            start_ms: at("2024-12-19T08:33:00Z") - m * 60_000,
            samples: 1,
        };
        let mut counted = alarm(24, 24, ComparisonOperator::GreaterThanThreshold, 0.0);
        counted.reason_wording = ReasonWording::Counted;
        let twenty_four: Vec<Datapoint> = (0..24).map(one).collect();
        assert_eq!(
            threshold_crossed(&counted, AlarmState::Alarm, &twenty_four, 24, Gaps::NONE),
            "Threshold Crossed: 24 datapoints were greater than the threshold (0.0). The most recent datapoints which crossed the threshold: [1.0 (19/12/24 08:33:00), 1.0 (19/12/24 08:32:00), 1.0 (19/12/24 08:31:00), 1.0 (19/12/24 08:30:00), 1.0 (19/12/24 08:29:00)]."
        );
        let four = threshold_crossed(&a, AlarmState::Alarm, &thirty[..4], 4, Gaps::NONE);
        assert!(
            four.starts_with("Threshold Crossed: 4 out of the last 30 datapoints were greater than the threshold"),
            "{four}"
        );
    }

    /// The user guide's composite alarm sample, to the character.
    #[test]
    fn a_composite_names_the_child_that_moved_it() {
        let at = DateTime::parse_from_rfc3339("2023-08-04T12:54:46.138Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            child_transitioned(
                "arn:aws:cloudwatch:us-east-1:111122223333:alarm:CompositeDemo.FirstChild",
                AlarmState::Alarm,
                at
            ),
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:CompositeDemo.FirstChild transitioned to ALARM at Friday 04 August, 2023 12:54:46 UTC"
        );
    }
}
