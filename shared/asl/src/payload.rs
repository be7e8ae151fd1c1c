//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`): keys ending in `.$` take
//! their value from a path or an intrinsic function; everything else is copied as written.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::StatesError;
use crate::intrinsics;
use crate::path::{lookup_in_template, reads_input, within_context};

pub fn apply(template: &Value, input: &Value, context: &Context) -> Result<Value, StatesError> {
    match template {
        Value::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (key, value) in fields {
                match key.strip_suffix(".$") {
                    Some(name) => {
                        let expr = value.as_str().ok_or_else(|| {
                            StatesError::runtime(format!("the value of '{key}' must be a path or intrinsic function string"))
                        })?;
                        let resolved = if intrinsics::is_intrinsic(expr) {
                            intrinsics::evaluate(expr, input, context)?
                        } else if input.is_null() && reads_input(expr) {
                            // AWS applies no path to a null input, `$` included (recorded cause
                            // cited in `tests/conformance/errors.json`).
                            return Err(StatesError::runtime("Unable to apply Path transformation to null or empty input."));
                        } else {
                            lookup_in_template(expr, input, context)?.ok_or_else(|| not_found(expr, key, input, context))?
                        };
                        out.insert(name.to_string(), resolved);
                    }
                    None => {
                        out.insert(key.clone(), apply(value, input, context)?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|v| apply(v, input, context))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// A path that selects nothing fails the execution (States.Runtime, not the catchable
/// States.ParameterPathFailure). A context path is named as the path it is within the context
/// object, which is quoted as the document it read (as AWS and Step Functions Local 2.0.0 word
/// it, pinned in floci-io/floci's AslExecutorUnresolvableJsonPathTest).
fn not_found(expr: &str, key: &str, input: &Value, context: &Context) -> StatesError {
    match within_context(expr) {
        Some(within) => field_not_found(within, key, &context.to_value().to_string()),
        None => field_not_found(expr, key, &context.quoted(input)),
    }
}

/// Step Functions' words for a field's path that selects nothing in what it `read` (recorded
/// executions cited in `tests/conformance/errors.json`).
pub(crate) fn field_not_found(path: &str, field: &str, read: &str) -> StatesError {
    StatesError::runtime(format!(
        "The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{read}'"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_paths_context_and_intrinsics() {
        let template = json!({
            "plain": "$.not-a-path",
            "id.$": "$.id",
            "token.$": "$$.Task.Token",
            "nested": {"greeting.$": "States.Format('hi {}', $.id)"}
        });
        let out = apply(&template, &json!({"id": 7}), &Context::fixed(json!({"Task": {"Token": "t"}}))).unwrap();
        assert_eq!(
            out,
            json!({"plain": "$.not-a-path", "id": 7, "token": "t", "nested": {"greeting": "hi 7"}})
        );
    }

    #[test]
    fn missing_path_fails_the_execution_in_step_functions_words() {
        let err = apply(&json!({"x.$": "$.nope"}), &json!({"a": 1}), &Context::fixed(json!({}))).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert_eq!(
            err.cause,
            r#"The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{"a":1}'"#
        );
    }

    #[test]
    fn a_context_path_that_misses_names_the_context_object() {
        let context = Context::fixed(json!({"State": {"Name": "P"}}));
        let err = apply(&json!({"missing.$": "$$.Nope.Deep"}), &json!({"other": 1}), &context).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert_eq!(
            err.cause,
            r#"The JSONPath '$.Nope.Deep' specified for the field 'missing.$' could not be found in the input '{"State":{"Name":"P"}}'"#
        );
    }
}
