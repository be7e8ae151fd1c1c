//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`): keys ending in `.$` take
//! their value from a path or an intrinsic function; everything else is copied as written.

use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::StatesError;
use crate::intrinsics;
use crate::path::{lookup_in_template, refuse_null_input, within_context};

/// Applies a payload template to `input`. The object it builds holds the fields written as they
/// are first, in the template's order, then the `.$` fields in the order Java's `HashMap`
/// iterates their names: AWS resolves the path fields into a hash map it appends, so a Pass
/// state with thirteen of them recorded its output in exactly that order, a `ResultSelector`'s
/// `ContextObjectValue` preceded its `LambdaOutput`, and a lambda task's `Payload` written as an
/// object preceded its `FunctionName.$` (localstack/localstack, tests/aws/services/stepfunctions/
/// v2/base/test_base.snapshot.json, test_query_context_object_values, 2024-07-15, and
/// v2/context_object/test_context_object.snapshot.json, test_result_selector, 2024-09-11).
/// The order shows wherever AWS writes the object out: its history and the causes that quote it.
pub fn apply(template: &Value, input: &Value, context: &Context) -> Result<Value, StatesError> {
    match template {
        Value::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            let mut paths = 0;
            for (key, value) in fields {
                if key.ends_with(".$") {
                    paths += 1;
                } else {
                    out.insert(key.clone(), apply(value, input, context)?);
                }
            }
            let mut path_fields = fields.iter().filter_map(|(key, value)| Some((key.strip_suffix(".$")?, key, value)));
            let mut put = |(name, key, value): (&str, &String, &Value)| {
                out.insert(name.to_string(), resolve(key, value, input, context)?);
                Ok::<_, StatesError>(())
            };
            // One path field needs no ordering, nor the allocation sorting would take.
            if paths > 1 {
                let mut ordered: Vec<_> = path_fields.collect();
                crate::java_order::sort_as_hash_map(&mut ordered, |(name, ..)| name);
                ordered.into_iter().try_for_each(&mut put)?;
            } else {
                path_fields.try_for_each(&mut put)?;
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

/// The value of one `.$` field: its path's or its intrinsic function's.
fn resolve(key: &str, value: &Value, input: &Value, context: &Context) -> Result<Value, StatesError> {
    let expr = value
        .as_str()
        .ok_or_else(|| StatesError::runtime(format!("the value of '{key}' must be a path or intrinsic function string")))?;
    if intrinsics::is_intrinsic(expr) {
        intrinsics::evaluate(expr, input, context)
    } else {
        refuse_null_input(expr, input)?;
        lookup_in_template(expr, input, context)?.ok_or_else(|| not_found(expr, key, input, context))
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

    /// The orders AWS recorded (the sources on `apply`).
    #[test]
    fn written_fields_come_first_then_path_fields_in_java_hash_map_order() {
        let names = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let context = Context::fixed(json!({"Execution": {"Id": "x"}}));
        let recorded = [
            "execution",
            "execution_rolearn",
            "execution_name",
            "statemachine_id",
            "execution_id",
            "execution_input",
            "execution_starttime",
            "state_name",
            "state_enteredtime",
            "statemachine",
            "state",
            "context_object",
            "statemachine_name",
        ];
        let mut template = Map::new();
        let mut written: Vec<&str> = recorded.to_vec();
        written.sort_unstable();
        for name in written {
            template.insert(format!("{name}.$"), json!("$$.Execution"));
        }
        assert_eq!(names(&apply(&Value::Object(template), &json!({}), &context).unwrap()), recorded);

        let selector = json!({"LambdaOutput.$": "$", "ContextObjectValue.$": "$$.Execution"});
        assert_eq!(
            names(&apply(&selector, &json!({}), &context).unwrap()),
            ["ContextObjectValue", "LambdaOutput"]
        );

        let parameters = json!({"FunctionName.$": "$.f", "Payload": {"Input.$": "$"}});
        assert_eq!(
            names(&apply(&parameters, &json!({"f": "fn"}), &context).unwrap()),
            ["Payload", "FunctionName"]
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
