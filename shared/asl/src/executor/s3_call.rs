//! What a Distributed Map's S3 calls are given: an `ItemReader`'s or a `ResultWriter`'s
//! `Parameters` (JSONPath) or `Arguments` (JSONata), and the bucket and key prefix they name.

use serde::Deserialize;
use serde_json::Value;

use crate::context::Context;
use crate::error::StatesError;
use crate::io::{Lang, call_template, template};

/// A bucket and the beginning of keys in it: where an `s3:listObjectsV2` reader lists, and
/// where an `s3:putObject` writer writes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Location {
    pub(super) bucket: String,
    #[serde(default)]
    pub(super) prefix: String,
}

impl Location {
    /// The location `arguments` name; `failed` makes the error of `field`, which gave them.
    pub(super) fn named(arguments: &Value, field: &str, failed: fn(String) -> StatesError) -> Result<Location, StatesError> {
        serde_json::from_value(arguments.clone()).map_err(|_| {
            failed(format!(
                "the {field} must name a Bucket, and may name a Prefix, as strings; it gave {arguments}"
            ))
        })
    }
}

/// A call's arguments: its `Parameters` over `effective` (the state's input after InputPath) in
/// JSONPath, its `Arguments` over the state's input in JSONata; null when the state's language
/// gives none.
pub(super) fn arguments(
    lang: Lang,
    (parameters, arguments): (Option<&Value>, Option<&Value>),
    (input, effective): (&Value, &Value),
    ctx: &Context,
) -> Result<Value, StatesError> {
    Ok(match call_template(lang, parameters, arguments) {
        Some((written, field)) => template(lang, written, field, (input, effective), ctx)?,
        None => Value::Null,
    })
}
