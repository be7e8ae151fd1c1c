//! A Map state's limits read at run time: how many iterations run at once (MaxConcurrency) and
//! how many may fail (ToleratedFailureCount and ToleratedFailurePercentage), as written, from a
//! JSONata expression, or from a path — with AWS's words when a path selects a value that cannot
//! be one.
//!
//! A path's value is read as Step Functions reads it, as text: a string holding a number counts
//! as that number (a variable assigned `"1"` ran as MaxConcurrencyPath and both tolerance paths,
//! recorded in localstack/localstack, tests/aws/services/stepfunctions/v2/assign/
//! test_assign_reference_variables.snapshot.json, 2024-11-18), and a count is a 32-bit integer.

use serde_json::Value;

use crate::context::Context;
use crate::definition::{MapState, NumberOrExpression};
use crate::error::StatesError;
use crate::io::{jsonata_field, states_doc};
use crate::path::resolve;

/// How many iterations run at once; 0 is no limit. The state reads it when it starts, before its
/// items and its `MapStateStarted`: AWS failed a MaxConcurrencyPath selecting `{}` straight after
/// `MapStateEntered` (test_base_scenarios.snapshot.json, test_max_concurrency_path, 2024-06-19).
pub(super) fn max_concurrency(s: &MapState, input: &Value, ctx: &Context) -> Result<u64, StatesError> {
    if let Some(n) = field_number(s.max_concurrency.as_ref(), "MaxConcurrency", input, ctx)? {
        return whole(n, "MaxConcurrency");
    }
    let Some(path) = &s.max_concurrency_path else {
        return Ok(0);
    };
    // The words for a negative value are LocalStack's (its max_concurrency.py): AWS's recording
    // of one kept no more than the execution's start.
    match path_parsed::<i32>(path, "MaxConcurrencyPath", "integer", input, ctx)? {
        n if n < 0 => Err(StatesError::runtime(format!(
            "Expected non-negative integer for MaxConcurrency, got '{n}' instead."
        ))),
        n => Ok(n.unsigned_abs().into()),
    }
}

/// How many failed items a Map tolerates, from ToleratedFailureCount/Percentage (or their
/// paths); `None` when neither is set, and the first failure fails the state. `n` is the number
/// of items. The state reads them after its `MapStateStarted`, and a value a path selects that
/// is not one fails the execution with `States.Runtime` in AWS's words (recorded in localstack/
/// localstack, tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
/// test_map_state_tolerated_failure_count_path and …_percentage_path, 2024-06-19, as the
/// MaxConcurrencyPath case above is).
pub(super) fn tolerated_failures(s: &MapState, n: usize, input: &Value, ctx: &Context) -> Result<Option<usize>, StatesError> {
    let count = match (
        field_number(s.tolerated_failure_count.as_ref(), "ToleratedFailureCount", input, ctx)?,
        &s.tolerated_failure_count_path,
    ) {
        (Some(c), _) => Some(whole(c, "ToleratedFailureCount")?),
        (None, Some(p)) => match path_parsed::<i32>(p, "ToleratedFailureCountPath", "integer", input, ctx)? {
            c if c < 0 => return Err(StatesError::runtime("ToleratedFailureCount cannot be negative.")),
            c => Some(c.unsigned_abs().into()),
        },
        (None, None) => None,
    };
    let percentage = match (
        field_number(s.tolerated_failure_percentage.as_ref(), "ToleratedFailurePercentage", input, ctx)?,
        &s.tolerated_failure_percentage_path,
    ) {
        (Some(p), _) => Some(p),
        (None, Some(p)) => Some(path_parsed(p, "ToleratedFailurePercentagePath", "float", input, ctx)?),
        (None, None) => None,
    };
    let from_percentage = match percentage {
        Some(p) if (0.0..=100.0).contains(&p) => Some(((n as f64) * p / 100.0).floor() as usize),
        Some(_) => return Err(StatesError::runtime("ToleratedFailurePercentage must be between 0 and 100.")),
        None => None,
    };
    Ok(
        match (count.map(|c: u64| usize::try_from(c).unwrap_or(usize::MAX)), from_percentage) {
            (Some(c), Some(p)) => Some(c.max(p)),
            (c, p) => c.or(p),
        },
    )
}

/// A Map field's number: as written, or what its JSONata expression yields.
pub(super) fn field_number(
    field: Option<&NumberOrExpression>,
    name: &str,
    input: &Value,
    ctx: &Context,
) -> Result<Option<f64>, StatesError> {
    match field {
        None => Ok(None),
        Some(NumberOrExpression::Number(n)) => Ok(Some(*n)),
        Some(NumberOrExpression::Expression(e)) => {
            let value = jsonata_field(&Value::String(e.clone()), name, &states_doc(input, None, None, ctx))?;
            value.as_f64().map(Some).ok_or_else(|| {
                StatesError::query_evaluation(
                    name,
                    format!("the JSONata expression specified for the field '{name}' must yield a number, got {value}"),
                )
            })
        }
    }
}

/// The number a `…Path` field selects, a string holding one counting as that number.
pub(super) fn path_number(p: &str, name: &str, input: &Value, ctx: &Context) -> Result<f64, StatesError> {
    let value = resolve(p, input, ctx)?;
    match &value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok().filter(|n| n.is_finite()),
        _ => None,
    }
    .ok_or_else(|| StatesError::runtime(format!("{name} '{p}' must select a number, got {value}")))
}

/// A count: a whole number, not negative. A count past `u32::MAX` counts as `u32::MAX`, which no
/// run reaches: AWS takes a MaxConcurrency of 9223372036854775807 (floci-io/floci's
/// ValidateStateMachineDefinition tests), which bounds nothing.
pub(super) fn whole(n: f64, name: &str) -> Result<u64, StatesError> {
    if n >= 0.0 && n.fract() == 0.0 {
        Ok(n.min(f64::from(u32::MAX)) as u64)
    } else {
        Err(StatesError::runtime(format!("{name} must be a whole number, 0 or more, got {n}")))
    }
}

/// The number a path selects, read from the value's text as a `T` (`kind` in AWS's words:
/// "integer", "float").
pub(super) fn path_parsed<T: std::str::FromStr>(p: &str, field: &str, kind: &str, input: &Value, ctx: &Context) -> Result<T, StatesError> {
    let value = resolve(p, input, ctx)?;
    let text = text(&value);
    text.parse().map_err(|_| {
        StatesError::runtime(format!(
            "The {field} field refers to value \"{text}\" which is not a valid {kind}: {p}"
        ))
    })
}

/// A value as AWS quotes it in these causes: a string as it is, anything else as JSON
/// (`"NoNumber"` and `"{}"` in the recordings above).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
