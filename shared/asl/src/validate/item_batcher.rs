//! A Distributed Map's `ItemBatcher` (developer guide, ItemBatcher (Map)): its fields, the
//! numbers it takes (or, in a JSONata state, expressions yielding them), their paths, and the
//! `BatchInput` template. Checked here so that the interpreter's typed reading never meets a
//! shape it would refuse in words of its own.

use serde_json::Value;

use super::map_numbers::{COUNT, Range};
use super::{Checker, not_supported};

/// The largest batch input, a state's payload limit (developer guide, ItemBatcher:
/// "MaxInputBytesPerBatch … up to 256 KiB").
const PAYLOAD_LIMIT_TEXT: &str = "262144";

const FIELDS: [&str; 5] = [
    "MaxItemsPerBatch",
    "MaxItemsPerBatchPath",
    "MaxInputBytesPerBatch",
    "MaxInputBytesPerBatchPath",
    "BatchInput",
];

impl Checker {
    pub(super) fn item_batcher(&mut self, value: &Value, location: &str, jsonata: bool) {
        let Some(fields) = value.as_object() else {
            self.report("SCHEMA_VALIDATION_FAILED", "ItemBatcher must be an object", location);
            return;
        };
        let at = |f: &str| format!("{location}/{f}");
        for f in fields.keys().filter(|f| !FIELDS.contains(&f.as_str())) {
            self.report("SCHEMA_VALIDATION_FAILED", not_supported(f), &at(f));
        }
        if jsonata {
            self.jsonpath_only(fields, &["MaxItemsPerBatch", "MaxInputBytesPerBatch"], location);
        }
        self.map_number(fields, "MaxItemsPerBatch", location, jsonata, &COUNT);
        // A batch's input may be no larger than a state's.
        let bytes = Range {
            maximum: Some(PAYLOAD_LIMIT_TEXT),
            ..COUNT
        };
        self.map_number(fields, "MaxInputBytesPerBatch", location, jsonata, &bytes);
        match (fields.get("BatchInput"), jsonata) {
            (None, _) => {}
            (Some(b @ Value::Object(_)), false) => self.template(Some(b), &at("BatchInput")),
            (Some(b @ Value::Object(_)), true) => self.jsonata(Some(b), &at("BatchInput")),
            (Some(_), _) => self.report("SCHEMA_VALIDATION_FAILED", "BatchInput must be an object", &at("BatchInput")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::validate;

    fn batched(batcher: Value, language: &str) -> Vec<String> {
        let definition = json!({
            "QueryLanguage": language,
            "StartAt": "M",
            "States": {"M": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": true}}
                },
                "ItemBatcher": batcher,
                "End": true
            }}
        });
        validate(&definition).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_developer_guide_s_batchers_pass() {
        let tutorial = json!({"MaxItemsPerBatch": 3, "BatchInput": {"MyMultiplicationFactor.$": "$.MyMultiplicationFactor"}});
        assert!(batched(tutorial, "JSONPath").is_empty());
        let jsonata = json!({
            "MaxItemsPerBatch": "{% $states.input.MaxItemsPerBatch %}",
            "MaxInputBytesPerBatch": "{% $states.input.MaxInputBytesPerBatch %}",
            "BatchInput": {"BatchTimestamp": "{% $states.context.State.EnteredTime %}"}
        });
        assert!(batched(jsonata, "JSONata").is_empty());
    }

    #[test]
    fn the_batch_input_limit_is_the_payload_limit() {
        assert_eq!(crate::io::PAYLOAD_LIMIT.to_string(), super::PAYLOAD_LIMIT_TEXT);
    }

    /// AWS's refusals for every Map number (floci-io/floci#3733, measured on AWS): 0 is taken,
    /// a path into the context object is not, nor a path at all in a JSONata state.
    #[test]
    fn a_batcher_s_numbers_are_refused_as_aws_refuses_a_map_s() {
        assert!(batched(json!({"MaxItemsPerBatch": 0, "MaxInputBytesPerBatch": 0}), "JSONPath").is_empty());
        assert_eq!(
            batched(
                json!({"MaxItemsPerBatchPath": "$$.Execution.Input.n", "MaxInputBytesPerBatch": 1.5}),
                "JSONPath"
            ),
            [
                "SCHEMA_VALIDATION_FAILED: Value is not a Reference Path at /States/M/ItemBatcher/MaxItemsPerBatchPath",
                "SCHEMA_VALIDATION_FAILED: Expected value of type: Integer at /States/M/ItemBatcher/MaxInputBytesPerBatch",
            ]
        );
        assert_eq!(
            batched(json!({"MaxItemsPerBatchPath": "$.n"}), "JSONata"),
            [
                "SCHEMA_VALIDATION_FAILED: The QueryLanguage is set to 'JSONata', but field 'MaxItemsPerBatchPath' is only supported for the 'JSONPath' QueryLanguage at /States/M/ItemBatcher"
            ]
        );
    }

    #[test]
    fn a_batcher_s_fields_are_checked_where_they_are() {
        assert_eq!(
            batched(
                json!({"MaxItemsPerBatch": -1, "MaxInputBytesPerBatch": 300000, "MaxItemsPerBatchPath": "$.n", "Size": 1}),
                "JSONPath"
            ),
            [
                "SCHEMA_VALIDATION_FAILED: Field 'Size' is not supported at /States/M/ItemBatcher/Size",
                "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [MaxItemsPerBatch, MaxItemsPerBatchPath] at /States/M/ItemBatcher",
                "SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/M/ItemBatcher/MaxItemsPerBatch",
                "SCHEMA_VALIDATION_FAILED: Maximum value is 262144 at /States/M/ItemBatcher/MaxInputBytesPerBatch",
            ]
        );
        assert_eq!(
            batched(json!({"MaxItemsPerBatch": "{% 3 %}", "BatchInput": []}), "JSONPath"),
            [
                "SCHEMA_VALIDATION_FAILED: MaxItemsPerBatch must be a number at /States/M/ItemBatcher/MaxItemsPerBatch",
                "SCHEMA_VALIDATION_FAILED: BatchInput must be an object at /States/M/ItemBatcher/BatchInput",
            ]
        );
    }
}
