//! A definition the checks let through but whose shape the interpreter cannot read (a field of
//! the wrong JSON type) is reported where the field is, in the words the checks use for a
//! path ("Expected value of type: String"), never in the deserializer's.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::{Error, Path, Segment};

use super::{ChoiceState, FailState, MapState, ParallelState, PassState, SucceedState, TaskState, WaitState};
use crate::error::Diagnostic;

/// `raw` is the definition that failed to read as `e` says.
pub(super) fn diagnostic(raw: &Value, e: &Error<serde_json::Error>) -> Diagnostic {
    let mut location = pointer(e.path());
    let mut serde = e.inner().to_string();
    // A state is read by its `Type`, which hides the field within it that failed: read the
    // state again as the type it names to find that field, and so on into branches and
    // item processors.
    while let Some(state) = raw.pointer(&location).and_then(Value::as_object)
        && let Some(Err(inner)) = state.get("Type").and_then(Value::as_str).map(|ty| read_as(ty, state))
        && inner.path().iter().next().is_some()
    {
        location = format!("{}{}", location.trim_end_matches('/'), pointer(inner.path()));
        serde = inner.inner().to_string();
    }
    Diagnostic {
        code: "SCHEMA_VALIDATION_FAILED",
        message: message(&serde),
        location,
    }
}

fn read_as(ty: &str, state: &Map<String, Value>) -> Result<(), Error<serde_json::Error>> {
    fn read<T: DeserializeOwned>(fields: Value) -> Result<(), Error<serde_json::Error>> {
        serde_path_to_error::deserialize::<_, T>(fields).map(drop)
    }
    let mut fields = state.clone();
    fields.remove("Type");
    let fields = Value::Object(fields);
    match ty {
        "Task" => read::<TaskState>(fields),
        "Pass" => read::<PassState>(fields),
        "Choice" => read::<ChoiceState>(fields),
        "Wait" => read::<WaitState>(fields),
        "Succeed" => read::<SucceedState>(fields),
        "Fail" => read::<FailState>(fields),
        "Parallel" => read::<ParallelState>(fields),
        "Map" => read::<MapState>(fields),
        _ => Ok(()),
    }
}

/// The JSON pointer of the field that could not be read.
fn pointer(path: &Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    if out.is_empty() { "/".into() } else { out }
}

/// What the field takes, from what the deserializer expected of it ("invalid type: integer
/// `1`, expected a string").
fn message(serde: &str) -> String {
    if let Some(variants) = serde.strip_prefix("unknown variant ").and_then(|m| m.split_once(", expected ")) {
        let allowed: Vec<&str> = variants.1.split('`').skip(1).step_by(2).collect();
        return format!("Expected one of: {}", allowed.join(", "));
    }
    if serde.contains("untagged enum NumberOrExpression") {
        return "Expected value of type: Number, or a JSONata expression".into();
    }
    let expected = serde.rsplit_once("expected ").map_or("", |(_, e)| e);
    let ty = match expected.split_whitespace().next().unwrap_or("") {
        "a" | "an" => match expected.split_whitespace().nth(1) {
            Some("string") => "String",
            Some("boolean") => "Boolean",
            Some("sequence") => "Array",
            Some("map") => "Object",
            _ => return format!("Value is not valid here ({serde})"),
        },
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "Integer",
        "f32" | "f64" => "Number",
        "struct" => "Object",
        _ => return format!("Value is not valid here ({serde})"),
    };
    format!("Expected value of type: {ty}")
}

#[cfg(test)]
mod tests {
    use crate::{DefinitionError, StateMachine};

    fn refused(definition: &str) -> String {
        match StateMachine::from_json(definition) {
            Err(DefinitionError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_field_of_the_wrong_type_is_named_where_it_is() {
        let pass = |field: &str| format!(r#"{{"StartAt": "S", "States": {{"S": {{"Type": "Pass", {field}, "End": true}}}}}}"#);
        assert_eq!(
            refused(&pass(r#""Comment": 1"#)),
            "SCHEMA_VALIDATION_FAILED: Expected value of type: String at /States/S/Comment"
        );
        assert_eq!(
            refused(r#"{"StartAt": "S", "TimeoutSeconds": "x", "States": {"S": {"Type": "Pass", "End": true}}}"#),
            "SCHEMA_VALIDATION_FAILED: Expected value of type: Integer at /TimeoutSeconds"
        );
        let retry = |retrier: &str| {
            format!(
                r#"{{"StartAt": "S", "States": {{"S": {{"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Retry": [{retrier}], "End": true}}}}}}"#
            )
        };
        assert_eq!(
            refused(&retry(r#"{"ErrorEquals": ["States.ALL"], "JitterStrategy": "SOME"}"#)),
            "SCHEMA_VALIDATION_FAILED: Expected one of: FULL, NONE at /States/S/Retry/0/JitterStrategy"
        );
        assert_eq!(
            refused(
                r#"{"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Cause": {}}}}]}}}"#
            ),
            "SCHEMA_VALIDATION_FAILED: Expected value of type: String at /States/P/Branches/0/States/F/Cause"
        );
        // The checks name these themselves, before anything is read.
        assert_eq!(
            refused(r#"{"StartAt": "S", "States": {"S": {"Type": "Pass", "Next": 1}}}"#),
            "SCHEMA_VALIDATION_FAILED: Expected value of type: String at /States/S/Next; \
             MISSING_END_STATE: Workflow has no terminal state at null"
        );
        assert_eq!(
            refused(r#"{"StartAt": "S", "States": {"S": {"Type": "Wait", "Seconds": "5", "End": true}}}"#),
            "SCHEMA_VALIDATION_FAILED: Expected value of type: Integer at /States/S/Seconds"
        );
        assert_eq!(
            refused(&retry(r#"{"ErrorEquals": ["States.ALL"], "BackoffRate": "2"}"#)),
            "SCHEMA_VALIDATION_FAILED: Expected value of type: Number at /States/S/Retry/0/BackoffRate"
        );
    }
}
