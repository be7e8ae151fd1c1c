//! `baton alarm evaluate`: an alarm's state over recorded datapoints, evaluation by evaluation.

use baton_core::alarm::AlarmState;
use baton_core::alarm::evaluate::{evaluate, evaluation_range, last_evaluation, window_step_secs};
use baton_core::alarm::request::PutMetricAlarm;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::Usage;
use crate::cli::AlarmCommand;
use crate::out::println;
use crate::style;

fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(Usage(message))
}

/// A time as RFC 3339 or epoch seconds, in milliseconds; `what` names it in errors.
fn time_ms(v: &Value, what: &str) -> anyhow::Result<i64> {
    match v {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Ok(t.timestamp_millis()),
            Err(_) => s
                .parse::<f64>()
                .map(|secs| (secs * 1000.0) as i64)
                .map_err(|_| usage(format!("{what} `{s}` is neither RFC 3339 (2026-12-01T10:00:00Z) nor epoch seconds"))),
        },
        Value::Number(n) => n
            .as_f64()
            .map(|s| (s * 1000.0) as i64)
            .ok_or_else(|| usage(format!("{what}: bad number"))),
        _ => Err(usage(format!("{what} is missing"))),
    }
}

/// `{"Timestamp": RFC 3339 or epoch seconds, "Value": n}` → (milliseconds, value).
fn datapoint(v: &Value, i: usize) -> anyhow::Result<(i64, f64)> {
    let ts = time_ms(v.get("Timestamp").unwrap_or(&Value::Null), &format!("datapoint {i}: Timestamp"))?;
    let value = v
        .get("Value")
        .and_then(Value::as_f64)
        .ok_or_else(|| usage(format!("datapoint {i} has no numeric Value")))?;
    Ok((ts, value))
}

/// The most evaluations one `alarm evaluate` replays: a week of a 10-second alarm's.
const MAX_EVALUATIONS: i64 = 60_480;

pub(crate) fn run(command: AlarmCommand) -> anyhow::Result<u8> {
    let AlarmCommand::Evaluate {
        alarm,
        datapoints,
        initial_state,
        from,
        to,
        json: json_out,
    } = command;
    let from = from.map(|t| time_ms(&Value::String(t), "--from")).transpose()?;
    let to = to.map(|t| time_ms(&Value::String(t), "--to")).transpose()?;
    let (text, _) = crate::json_input::read(&alarm)?;
    let request: PutMetricAlarm = crate::json_input::parse_as(&alarm, &text)?;
    for said in request.unreplayed() {
        eprintln!(
            "{}warning{}: {}: {said}",
            style::WARN.render(),
            style::WARN.render_reset(),
            alarm.display()
        );
    }
    let alarm = request.into_alarm().map_err(|e| usage(format!("{}: {e}", alarm.display())))?;
    let (_, points) = crate::json_input::read(&datapoints)?;
    let points = points
        .as_array()
        .ok_or_else(|| usage(format!("{}: the datapoints file must hold a JSON list", datapoints.display())))?;
    let mut points: Vec<(i64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| datapoint(p, i))
        .collect::<anyhow::Result<_>>()?;
    // The evaluator reads a series in time order, as CloudWatch stores one; a file need not be.
    points.sort_by_key(|p| p.0);
    let mut state = AlarmState::parse(&initial_state)
        .ok_or_else(|| usage(format!("--initial-state `{initial_state}` is not OK, ALARM or INSUFFICIENT_DATA")))?;
    // One evaluation wherever the window moves (every minute for a sliding window of a minute
    // or more, every period for a wall clock one), from the first datapoint (or --from) until
    // the last one has left the evaluation range (or --to).
    let period = i64::try_from(alarm.period_secs).unwrap_or(60) * 1000;
    let step = i64::try_from(window_step_secs(&alarm)).unwrap_or(60) * 1000;
    let first = from.or_else(|| points.iter().map(|p| p.0).min());
    let stop = match to {
        Some(to) => Some(last_evaluation(&alarm, to)),
        None => points
            .iter()
            .map(|p| p.0)
            .max()
            .map(|last| last_evaluation(&alarm, last) + period * (i64::from(evaluation_range(alarm.evaluation_periods)) + 1)),
    };
    let (Some(first), Some(stop)) = (first, stop) else {
        return Err(usage(
            "the datapoints file is empty: give --from and --to to evaluate a window without datapoints (the missing-data rule decides it)"
                .into(),
        ));
    };
    let start = last_evaluation(&alarm, first) + step;
    if stop < start {
        return Err(usage("--to is before the first evaluation after --from".into()));
    }
    // A file whose datapoints lie years apart would ask for millions of evaluations.
    let evaluations = (stop - start) / step + 1;
    if evaluations > MAX_EVALUATIONS {
        return Err(usage(format!(
            "the datapoints span {evaluations} evaluations, one every {} s; evaluate at most {MAX_EVALUATIONS} at once (split the file by time)",
            step / 1000
        )));
    }
    let mut rows = Vec::new();
    let mut t = start;
    while t <= stop {
        let eval = evaluate(&alarm, &points, t, state);
        let changed = eval.state != state;
        state = eval.state;
        let time = DateTime::<Utc>::from_timestamp_millis(t)
            .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default();
        rows.push(json!({"time": time, "state": state.to_string(), "changed": changed, "reason": eval.reason}));
        t += step;
    }
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"alarm": alarm.name, "evaluations": rows}))?
        );
    } else {
        println!(
            "alarm {} · {} {} {} · {} of {} · missing data: {:?} · {}",
            alarm.name,
            alarm.statistic,
            alarm.comparison.phrase(),
            alarm.threshold,
            alarm.datapoints_to_alarm,
            alarm.evaluation_periods,
            alarm.treat_missing_data,
            alarm.window
        );
        for r in &rows {
            let st = r["state"].as_str().unwrap_or_default();
            let s = style::status(st);
            let mark = if r["changed"] == true { "→" } else { " " };
            println!(
                "{} {mark} {}{:<17}{} {}",
                r["time"].as_str().unwrap_or_default(),
                s.render(),
                st,
                s.render_reset(),
                r["reason"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(0)
}
