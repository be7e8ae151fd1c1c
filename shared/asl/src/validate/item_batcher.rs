//! A Distributed Map's `ItemBatcher` (developer guide, ItemBatcher (Map)): its fields, the
//! numbers it takes (or, in a JSONata state, expressions yielding them), their paths, and the
//! `BatchInput` template. Checked here so that the interpreter's typed reading never meets a
//! shape it would refuse in words of its own.

use serde_json::Value;

use super::{Checker, PathField};
use crate::io::PAYLOAD_LIMIT;

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
            self.report("SCHEMA_VALIDATION_FAILED", format!("Field '{f}' is not supported"), &at(f));
        }
        for (f, path, maximum) in [
            ("MaxItemsPerBatch", "MaxItemsPerBatchPath", None),
            // A batch's input may be no larger than a state's.
            ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", Some(PAYLOAD_LIMIT)),
        ] {
            self.exclusive(fields, (f, path), location);
            if let Some(n) = self.number_or_expression(fields.get(f), f, &at(f), jsonata) {
                if !(n >= 1.0 && n.fract() == 0.0) {
                    self.report("SCHEMA_VALIDATION_FAILED", format!("{f} must be a whole number, 1 or more"), &at(f));
                } else if let Some(m) = maximum.filter(|&m| n > m as f64) {
                    self.report("SCHEMA_VALIDATION_FAILED", format!("Maximum value is {m}"), &at(f));
                }
            }
            self.path(fields.get(path), &at(path), PathField::Plain);
        }
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
    fn a_batcher_s_fields_are_checked_where_they_are() {
        assert_eq!(
            batched(
                json!({"MaxItemsPerBatch": 0, "MaxInputBytesPerBatch": 300000, "MaxItemsPerBatchPath": "$.n", "Size": 1}),
                "JSONPath"
            ),
            [
                "SCHEMA_VALIDATION_FAILED: Field 'Size' is not supported at /States/M/ItemBatcher/Size",
                "SCHEMA_VALIDATION_FAILED: There should only be one of the following fields: [MaxItemsPerBatch, MaxItemsPerBatchPath] at /States/M/ItemBatcher",
                "SCHEMA_VALIDATION_FAILED: MaxItemsPerBatch must be a whole number, 1 or more at /States/M/ItemBatcher/MaxItemsPerBatch",
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
