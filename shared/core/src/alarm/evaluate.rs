//! A metric alarm's state, decided as CloudWatch decides it (CloudWatch user guide, "How alarm
//! state is evaluated when data is missing" and "Avoiding premature transitions to alarm state"):
//!
//! 1. Look at the *evaluation range*: more recent complete periods than `EvaluationPeriods` (N),
//!    the newest ending at the evaluation (a sliding window, moved each minute) or at the last
//!    period boundary (a wall clock window). A percentile alarm that ignores low sample counts
//!    keeps its state while one of them holds too few samples.
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

use crate::alarm::reason::{self, Datapoint, Gaps};
use crate::alarm::{AlarmState, EvaluationWindow, LowSampleCount, Statistic, TreatMissingData};
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

/// How far apart the evaluations whose windows differ are: the period for a wall clock window;
/// for a sliding one, how often CloudWatch evaluates the alarm. "If the alarm period is 10
/// seconds or 30 seconds, the alarm is evaluated every 10 seconds" (the user guide); an alarm of
/// a minute or more, every minute: reasons recorded on AWS name 5- and 30-minute periods that
/// start on any minute (16:59 for a 300 s alarm evaluated at 17:04:40, in the user guide's sample
/// event; 07:31, then 07:35, for an 1800 s alarm evaluated at 08:01:50 and 08:05:50, quoted in a
/// public project). A 20 s period, which the guide's sentence predates, is taken with its
/// high-resolution kin. Baton's local 1 s and 5 s periods: every period.
pub fn window_step_secs(alarm: &Alarm) -> u64 {
    let period = alarm.period_secs.max(1);
    match alarm.window {
        EvaluationWindow::WallClock { .. } => period,
        EvaluationWindow::Sliding if period >= 60 => 60,
        EvaluationWindow::Sliding if period >= 10 => 10,
        EvaluationWindow::Sliding => period,
    }
}

/// The last evaluation at or before `at_ms` whose window differs from the one before it: on a
/// multiple of [`window_step_secs`], in a wall clock window's zone's time.
pub fn last_evaluation(alarm: &Alarm, at_ms: i64) -> i64 {
    let step = i64::try_from(window_step_secs(alarm)).unwrap_or(60) * 1000;
    let shift = match alarm.window {
        EvaluationWindow::WallClock { utc_offset_secs } => i64::from(utc_offset_secs) * 1000,
        EvaluationWindow::Sliding => 0,
    };
    (at_ms + shift).div_euclid(step) * step - shift
}

/// Each period of the evaluation range, newest first: its datapoint, or `None` if missing. The
/// newest period ends at the last evaluation at or before `now_ms`. `datapoints` are in time
/// order (as a metric store returns them), so each period's are found by bisection: a replay
/// evaluates a day of datapoints every minute.
pub fn period_datapoints(alarm: &Alarm, datapoints: &[(i64, f64)], now_ms: i64) -> Vec<Option<Datapoint>> {
    debug_assert!(datapoints.is_sorted_by_key(|p| p.0), "datapoints in time order");
    let period = i64::try_from(alarm.period_secs).unwrap_or(60).max(1) * 1000;
    let end = last_evaluation(alarm, now_ms);
    (0..i64::from(evaluation_range(alarm.evaluation_periods)))
        .map(|k| {
            let (from, to) = (end - (k + 1) * period, end - k * period);
            let first = datapoints.partition_point(|(t, _)| *t < from);
            let last = datapoints.partition_point(|(t, _)| *t < to);
            let values: Vec<f64> = datapoints[first..last.max(first)].iter().map(|(_, v)| *v).collect();
            alarm.statistic.aggregate(&values).map(|value| Datapoint {
                value,
                breaching: alarm.comparison.breaches(value, alarm.threshold),
                start_ms: from,
                samples: values.len(),
            })
        })
        .collect()
}

/// Evaluates an alarm at `now_ms` from its datapoints (timestamp ms, value), in time order.
pub fn evaluate(alarm: &Alarm, datapoints: &[(i64, f64)], now_ms: i64, current: AlarmState) -> Evaluation {
    decide(alarm, &period_datapoints(alarm, datapoints, now_ms), current)
}

/// The decision itself, from the periods' datapoints (newest first).
pub fn decide(alarm: &Alarm, periods: &[Option<Datapoint>], current: AlarmState) -> Evaluation {
    let n = alarm.evaluation_periods as usize;
    let m = alarm.datapoints_to_alarm as usize;
    // Each real datapoint with its age in periods (1 = the newest period).
    let real: Vec<(usize, Datapoint)> = periods.iter().enumerate().filter_map(|(age, p)| p.map(|p| (age + 1, p))).collect();
    // ALARM when at least M of the judged datapoints and the gaps counted as breaching breach.
    let verdict = |judged: &[(usize, Datapoint)], gaps: Gaps| {
        let breaching: Vec<Datapoint> = judged.iter().map(|p| p.1).filter(|p| p.breaching).collect();
        let gaps_breaching = if gaps.breaching { gaps.count } else { 0 };
        if breaching.len() + gaps_breaching >= m {
            return Evaluation {
                state: AlarmState::Alarm,
                reason: reason::threshold_crossed(alarm, AlarmState::Alarm, &breaching, judged.len(), gaps),
            };
        }
        let fine: Vec<Datapoint> = judged.iter().map(|p| p.1).filter(|p| !p.breaching).collect();
        Evaluation {
            state: AlarmState::Ok,
            reason: if fine.is_empty() && gaps.count == 0 {
                reason::too_few_breaching(alarm, &breaching)
            } else {
                reason::threshold_crossed(alarm, AlarmState::Ok, &fine, judged.len(), gaps)
            },
        }
    };
    if let Some(kept) = too_few_samples(alarm, &real, current) {
        return kept;
    }
    if real.len() >= n {
        return verdict(&real[..n], Gaps::NONE);
    }
    let fill = n - real.len();
    match alarm.treat_missing_data {
        TreatMissingData::Breaching => verdict(
            &real,
            Gaps {
                count: fill,
                breaching: true,
            },
        ),
        TreatMissingData::NotBreaching => verdict(
            &real,
            Gaps {
                count: fill,
                breaching: false,
            },
        ),
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
                        reason: reason::insufficient_data(n),
                    }
                };
            }
            if real.len() >= m {
                return verdict(&real, Gaps::NONE);
            }
            let all_breaching = real.iter().all(|p| p.1.breaching);
            // Ignored missing data and too few points, all breaching: nothing says the alarm's
            // condition has ended, so it keeps its state (the guide's IGNORE column: "- - X - -"
            // and "- - - X -" retain; "- - - - 0", a point below the threshold, is OK). An alarm
            // in ALARM must not fall to OK on gaps alone: that would silence a rollback.
            if ignore && all_breaching {
                return Evaluation {
                    state: current,
                    reason: "Too few datapoints to decide, all of them breaching; missing data is ignored, so the state is kept.".into(),
                };
            }
            // Premature alarm: the oldest breaching point among the last N periods is at least
            // M periods old, and every newer period is breaching or missing.
            let in_window: Vec<&(usize, Datapoint)> = real.iter().filter(|(age, _)| *age <= n).collect();
            let oldest_breach = in_window.iter().filter(|p| p.1.breaching).map(|p| p.0).max();
            let premature = oldest_breach.is_some_and(|age| age >= m && in_window.iter().filter(|p| p.0 < age).all(|p| p.1.breaching));
            match (premature, ignore) {
                (true, false) => {
                    let breaching: Vec<Datapoint> = in_window.iter().map(|p| p.1).filter(|p| p.breaching).collect();
                    Evaluation {
                        state: AlarmState::Alarm,
                        reason: reason::threshold_crossed(alarm, AlarmState::Alarm, &breaching, in_window.len(), Gaps::NONE),
                    }
                }
                (true, true) => Evaluation {
                    state: current,
                    reason: "Too few datapoints to decide; missing data is ignored, so the state is kept.".into(),
                },
                (false, _) => verdict(&real, Gaps::NONE),
            }
        }
    }
}

/// A percentile alarm told to ignore low sample counts keeps its state while a period it would
/// judge (one of the N newest with data) holds fewer samples than make its percentile
/// significant: "ignore the metric while the sample size is low, and wait to evaluate it until
/// there is enough data" (the user guide, "Percentile-based alarms and low data samples", whose
/// bound is per evaluation period).
fn too_few_samples(alarm: &Alarm, real: &[(usize, Datapoint)], current: AlarmState) -> Option<Evaluation> {
    let Statistic::Percentile(p) = alarm.statistic else { return None };
    if alarm.low_sample_count != LowSampleCount::Ignore {
        return None;
    }
    let needed = LowSampleCount::significant_samples(p)?;
    let n = alarm.evaluation_periods as usize;
    let fewest = real.iter().take(n).map(|(_, d)| d.samples).min()?;
    ((fewest as f64) < needed).then(|| Evaluation {
        state: current,
        reason: format!(
            "Too few samples to evaluate {}: a period holds {fewest}, fewer than the {needed} that make it significant; EvaluateLowSampleCountPercentile is ignore, so the state is kept.",
            alarm.statistic
        ),
    })
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
            window: EvaluationWindow::Sliding,
            low_sample_count: LowSampleCount::Evaluate,
            reason_wording: reason::ReasonWording::OutOfTheLast,
        }
    }

    /// `"0 - X - X"`, oldest first as the user guide writes it → periods newest first.
    fn row(text: &str) -> Vec<Option<Datapoint>> {
        text.split_whitespace()
            .rev()
            .enumerate()
            .map(|(age, c)| {
                let start_ms = -300_000 * (age as i64 + 1);
                match c {
                    "X" => Some(Datapoint {
                        value: 5.0,
                        breaching: true,
                        start_ms,
                        samples: 1,
                    }),
                    "0" => Some(Datapoint {
                        value: 0.0,
                        breaching: false,
                        start_ms,
                        samples: 1,
                    }),
                    _ => None,
                }
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

    /// The reason names the datapoints that carry the state, at their periods' starts, out of
    /// the evaluation periods even where fewer are real, as CloudWatch writes it (`reason`).
    #[test]
    fn reasons_name_the_counted_datapoints_at_their_periods() {
        let mut a = alarm(5, 3, TreatMissingData::Missing);
        a.period_secs = 60;
        let t = |minute: i64| 1_640_068_920_000 + minute * 60_000; // 2021-12-21T06:42:00Z
        let points = [(t(0), 0.0), (t(2), 0.0), (t(3) + 5_000, 0.0)];
        let eval = evaluate(&a, &points, t(4), AlarmState::Alarm);
        assert_eq!(eval.state, AlarmState::Ok);
        assert_eq!(
            eval.reason,
            "Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 (21/12/21 06:44:00), 0.0 (21/12/21 06:42:00)] were not greater than or equal to the threshold (1.0) (minimum 3 datapoints for ALARM -> OK transition)."
        );
        // OK with no datapoint below the threshold: too few breach.
        let eval = evaluate(&a, &[(t(3), 5.0)], t(4), AlarmState::Ok);
        assert_eq!(
            eval.reason,
            "Threshold Crossed: 1 out of the last 5 datapoints [5.0 (21/12/21 06:45:00)] was greater than or equal to the threshold (1.0), fewer than the minimum 3 datapoints for OK -> ALARM transition."
        );
        let eval = evaluate(&a, &[], t(4), AlarmState::Ok);
        assert_eq!(eval.reason, "Insufficient Data: 5 datapoints were unknown.");
        a.treat_missing_data = TreatMissingData::Breaching;
        let eval = evaluate(&a, &[(t(3), 5.0)], t(4), AlarmState::Ok);
        assert_eq!(eval.state, AlarmState::Alarm);
        assert!(
            eval.reason.starts_with("Threshold Crossed: 1 out of the last 5 datapoints [5.0 (21/12/21 06:45:00)] was greater than or equal to the threshold (1.0) and 4 missing datapoints were treated as [Breaching]"),
            "{}",
            eval.reason
        );
    }

    /// The user guide's sample state-change event: a 300 s alarm evaluated at 17:04:40 judged the
    /// period that started at 16:59:00 — a sliding window, ending on the evaluation's minute.
    #[test]
    fn a_sliding_window_ends_at_the_evaluations_minute() {
        let mut a = alarm(1, 1, TreatMissingData::Missing);
        a.comparison = ComparisonOperator::GreaterThanThreshold;
        a.threshold = 50.0;
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis();
        let points = [(at("2019-10-02T17:00:00Z"), 99.50160229693434)];
        let eval = evaluate(&a, &points, at("2019-10-02T17:04:40Z"), AlarmState::Ok);
        assert_eq!(
            eval.reason,
            "Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."
        );
        // A wall clock window judges the period that ended at 17:00, which holds no datapoint.
        a.window = EvaluationWindow::WallClock { utc_offset_secs: 0 };
        let eval = evaluate(&a, &points, at("2019-10-02T17:04:40Z"), AlarmState::Ok);
        assert_eq!(eval.state, AlarmState::InsufficientData);
        assert_eq!(window_step_secs(&a), 300);
        a.window = EvaluationWindow::Sliding;
        assert_eq!(window_step_secs(&a), 60);
        a.period_secs = 30;
        assert_eq!(window_step_secs(&a), 10);
        a.period_secs = 5;
        assert_eq!(window_step_secs(&a), 5);
    }

    /// The user guide, "Percentile-based alarms and low data samples": a p99 alarm needs 1000
    /// samples a period; told to ignore fewer, it keeps its state, else it is evaluated.
    #[test]
    fn a_percentile_alarm_ignoring_low_samples_keeps_its_state() {
        assert_eq!(LowSampleCount::significant_samples(99.0), Some(1000.0));
        assert_eq!(LowSampleCount::significant_samples(50.0), Some(20.0));
        assert_eq!(LowSampleCount::significant_samples(10.0), Some(100.0));
        assert_eq!(LowSampleCount::significant_samples(99.9), Some(10_000.0));
        assert_eq!(LowSampleCount::significant_samples(100.0), None);
        let mut a = alarm(1, 1, TreatMissingData::Missing);
        a.statistic = Statistic::Percentile(99.0);
        a.period_secs = 60;
        let few: Vec<(i64, f64)> = (0..5).map(|i| (i * 1000, 9.0)).collect();
        assert_eq!(evaluate(&a, &few, 60_000, AlarmState::Ok).state, AlarmState::Alarm);
        a.low_sample_count = LowSampleCount::Ignore;
        let eval = evaluate(&a, &few, 60_000, AlarmState::Ok);
        assert_eq!(eval.state, AlarmState::Ok);
        assert!(eval.reason.contains("a period holds 5, fewer than the 1000"), "{}", eval.reason);
        let many: Vec<(i64, f64)> = (0..1000).map(|i| (i * 50, 9.0)).collect();
        assert_eq!(evaluate(&a, &many, 60_000, AlarmState::Ok).state, AlarmState::Alarm);
        // Only percentiles: a Sum alarm is always evaluated.
        a.statistic = Statistic::Sum;
        assert_eq!(evaluate(&a, &few, 60_000, AlarmState::Ok).state, AlarmState::Alarm);
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

    /// A range with no datapoint at all, its gaps counted by the missing-data treatment, in
    /// CloudWatch's words (`describe-alarms` output kept in public projects: "Threshold Crossed: no
    /// datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching]."
    /// for a one-period alarm treating missing data as breaching, 2017; the same with
    /// [NonBreaching] in OK, 2026); over more periods, the same sentence counts them all.
    #[test]
    fn a_range_with_no_datapoint_says_none_was_received() {
        let breaching = decide(&alarm(1, 1, TreatMissingData::Breaching), &row("-"), AlarmState::Ok);
        assert_eq!(breaching.state, AlarmState::Alarm);
        assert_eq!(
            breaching.reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching]."
        );
        let fine = decide(&alarm(1, 1, TreatMissingData::NotBreaching), &row("-"), AlarmState::Alarm);
        assert_eq!(fine.state, AlarmState::Ok);
        assert_eq!(
            fine.reason,
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."
        );
        let eight = decide(&alarm(8, 2, TreatMissingData::Breaching), &row("- - - - - - - -"), AlarmState::Ok);
        assert_eq!(
            eight.reason,
            "Threshold Crossed: no datapoints were received for 8 periods and 8 missing datapoints were treated as [Breaching]."
        );
    }

    /// Gaps counted as breaching put the alarm in ALARM though the one datapoint that came does not
    /// breach: "1 datapoint was received for 3 periods and 2 missing datapoints were treated as
    /// [Breaching]" (a StateReason quoted in a public project, observed 2026-09-05, M = 2, the
    /// counter reading 0 throughout).
    #[test]
    fn gaps_that_decide_alone_say_what_was_received() {
        let eval = decide(&alarm(3, 2, TreatMissingData::Breaching), &row("0 - -"), AlarmState::Ok);
        assert_eq!(eval.state, AlarmState::Alarm);
        assert_eq!(
            eval.reason,
            "Threshold Crossed: 1 datapoint was received for 3 periods and 2 missing datapoints were treated as [Breaching]."
        );
    }

    /// An alarm in OK names the gaps as they were treated, breaching ones too: "2 of the last 5
    /// datapoints ... and 3 missing datapoints were treated as [Breaching]" (an alarm in OK,
    /// quoted in a public project's review, 2026).
    #[test]
    fn an_ok_reason_names_gaps_counted_as_breaching() {
        let eval = decide(&alarm(5, 5, TreatMissingData::Breaching), &row("0 - 0 - -"), AlarmState::Ok);
        assert_eq!(eval.state, AlarmState::Ok);
        assert!(
            eval.reason.starts_with("Threshold Crossed: 2 out of the last 5 datapoints [")
                && eval.reason.ends_with(
                    "were not greater than or equal to the threshold (1.0) and 3 missing datapoints were treated as [Breaching] (minimum 1 datapoint for ALARM -> OK transition)."
                ),
            "{}",
            eval.reason
        );
    }

    /// An alarm in ALARM "prematurely" (missing data treated as missing: the oldest breaching
    /// point is M periods old, nothing newer below the threshold) gives the ordinary reason,
    /// though it names fewer than M datapoints: "1 out of the last 3 datapoints [0.0] was less
    /// than the threshold (minimum 3 datapoints for OK -> ALARM transition)" (an alarm history
    /// quoted in a public project, 2026, its datapoint's time left out by the quote).
    #[test]
    fn a_premature_alarm_gives_the_ordinary_reason() {
        let eval = decide(&alarm(3, 3, TreatMissingData::Missing), &row("X - -"), AlarmState::Ok);
        assert_eq!(eval.state, AlarmState::Alarm);
        assert!(
            eval.reason.starts_with("Threshold Crossed: 1 out of the last 3 datapoints [5.0 (")
                && eval
                    .reason
                    .ends_with(")] was greater than or equal to the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition)."),
            "{}",
            eval.reason
        );
    }

    /// A wall clock window in a fixed offset aligns its periods to that zone's clock: "The time
    /// zone affects window alignment for all periods" (the `WallClockWindow` reference). At 17:04:40
    /// UTC an hourly alarm in UTC judges 16:00-17:00; at +05:30 (22:34:40 there) it judges
    /// 21:00-22:00 local, 15:30-16:30 UTC.
    #[test]
    fn a_wall_clock_window_aligns_to_its_offset() {
        let mut a = alarm(1, 1, TreatMissingData::Missing);
        a.period_secs = 3600;
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis();
        let points = [(at("2019-10-02T16:40:00Z"), 5.0)];
        let now = at("2019-10-02T17:04:40Z");
        a.window = EvaluationWindow::WallClock { utc_offset_secs: 0 };
        assert_eq!(evaluate(&a, &points, now, AlarmState::Ok).state, AlarmState::Alarm);
        a.window = EvaluationWindow::WallClock { utc_offset_secs: 19_800 };
        let periods = period_datapoints(&a, &points, now);
        assert!(periods[0].is_none(), "15:30-16:30 UTC holds no datapoint");
        let earlier = [(at("2019-10-02T16:10:00Z"), 5.0)];
        let judged = period_datapoints(&a, &earlier, now)[0].expect("16:10 falls in 15:30-16:30");
        assert_eq!(judged.start_ms, at("2019-10-02T15:30:00Z"));
    }

    /// With no datapoint and missing data treated as missing, CloudWatch counts the alarm's
    /// evaluation periods as unknown, not the longer range it looked back over: "Insufficient
    /// Data: 1 datapoint was unknown." for a one-period alarm, "… 5 datapoints were unknown." for a
    /// five-period one (`describe-alarms` output kept in a public project, 2017).
    #[test]
    fn insufficient_data_counts_the_evaluation_periods() {
        let one = decide(&alarm(1, 1, TreatMissingData::Missing), &row("- - - - -"), AlarmState::Ok);
        assert_eq!(one.state, AlarmState::InsufficientData);
        assert_eq!(one.reason, "Insufficient Data: 1 datapoint was unknown.");
        let five = decide(&alarm(5, 5, TreatMissingData::Missing), &row("- - - - - - -"), AlarmState::Ok);
        assert_eq!(five.reason, "Insufficient Data: 5 datapoints were unknown.");
    }
}
