//! An ItemReader's ReaderConfig fields that only go together in some ways. AWS refused each of
//! these at creation (a public Step Functions conformance catalogue whose cases run against AWS,
//! its Validation.ItemReader cases 001 to 009): an InputType beside
//! ManifestType S3_INVENTORY; Transformation LOAD_AND_FLATTEN without one; ItemsPointer with a
//! CSV input or holding no JSON Pointer; CSVHeaderLocation with JSON or JSONL input; ManifestType
//! ATHENA_DATA over JSON; CSVHeaderLocation GIVEN without CSVHeaders. Their words are not on
//! record, so these are Baton's, under the code AWS gives every definition it refuses.

use serde_json::{Map, Value};

use super::Checker;

impl Checker {
    pub(super) fn reader_config(&mut self, config: &Map<String, Value>, location: &str) {
        let text = |name: &str| config.get(name).and_then(Value::as_str);
        let input_type = text("InputType");
        let mut refuse = |why: &str| self.report("SCHEMA_VALIDATION_FAILED", why.to_string(), location);
        match (text("ManifestType"), input_type) {
            (Some("S3_INVENTORY"), Some(_)) => refuse("An S3_INVENTORY manifest gives no InputType"),
            (Some("ATHENA_DATA"), Some(kind)) if !matches!(kind, "CSV" | "JSONL" | "PARQUET") => {
                refuse("An ATHENA_DATA manifest reads CSV, JSONL or PARQUET input")
            }
            _ => {}
        }
        if text("Transformation") == Some("LOAD_AND_FLATTEN") && input_type.is_none() {
            refuse("Transformation LOAD_AND_FLATTEN needs an InputType");
        }
        if let Some(pointer) = config.get("ItemsPointer") {
            if input_type != Some("JSON") {
                refuse("ItemsPointer reads JSON input only");
            }
            if !pointer.as_str().is_some_and(|p| p.is_empty() || p.starts_with('/')) {
                refuse("ItemsPointer must be a JSON Pointer, such as /data/items");
            }
        }
        if config.contains_key("CSVHeaderLocation") && matches!(input_type, Some("JSON" | "JSONL")) {
            refuse("CSVHeaderLocation is for CSV input");
        }
        if text("CSVHeaderLocation") == Some("GIVEN") && !config.contains_key("CSVHeaders") {
            refuse("CSVHeaderLocation GIVEN needs CSVHeaders");
        }
    }
}
