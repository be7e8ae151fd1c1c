//! An ItemReader's ReaderConfig fields that only go together in some ways, refused in the words
//! ValidateStateMachineDefinition gave (recorded: gabrielmoreira/tiny-asl-machine,
//! tests/conformance/cases/.snapshots/aws/Validation.ItemReader-001 to -009): CSV input needs a
//! CSVHeaderLocation ("The field 'CSVHeaderLocation' is required", before anything else is
//! looked at, as AWS answered CSV beside an S3_INVENTORY manifest or an ItemsPointer),
//! Transformation LOAD_AND_FLATTEN an InputType; a field the InputType does not read is "not
//! supported" (CSVHeaderLocation and CSVHeaders beside JSONL, ManifestType beside JSON);
//! GIVEN needs CSVHeaders ("These fields are required: [CSVHeaders]"); an ItemsPointer is a JSON
//! Pointer ("Invalid input: JSON Pointer expression must start with '/': \"data/items\""). That
//! the CSV delimiter goes with the CSV fields, ItemsPointer with JSON input alone, and an
//! S3_INVENTORY manifest with no InputType, is Baton's reading of the same rule, in the same
//! words (not on record).

use serde_json::{Map, Value};

use super::{Checker, all_required, not_supported, required};

/// The fields only CSV input reads.
const CSV_ONLY: [&str; 3] = ["CSVHeaderLocation", "CSVHeaders", "CSVDelimiter"];

impl Checker {
    pub(super) fn reader_config(&mut self, config: &Map<String, Value>, location: &str) {
        let text = |name: &str| config.get(name).and_then(Value::as_str);
        let input_type = text("InputType");
        let mut refuse = |why: String| self.report("SCHEMA_VALIDATION_FAILED", why, location);
        if text("Transformation") == Some("LOAD_AND_FLATTEN") && input_type.is_none() {
            return refuse(required("InputType"));
        }
        if input_type == Some("CSV") && !config.contains_key("CSVHeaderLocation") {
            return refuse(required("CSVHeaderLocation"));
        }
        let unsupported = |field: &str| match input_type {
            None => false,
            Some(kind) => {
                CSV_ONLY.contains(&field) && kind != "CSV"
                    || field == "ItemsPointer" && kind != "JSON"
                    || field == "ManifestType" && kind == "JSON"
                    || field == "InputType" && text("ManifestType") == Some("S3_INVENTORY")
            }
        };
        for field in config.keys().filter(|field| unsupported(field)) {
            refuse(not_supported(field));
        }
        if input_type.is_none_or(|kind| kind == "JSON")
            && let Some(pointer) = config.get("ItemsPointer")
            && !pointer.as_str().is_some_and(|p| p.is_empty() || p.starts_with('/'))
        {
            refuse(format!("Invalid input: JSON Pointer expression must start with '/': {pointer}"));
        }
        if input_type == Some("CSV") && text("CSVHeaderLocation") == Some("GIVEN") && !config.contains_key("CSVHeaders") {
            refuse(all_required(&["CSVHeaders"]));
        }
    }
}
