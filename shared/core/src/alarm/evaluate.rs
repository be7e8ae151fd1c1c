//! A metric alarm's state, decided as CloudWatch decides it (CloudWatch user guide, "How alarm
//! state is evaluated when data is missing" and "Avoiding premature transitions to alarm state"):
//!
//! 1. Look at the *evaluation range*: more recent complete periods than `EvaluationPeriods` (N).
//! 2. With at least N real datapoints in the range, judge the most recent N real ones; missing
//!    periods and `TreatMissingData` do not matter.
//! 3. With fewer, fill the shortfall with the missing-data treatment (`breaching`,
//!    `notBreaching`); `missing` and `ignore` judge the real points alone — all missing is
//!    INSUFFICIENT_DATA (`missing`) or the current state (`ignore`) — and, with fewer real points
//!    than `DatapointsToAlarm` (M), go to ALARM when the oldest breaching point among the last N
//!    periods is at least M periods old and nothing newer is a good datapoint (`ignore` keeps its
//!    state instead).
//!
//! ALARM when at least M of the judged datapoints breach, OK otherwise.

use crate::alarm::{AlarmState, TreatMissingData};
use crate::model::Alarm;

/// The verdict of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub state: AlarmState,
    pub reason: String,
}

/// How many periods the evaluation range holds. The user guide's example uses 5 for an alarm of
/// 3 evaluation periods and says the number depends on the period; Baton uses N + 2, at least 5.
pub fn evaluation_range(evaluation_periods: u32) -> u32 {
    evaluation_periods.saturating_add(2).max(5)
}

/// Each period of the evaluation range, newest first: `Some(breaching)` or `None` if missing.
pub fn period_verdicts(alarm: &Alarm, datapoints: &[(i64, f64)], now_ms: i64) -> Vec<Option<(f64, bool)>> {
    let period = i64::try_from(alarm.period_secs).unwrap_or(60).max(1) * 1000;
    let end = now_ms.div_euclid(period) * period;
    (0..i64::from(evaluation_range(alarm.evaluation_periods)))
        .map(|k| {
            let (from, to) = (end - (k + 1) * period, end - k * period);
            let values: Vec<f64> = datapoints.iter().filter(|(t, _)| *t >= from && *t < to).map(|(_, v)| *v).collect();
            alarm
                .statistic
                .aggregate(&values)
                .map(|v| (v, alarm.comparison.breaches(v, alarm.threshold)))
        })
        .collect()
}

/// Evaluates an alarm at `now_ms` from its datapoints (timestamp ms, value).
pub fn evaluate(alarm: &Alarm, datapoints: &[(i64, f64)], now_ms: i64, current: AlarmState) -> Evaluation {
    decide(alarm, &period_verdicts(alarm, datapoints, now_ms), current)
}

/// The decision itself, from period verdicts (newest first).
pub fn decide(alarm: &Alarm, periods: &[Option<(f64, bool)>], current: AlarmState) -> Evaluation {
    let n = alarm.evaluation_periods as usize;
    let m = alarm.datapoints_to_alarm as usize;
    let real: Vec<(usize, f64, bool)> = periods
        .iter()
        .enumerate()
        .filter_map(|(age, p)| p.map(|(v, b)| (age + 1, v, b)))
        .collect();
    let op = alarm.comparison.phrase();
    let threshold = alarm.threshold;
    let verdict = |breaches: usize, judged: usize, values: &[f64]| {
        let listed = values.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(", ");
        let reason = format!(
            "Threshold Crossed: {breaches} out of the last {judged} datapoints [{listed}] were {op} the threshold ({threshold}) (minimum {m} datapoints for OK -> ALARM transition)."
        );
        Evaluation {
            state: if breaches >= m { AlarmState::Alarm } else { AlarmState::Ok },
            reason,
        }
    };
    if real.len() >= n {
        let judged = &real[..n];
        let values: Vec<f64> = judged.iter().map(|(_, v, _)| *v).collect();
        return verdict(judged.iter().filter(|p| p.2).count(), n, &values);
    }
    let values: Vec<f64> = real.iter().map(|(_, v, _)| *v).collect();
    let real_breaches = real.iter().filter(|p| p.2).count();
    let fill = n - real.len();
    match alarm.treat_missing_data {
        TreatMissingData::Breaching => verdict(real_breaches + fill, n, &values),
        TreatMissingData::NotBreaching => verdict(real_breaches, n, &values),
        TreatMissingData::Missing | TreatMissingData::Ignore => {
            let ignore = alarm.treat_missing_data == TreatMissingData::Ignore;
            if real.is_empty() {
                return if ignore {
                    Evaluation {
                        state: current,
                        reason: "No datapoints in the evaluation range; missing data is ignored, so the state is kept.".into(),
                    }
                } else {
                    Evaluation {
                        state: AlarmState::InsufficientData,
                        reason: format!(
                            "Insufficient Data: no datapoints were received in the last {} periods.",
                            periods.len()
                        ),
                    }
                };
            }
            if real.len() >= m {
                return verdict(real_breaches, real.len(), &values);
            }
            // Ignored missing data and too few points, all breaching: nothing says the alarm's
            // condition has ended, so it keeps its state (the guide's IGNORE column: "- - X - -"
            // and "- - - X -" retain; "- - - - 0", a point below the threshold, is OK). An alarm
            // in ALARM must not fall to OK on gaps alone: that would silence a rollback.
            if ignore && real_breaches == real.len() {
                return Evaluation {
                    state: current,
                    reason: "Too few datapoints to decide, all of them breaching; missing data is ignored, so the state is kept.".into(),
                };
            }
            // Premature alarm: the oldest breaching point among the last N periods is at least
            // M periods old, and every newer period is breaching or missing.
            let in_window: Vec<&(usize, f64, bool)> = real.iter().filter(|(age, ..)| *age <= n).collect();
            let oldest_breach = in_window.iter().filter(|p| p.2).map(|p| p.0).max();
            let premature = oldest_breach.is_some_and(|age| age >= m && in_window.iter().filter(|p| p.0 < age).all(|p| p.2));
            match (premature, ignore) {
                (true, false) => Evaluation {
                    state: AlarmState::Alarm,
                    reason: format!(
                        "Threshold Crossed: the oldest breaching datapoint in the last {n} periods is at least {m} periods old and no newer datapoint is below the threshold."
                    ),
                },
                (true, true) => Evaluation {
                    state: current,
                    reason: "Too few datapoints to decide; missing data is ignored, so the state is kept.".into(),
                },
                (false, _) => verdict(real_breaches, real.len(), &values),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::{ComparisonOperator, Statistic};
    use std::collections::BTreeMap;

    fn alarm(n: u32, m: u32, treat: TreatMissingData) -> Alarm {
        Alarm {
            name: "a".into(),
            namespace: "Baton".into(),
            metric: "Errors".into(),
            dimensions: BTreeMap::new(),
            statistic: Statistic::Sum,
            period_secs: 300,
            threshold: 1.0,
            comparison: ComparisonOperator::GreaterThanOrEqualToThreshold,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing_data: treat,
        }
    }

    /// `"0 - X - X"`, oldest first as the user guide writes it → periods newest first.
    fn row(text: &str) -> Vec<Option<(f64, bool)>> {
        text.split_whitespace()
            .rev()
            .map(|c| match c {
                "X" => Some((5.0, true)),
                "0" => Some((0.0, false)),
                _ => None,
            })
            .collect()
    }

    const RETAIN: &str = "retain";

    /// The user guide's tables: datapoints, then MISSING, IGNORE, BREACHING, NOT BREACHING.
    fn check(n: u32, m: u32, table: &[(&str, [&str; 4])]) {
        let treatments = [
            TreatMissingData::Missing,
            TreatMissingData::Ignore,
            TreatMissingData::Breaching,
            TreatMissingData::NotBreaching,
        ];
        for (points, expected) in table {
            for (treat, want) in treatments.iter().zip(expected) {
                // Start from a state no rule yields here, to see "retain current state".
                let current = AlarmState::InsufficientData;
                let got = decide(&alarm(n, m, *treat), &row(points), current).state;
                let want = match *want {
                    RETAIN => current,
                    "OK" => AlarmState::Ok,
                    "ALARM" => AlarmState::Alarm,
                    _ => AlarmState::InsufficientData,
                };
                assert_eq!(got, want, "{points} with {treat:?} (M={m}, N={n})");
            }
        }
    }

    #[test]
    fn user_guide_table_3_of_3() {
        check(
            3,
            3,
            &[
                ("0 - X - X", ["OK", "OK", "OK", "OK"]),
                ("0 - - - -", ["OK", "OK", "OK", "OK"]),
                ("- - - - -", ["INSUFFICIENT_DATA", RETAIN, "ALARM", "OK"]),
                ("0 X X - X", ["ALARM", "ALARM", "ALARM", "ALARM"]),
                ("- - X - -", ["ALARM", RETAIN, "ALARM", "OK"]),
            ],
        );
    }

    #[test]
    fn user_guide_table_2_of_3() {
        check(
            3,
            2,
            &[
                ("0 - X - X", ["ALARM", "ALARM", "ALARM", "ALARM"]),
                ("0 0 X 0 X", ["ALARM", "ALARM", "ALARM", "ALARM"]),
                ("0 - X - -", ["OK", "OK", "ALARM", "OK"]),
                ("- - - - 0", ["OK", "OK", "ALARM", "OK"]),
                ("- - - X -", ["ALARM", RETAIN, "ALARM", "OK"]),
            ],
        );
    }

    /// Issue 19's case: an alarm in ALARM, missing data ignored, whose range now holds one
    /// breaching point and gaps — fewer than M — keeps ALARM (it went to OK).
    #[test]
    fn ignored_gaps_never_move_an_alarm_to_ok() {
        for points in ["- - - X -", "- X - X -", "- - - - X"] {
            let got = decide(&alarm(3, 3, TreatMissingData::Ignore), &row(points), AlarmState::Alarm).state;
            assert_eq!(got, AlarmState::Alarm, "{points}");
        }
        // A point below the threshold is evidence: OK, as the guide's "- - - - 0" row.
        let got = decide(&alarm(3, 3, TreatMissingData::Ignore), &row("- - - X 0"), AlarmState::Alarm).state;
        assert_eq!(got, AlarmState::Ok);
    }

    #[test]
    fn user_guide_premature_examples_do_not_alarm() {
        // "the alarm does not go immediately into ALARM state when the data is either
        // - - - - X or - - - X - and Datapoints to Alarm is 3"
        for points in ["- - - - X", "- - - X -"] {
            assert_ne!(
                decide(&alarm(3, 3, TreatMissingData::Missing), &row(points), AlarmState::Ok).state,
                AlarmState::Alarm,
                "{points}"
            );
        }
    }

    #[test]
    fn periods_are_aligned_and_only_complete_ones_count() {
        let mut a = alarm(1, 1, TreatMissingData::Missing);
        a.period_secs = 10;
        // At 105 s the period [100, 110) is not complete: its point is not judged yet.
        assert_eq!(
            evaluate(&a, &[(105_000, 5.0)], 105_000, AlarmState::Ok).state,
            AlarmState::InsufficientData
        );
        assert_eq!(evaluate(&a, &[(105_000, 5.0)], 110_000, AlarmState::Ok).state, AlarmState::Alarm);
    }

    #[test]
    fn comparison_operators_and_statistics() {
        use ComparisonOperator::*;
        assert!(GreaterThanOrEqualToThreshold.breaches(1.0, 1.0) && !GreaterThanThreshold.breaches(1.0, 1.0));
        assert!(LessThanOrEqualToThreshold.breaches(1.0, 1.0) && !LessThanThreshold.breaches(1.0, 1.0));
        let v = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert_eq!(Statistic::Average.aggregate(&v), Some(22.0));
        assert_eq!(Statistic::SampleCount.aggregate(&v), Some(5.0));
        assert_eq!(Statistic::Percentile(50.0).aggregate(&v), Some(3.0));
        assert_eq!(Statistic::Percentile(99.0).aggregate(&v), Some(100.0));
        assert_eq!(Statistic::Percentile(0.0).aggregate(&v), Some(1.0));
        assert_eq!(Statistic::parse("p99.9"), Some(Statistic::Percentile(99.9)));
        assert_eq!(Statistic::parse("p101"), None);
    }
}
