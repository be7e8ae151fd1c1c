//! A Map state's numbers — MaxConcurrency, the tolerances, its ItemBatcher's limits and its
//! ItemReader's MaxItems — each written as a number (in a JSONata state, an expression) or read
//! by its `…Path`, refused alike in AWS's words (floci-io/floci#3733, measured on AWS on
//! 2026-09-16): the number and its path together ("There should only be one of the following
//! fields: [MaxItems, MaxItemsPath]"), a number below its minimum ("Minimum value is 0") or above
//! its maximum, a path into the context object or to more than one node ("Value is not a
//! Reference Path": only ItemsPath may read the context object; floci's tests pin
//! `$.limits[*]` refused there), and, in a JSONata state, a path at all.

use serde_json::{Map, Value};

use super::{Checker, PathField, path_problem};
use crate::path::Path;

/// A number's range, as AWS words its bounds, and whether it counts.
pub(super) struct Range {
    pub minimum: &'static str,
    pub maximum: Option<&'static str>,
    pub whole: bool,
}

/// A count: 0 or more.
pub(super) const COUNT: Range = Range {
    minimum: "0",
    maximum: None,
    whole: true,
};

impl Checker {
    /// The number `name` of the object `fields` at `location`, and its `…Path`.
    pub(super) fn map_number(&mut self, fields: &Map<String, Value>, name: &str, location: &str, jsonata: bool, range: &Range) {
        let path = format!("{name}Path");
        let at = |f: &str| format!("{location}/{f}");
        self.exclusive(fields, (name, &path), location);
        if let Some(n) = self.number_or_expression(fields.get(name), name, &at(name), jsonata) {
            if n < 0.0 {
                self.report("SCHEMA_VALIDATION_FAILED", format!("Minimum value is {}", range.minimum), &at(name));
            } else if range.whole && n.fract() != 0.0 {
                self.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: Integer", &at(name));
            }
            if let Some(maximum) = range.maximum.filter(|m| m.parse::<f64>().is_ok_and(|m| n > m)) {
                self.report("SCHEMA_VALIDATION_FAILED", format!("Maximum value is {maximum}"), &at(name));
            }
        }
        match fields.get(&path).and_then(Value::as_str) {
            Some(p) if p.starts_with("$$") || (path_problem(p).is_none() && !one_node(p)) => {
                self.report("SCHEMA_VALIDATION_FAILED", "Value is not a Reference Path", &at(&path));
            }
            _ => self.path(fields.get(&path), &at(&path), PathField::Plain),
        }
    }

    /// A `…Path` field inside a Map's ItemBatcher or ReaderConfig, in a JSONata state: refused
    /// as a state's own JSONPath fields are, at the object that holds it.
    pub(super) fn jsonpath_only(&mut self, fields: &Map<String, Value>, names: &[&str], location: &str) {
        for name in names.iter().map(|n| format!("{n}Path")).filter(|p| fields.contains_key(p)) {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("The QueryLanguage is set to 'JSONata', but field '{name}' is only supported for the 'JSONPath' QueryLanguage"),
                location,
            );
        }
    }

    /// An ItemReader's ReaderConfig: its numbers, and the fields that go together; the reader's
    /// S3 resource is the service's to refuse.
    pub(super) fn item_reader(&mut self, reader: &Value, location: &str, jsonata: bool) {
        self.call_template(reader, location, jsonata);
        let Some(config) = reader.get("ReaderConfig").and_then(Value::as_object) else {
            return;
        };
        let location = format!("{location}/ReaderConfig");
        if jsonata {
            self.jsonpath_only(config, &["MaxItems"], &location);
        }
        let range = Range {
            maximum: Some("100000000"),
            ..COUNT
        };
        self.map_number(config, "MaxItems", &location, jsonata, &range);
        self.reader_config(config, &location);
    }
}

impl Checker {
    /// The call a Distributed Map's ItemReader or ResultWriter makes: its Parameters (paths and
    /// intrinsic functions) or, in JSONata, its Arguments, checked as a Task's are, against the
    /// Map state's input.
    pub(super) fn call_template(&mut self, call: &Value, location: &str, jsonata: bool) {
        if jsonata {
            self.jsonata(call.get("Arguments"), &format!("{location}/Arguments"));
        } else {
            self.template(call.get("Parameters"), &format!("{location}/Parameters"));
        }
    }
}

/// Whether a path reads one node of the input or of a variable (`$limit`, `$config.limit`): a
/// Reference Path that may start from a variable, as a Map number's path may
/// (test_assign_reference_variables, tests/conformance/states.json).
fn one_node(path: &str) -> bool {
    let from_input = match crate::path::variable_path(path) {
        Some((_, tail)) => format!("${tail}"),
        None => path.to_string(),
    };
    Path::parse(&from_input).is_ok_and(|p| p.is_reference())
}
