//! What ValidateStateMachineDefinition warns about without refusing the definition: the
//! warning codes of its API reference (ValidateStateMachineDefinitionDiagnostic, "List of
//! warning codes"), each with the reference's own description as its message. A definition that
//! draws one still runs: the value it names is taken as written, which is rarely what the author
//! meant. One more is Baton's own (`INLINE_MAP_TOLERANCE`): a field AWS takes but an inline Map
//! does not act on.

use serde_json::Value;

use super::{each_state, each_template_field};
use crate::error::Diagnostic;
use crate::intrinsics;

/// "No .$ on a field that appears to be a JSONPath or Intrinsic Function."
const NO_DOLLAR: &str = "No .$ on a field that appears to be a JSONPath or Intrinsic Function.";
/// "Field value looks like a path, but field name does not end with 'Path'."
const NO_PATH: &str = "Field value looks like a path, but field name does not end with 'Path'.";
/// "Attempt to use a path in the result of a pass state."
const PASS_RESULT_IS_STATIC: &str = "Attempt to use a path in the result of a pass state.";

/// The tolerated-failure fields, which AWS takes on any Map state but which belong to the
/// Distributed Map (the developer guide's Map state page lists them among its fields).
const TOLERANCE: [&str; 4] = [
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
];

/// The warnings for `definition`, located as its errors are.
pub fn warnings(definition: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let machine_jsonata = definition.get("QueryLanguage").and_then(Value::as_str) == Some("JSONata");
    each_state(definition, "", &mut |state, here| {
        let jsonata = match state.get("QueryLanguage").and_then(Value::as_str) {
            Some(language) => language == "JSONata",
            None => machine_jsonata,
        };
        if !jsonata {
            state_warnings(state, here, &mut out);
        }
        inline_map_tolerance(state, here, &mut out);
    });
    out
}

/// A tolerated-failure field on an inline Map: taken, but the Map still fails at its first failed
/// iteration, as the ASL spec's Map state does.
fn inline_map_tolerance(state: &Value, here: &str, out: &mut Vec<Diagnostic>) {
    let mode = state.get("ItemProcessor").and_then(|p| p.pointer("/ProcessorConfig/Mode"));
    if state.get("Type").and_then(Value::as_str) != Some("Map") || mode.and_then(Value::as_str) == Some("DISTRIBUTED") {
        return;
    }
    for field in TOLERANCE.into_iter().filter(|f| state.get(f).is_some()) {
        out.push(Diagnostic {
            code: "INLINE_MAP_TOLERANCE",
            message: format!(
                "{field} applies to a Distributed Map (ProcessorConfig Mode DISTRIBUTED); this inline Map fails at its first failed iteration."
            ),
            location: format!("{here}/{field}"),
        });
    }
}

fn state_warnings(state: &Value, here: &str, out: &mut Vec<Diagnostic>) {
    let mut warn = |code: &'static str, message: &str, location: String| {
        out.push(Diagnostic {
            code,
            message: message.to_string(),
            location,
        });
    };
    // A field whose name lacks `.$` but whose value reads as a path or an intrinsic call: it is
    // kept as the text it is.
    for field in ["Parameters", "ResultSelector", "ItemSelector", "Assign"] {
        if let Some(template) = state.get(field) {
            each_template_field(template, &format!("{here}/{field}"), &mut |key, value, holder| {
                if !key.ends_with(".$")
                    && value
                        .as_str()
                        .is_some_and(|text| looks_like_a_path(text) || intrinsics::is_intrinsic(text) && text.contains('('))
                {
                    warn("NO_DOLLAR", NO_DOLLAR, format!("{holder}/{key}"));
                }
            });
        }
    }
    if state.get("Type").and_then(Value::as_str) == Some("Pass")
        && let Some(Value::Object(result)) = state.get("Result")
        && result.keys().any(|k| k.ends_with(".$"))
    {
        warn("PASS_RESULT_IS_STATIC", PASS_RESULT_IS_STATIC, format!("{here}/Result"));
    }
    // The fields that have a `…Path` twin, written with a path in the plain one.
    for field in ["Error", "Cause"] {
        if state.get(field).and_then(Value::as_str).is_some_and(looks_like_a_path) {
            warn("NO_PATH", NO_PATH, format!("{here}/{field}"));
        }
    }
}

/// `$`, `$.x`, `$[0]`, or a context path: not `$LATEST` or a price.
fn looks_like_a_path(text: &str) -> bool {
    text == "$" || text.starts_with("$.") || text.starts_with("$[") || text.starts_with("$$")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::warnings;

    fn found(definition: serde_json::Value) -> Vec<String> {
        warnings(&definition).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_path_without_its_dollar_suffix_is_warned_about_where_it_stands() {
        let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f:$LATEST", "Payload": {"id": "$.id", "note.$": "$.note", "list": ["States.Format('{}', $.a)", {"y": "$.y"}]}},
            "End": true}}});
        assert_eq!(
            found(definition),
            // An array's element has no name to end with `.$`: only fields are warned about.
            [
                "NO_DOLLAR: No .$ on a field that appears to be a JSONPath or Intrinsic Function. at /States/T/Parameters/Payload/id",
                "NO_DOLLAR: No .$ on a field that appears to be a JSONPath or Intrinsic Function. at /States/T/Parameters/Payload/list/1/y",
            ]
        );
    }

    #[test]
    fn a_pass_result_and_a_fail_error_with_paths_are_warned_about() {
        let definition = json!({"StartAt": "P", "States": {
            "P": {"Type": "Pass", "Result": {"unsupported1.$": "$.jsonpath"}, "Next": "M"},
            "M": {"Type": "Map", "Next": "F", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true,
                "Parameters": {"x": "$$.Map.Item.Value"}}}}},
            "F": {"Type": "Fail", "Error": "$.error", "Cause": "plain words"}}});
        assert_eq!(
            found(definition),
            [
                "PASS_RESULT_IS_STATIC: Attempt to use a path in the result of a pass state. at /States/P/Result",
                "NO_DOLLAR: No .$ on a field that appears to be a JSONPath or Intrinsic Function. at /States/M/ItemProcessor/States/I/Parameters/x",
                "NO_PATH: Field value looks like a path, but field name does not end with 'Path'. at /States/F/Error",
            ]
        );
    }

    #[test]
    fn tolerance_on_an_inline_map_is_warned_about_in_either_language() {
        let map = |language: &str, mode: &str| {
            json!({"QueryLanguage": language, "StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                "ToleratedFailurePercentage": 5, "ItemProcessor": {"ProcessorConfig": {"Mode": mode},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}})
        };
        let warned = [
            "INLINE_MAP_TOLERANCE: ToleratedFailurePercentage applies to a Distributed Map (ProcessorConfig Mode DISTRIBUTED); \
            this inline Map fails at its first failed iteration. at /States/M/ToleratedFailurePercentage",
        ];
        assert_eq!(found(map("JSONPath", "INLINE")), warned);
        assert_eq!(found(map("JSONata", "INLINE")), warned);
        assert!(found(map("JSONPath", "DISTRIBUTED")).is_empty());
    }

    #[test]
    fn jsonata_states_and_plain_text_draw_none() {
        let jsonata = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "Output": {"x": "$.not.a.path.here"}}}});
        assert!(found(jsonata).is_empty());
        let plain = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true,
            "Parameters": {"price": "$5", "version": "$LATEST", "text": "States.ALL is an error name"}}}});
        assert!(found(plain).is_empty());
    }
}
