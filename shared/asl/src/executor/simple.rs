//! Pass, Succeed, Fail, Choice and Wait: the states that call nothing outside the interpreter.

use std::borrow::Cow;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::Run;
use crate::choice;
use crate::context::Context;
use crate::definition::{ChoiceState, FailState, PassState, SucceedState, WaitState};
use crate::error::StatesError;
use crate::intrinsics;
use crate::io::{
    AssignFrom, Lang, Step, assign_block, input_path, jsonata_field, output_path, result_path, seconds_field, selected, states_doc,
    transition,
};
use crate::path::lookup;
use crate::payload;

pub(super) fn pass(s: &PassState, lang: Lang, input: Value, ctx: &Context, run: &Run) -> Result<Step, StatesError> {
    match lang {
        Lang::JsonPath => {
            let effective = input_path(&s.io, &input, ctx)?;
            let result = match (&s.result, &s.parameters) {
                (Some(result), _) => result.clone(),
                (None, Some(params)) => payload::apply(params, &effective, ctx)?,
                (None, None) => effective.into_owned(),
            };
            run.stage(assign_block(s.assign.as_ref(), "Assign", AssignFrom::JsonPath(&result, ctx))?);
            let merged = result_path(s.result_path.as_ref(), input, result)?;
            transition(&s.transition, output_path(&s.io, merged, ctx)?)
        }
        Lang::Jsonata => {
            let (output, assigned) = jsonata_output(named(s.output.as_ref(), "Output"), named(s.assign.as_ref(), "Assign"), input, ctx)?;
            run.stage(assigned);
            transition(&s.transition, output)
        }
    }
}

/// A JSONata field and the name AWS gives it in a cause: `Output`, or `Choices[1]/Output` for a
/// matched rule's own.
type Named<'a> = (Option<&'a Value>, String);

fn named<'a>(value: Option<&'a Value>, name: &str) -> Named<'a> {
    (value, name.to_string())
}

/// A JSONata state without a result: Output (default: the input) and Assign read `$states.input`.
/// Each comes with its field's name in a cause (`Output`, or `Choices[1]/Output` for a rule's).
fn jsonata_output(
    (output, output_name): Named<'_>,
    (assign, assign_name): Named<'_>,
    input: Value,
    ctx: &Context,
) -> Result<(Value, Option<serde_json::Map<String, Value>>), StatesError> {
    let states = states_doc(&input, None, None, ctx);
    let assigned = assign_block(assign, &assign_name, AssignFrom::Jsonata(states))?;
    let output = match output {
        Some(o) => jsonata_field(o, &output_name, &states)?,
        None => input,
    };
    Ok((output, assigned))
}

pub(super) fn succeed(s: &SucceedState, lang: Lang, input: Value, ctx: &Context) -> Result<Step, StatesError> {
    match lang {
        Lang::JsonPath => {
            let effective = input_path(&s.io, &input, ctx)?;
            Ok(Step::End(output_path(&s.io, selected(effective).unwrap_or(input), ctx)?))
        }
        Lang::Jsonata => Ok(Step::End(
            jsonata_output(named(s.output.as_ref(), "Output"), named(None, "Assign"), input, ctx)?.0,
        )),
    }
}

pub(super) fn choose(s: &ChoiceState, lang: Lang, input: Value, ctx: &Context, run: &Run) -> Result<Step, StatesError> {
    let effective = match lang {
        Lang::JsonPath => input_path(&s.io, &input, ctx)?,
        Lang::Jsonata => Cow::Borrowed(&input),
    };
    let mut chosen = None;
    // AWS names a rule's fields by its place: `Choices[1]/Condition`, `Choices[1]/Output/v`
    // (recorded in floci-io/floci#2689, pinned against AWS).
    for (i, rule) in s.choices.iter().enumerate() {
        let matched = match (lang, &rule.condition) {
            (Lang::Jsonata, Some(condition)) => {
                let states = states_doc(&input, None, None, ctx);
                let field = format!("Choices[{i}]/Condition");
                match jsonata_field(condition, &field, &states)? {
                    Value::Bool(b) => b,
                    other => {
                        return Err(StatesError::query_evaluation(
                            &field,
                            format!("a Choice Condition must yield a boolean, got {other}"),
                        ));
                    }
                }
            }
            (Lang::Jsonata, None) => return Err(StatesError::runtime("a JSONata Choice rule needs a Condition")),
            (Lang::JsonPath, _) => choice::matches(rule, &effective, ctx)?,
        };
        if matched {
            chosen = Some((
                rule.next
                    .clone()
                    .ok_or_else(|| StatesError::runtime("a top-level Choice rule needs Next"))?,
                Some((i, rule)),
            ));
            break;
        }
    }
    let (next, rule) = match (chosen, &s.default) {
        (Some(c), _) => c,
        (None, Some(default)) => (default.clone(), None),
        (None, None) => {
            // The developer guide's error names: States.NoChoiceMatched is "reserved for future
            // use"; no match is reported as States.Runtime (as floci-io/floci#3167 measured), in
            // the words floci verified against AWS (tests/conformance/choice.json).
            return Err(StatesError::runtime(
                "Failed to transition out of the state. The state does not point to a next state.",
            ));
        }
    };
    // A matched rule's Output and Assign take the place of the state's, each named by its owner
    // in a cause.
    let output_field = match rule {
        Some((i, r)) if r.output.is_some() => (r.output.as_ref(), format!("Choices[{i}]/Output")),
        _ => named(s.output.as_ref(), "Output"),
    };
    let assign_field = match rule {
        Some((i, r)) if r.assign.is_some() => (r.assign.as_ref(), format!("Choices[{i}]/Assign")),
        _ => named(s.assign.as_ref(), "Assign"),
    };
    let output = match lang {
        Lang::JsonPath => {
            run.stage(assign_block(
                assign_field.0,
                &assign_field.1,
                AssignFrom::JsonPath(&effective, ctx),
            )?);
            output_path(&s.io, selected(effective).unwrap_or(input), ctx)?
        }
        Lang::Jsonata => {
            let (output, assigned) = jsonata_output(output_field, assign_field, input, ctx)?;
            run.stage(assigned);
            output
        }
    };
    Ok(Step::Next(next, output))
}

pub(super) async fn wait(s: &WaitState, lang: Lang, input: Value, ctx: &Context, run: &Run) -> Result<Step, StatesError> {
    let clock = run.clock;
    let effective = match lang {
        Lang::JsonPath => input_path(&s.io, &input, ctx)?,
        Lang::Jsonata => Cow::Borrowed(&input),
    };
    let until_timestamp = |text: &str| -> Result<Duration, StatesError> {
        let at = crate::timestamp::offset_date_time(text).ok_or_else(|| {
            StatesError::runtime(format!(
                "invalid Wait timestamp '{text}': an ISO 8601 date-time with a 'T' and a zone is needed (2026-12-01T10:00:00Z)"
            ))
        })?;
        Ok((at.with_timezone(&Utc) - clock.now()).to_std().unwrap_or_default())
    };
    let states = states_doc(&input, None, None, ctx);
    let delay = if let Some(secs) = &s.seconds {
        Duration::from_secs(seconds_field(secs, "Seconds", &states).map_err(StatesError::evaluated_after_entry)?)
    } else if let Some(p) = &s.seconds_path {
        Duration::from_secs(seconds_path(p, &effective, ctx)?)
    } else if let Some(t) = &s.timestamp {
        match (lang, crate::jsonata::expression(t)) {
            (Lang::Jsonata, Some(_)) => {
                let value = jsonata_field(&Value::String(t.clone()), "Timestamp", &states).map_err(StatesError::evaluated_after_entry)?;
                // AWS's words for a value that is not a timestamp (recorded in
                // localstack/localstack, tests/aws/services/stepfunctions/v2/scenarios/
                // test_base_scenarios.snapshot.json, test_wait_timestamp_jsonata, 2024-12-27).
                let refused = || {
                    let shown = bare(&value);
                    StatesError::query_evaluation(
                        "Timestamp",
                        format!("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {shown}"),
                    )
                    .evaluated_after_entry()
                };
                until_timestamp(value.as_str().ok_or_else(refused)?).map_err(|_| refused())?
            }
            _ => until_timestamp(t)?,
        }
    } else if let Some(p) = &s.timestamp_path {
        // AWS's words for a path that selects nothing, as for SecondsPath (recorded on AWS:
        // gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/aws/
        // Feature.WaitValidation-009-missing-timestamppath.json), and for a value that is not a
        // timestamp, as LocalStack's tests recorded them against AWS (tests/conformance/states.json).
        let v = lookup(p, &effective, ctx)?
            .ok_or_else(|| StatesError::runtime(format!("The TimestampPath parameter does not reference an input value: {p}")))?;
        let refused = || {
            let shown = bare(&v);
            StatesError::runtime(format!(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {shown}"
            ))
        };
        until_timestamp(v.as_str().ok_or_else(refused)?).map_err(|_| refused())?
    } else {
        return Err(StatesError::runtime(
            "a Wait state needs Seconds, SecondsPath, Timestamp or TimestampPath",
        ));
    };
    let output = match lang {
        Lang::JsonPath => {
            run.stage(assign_block(s.assign.as_ref(), "Assign", AssignFrom::JsonPath(&effective, ctx))?);
            output_path(&s.io, selected(effective).unwrap_or(input), ctx)?
        }
        Lang::Jsonata => {
            let (output, assigned) = jsonata_output(
                named(s.output.as_ref(), "Output"),
                named(s.assign.as_ref(), "Assign"),
                input.clone(),
                ctx,
            )?;
            run.stage(assigned);
            output
        }
    };
    tokio::time::sleep(delay).await;
    transition(&s.transition, output)
}

/// What a `SecondsPath` selects, refused in AWS's words (States.Runtime): as LocalStack words
/// them beside its TimestampPath causes, which recordings on AWS confirm word for word
/// (`tests/conformance/states.json`).
fn seconds_path(path: &str, input: &Value, ctx: &Context) -> Result<u64, StatesError> {
    let value = lookup(path, input, ctx)?
        .ok_or_else(|| StatesError::runtime(format!("The SecondsPath parameter does not reference an input value: {path}")))?;
    if let Some(seconds) = value.as_u64() {
        return Ok(seconds);
    }
    let shown = bare(&value);
    let problem = if value.is_i64() {
        "references a negative value"
    } else {
        "cannot be parsed as a long value"
    };
    Err(StatesError::runtime(format!(
        "The SecondsPath parameter {problem}: {path} == {shown}"
    )))
}

/// A value as AWS shows it in a Wait's causes: a string without its quotes, anything else as JSON.
fn bare(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_string)
}

/// A Fail state's error: fixed, from a path or an intrinsic function, or a JSONata expression.
pub(super) fn fail(s: &FailState, lang: Lang, input: &Value, ctx: &Context) -> Result<StatesError, StatesError> {
    let pick = |fixed: &Option<String>, path: &Option<String>, field: &str| -> Result<String, StatesError> {
        match (fixed, path) {
            (Some(v), _) if lang == Lang::Jsonata && crate::jsonata::expression(v).is_some() => {
                match jsonata_field(&Value::String(v.clone()), field, &states_doc(input, None, None, ctx))? {
                    Value::String(s) => Ok(s),
                    other => Err(StatesError::query_evaluation(
                        field,
                        format!("{field} must yield a string, got {other}"),
                    )),
                }
            }
            (Some(v), _) => Ok(v.clone()),
            (None, Some(p)) => {
                let v = if intrinsics::is_intrinsic(p) {
                    intrinsics::evaluate(p, input, ctx)?
                } else {
                    // AWS's words, as for a payload template's path.
                    lookup(p, input, ctx)?.ok_or_else(|| payload::field_not_found(p, &format!("{field}Path"), &ctx.quoted(input)))?
                };
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| StatesError::runtime(format!("'{p}' must select a string, got {v}")))
            }
            (None, None) => Ok(String::new()),
        }
    };
    Ok(StatesError::new(
        pick(&s.error, &s.error_path, "Error")?,
        pick(&s.cause, &s.cause_path, "Cause")?,
    ))
}
