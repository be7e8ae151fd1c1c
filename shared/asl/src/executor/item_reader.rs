//! A Distributed Map's `ItemReader` (developer guide, ItemReader (Map)), read through the
//! interpreter's [`Objects`](crate::objects::Objects): an S3 object (`s3:getObject`) as a JSON
//! array or object (the document itself, or what its `ItemsPointer` selects; an object's
//! entries are its items, as `map_entries` says), JSON Lines or a
//! text-delimited file; or a bucket's listing (`s3:listObjectsV2`), one item per object, or,
//! with `LOAD_AND_FLATTEN`, the items of every object listed, read as one object is. At most
//! `MaxItems` of them.
//!
//! Manifests, Parquet and compressed objects are refused with the reason: the items AWS makes
//! of them are not on record here, and a guess would run differently than AWS does.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::Interpreter;
use super::map_entries::{self, Keys};
use super::map_limits::{field_number, path_parsed, whole};
use super::s3_call::{self, Location};
use crate::context::Context;
use crate::csv_items;
use crate::definition::NumberOrExpression;
use crate::error::{StatesError, names};
use crate::io::Lang;
use crate::objects::{ObjectSummary, Objects};

/// What an `ItemReader` holds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ItemReader {
    resource: String,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    arguments: Option<Value>,
    #[serde(default)]
    reader_config: ReaderConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReaderConfig {
    #[serde(default)]
    input_type: Option<String>,
    #[serde(default, rename = "CSVHeaderLocation")]
    csv_header_location: Option<String>,
    #[serde(default, rename = "CSVHeaders")]
    csv_headers: Option<Vec<String>>,
    #[serde(default, rename = "CSVDelimiter")]
    csv_delimiter: Option<String>,
    #[serde(default)]
    max_items: Option<NumberOrExpression>,
    #[serde(default)]
    max_items_path: Option<String>,
    /// The array within a JSON object to read (a JSON Pointer, `/data/items`).
    #[serde(default)]
    items_pointer: Option<String>,
    #[serde(default)]
    manifest_type: Option<String>,
    #[serde(default)]
    transformation: Option<String>,
}

/// The object an `s3:getObject` reader names.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ObjectName {
    bucket: String,
    key: String,
}

/// Where the items a reader read came from, as `$$.Map.Item.Source` gives it: the bucket for a
/// listing's items (`s3://bucket`), the object for the items of a `LOAD_AND_FLATTEN` listing
/// (`s3://bucket/prefix/one.json`), recorded on AWS (gabrielmoreira/tiny-asl-machine,
/// tests/conformance/cases/.snapshots/aws/Observation.ItemReader-002 and -003); the object for
/// an object's items, read the same way (not on record).
#[derive(Debug)]
pub(crate) enum Sources {
    All(Arc<str>),
    Each(Vec<Arc<str>>),
}

impl Sources {
    /// The source of the item at `index`.
    pub(crate) fn of(&self, index: usize) -> Option<Arc<str>> {
        match self {
            Self::All(source) => Some(source.clone()),
            Self::Each(sources) => sources.get(index).cloned(),
        }
    }
}

fn s3_uri(bucket: &str, key: Option<&str>) -> Arc<str> {
    match key {
        Some(key) => Arc::from(format!("s3://{bucket}/{key}")),
        None => Arc::from(format!("s3://{bucket}")),
    }
}

fn failed(cause: impl Into<String>) -> StatesError {
    StatesError::new(names::ITEM_READER_FAILED, cause)
}

/// A negative MaxItems (from a MaxItemsPath or a JSONata expression; a number written in the
/// definition is refused before), which the reader refuses in these words, as AWS recorded
/// (test_map_item_reader_csv_max_items_paths[-1]).
fn not_positive() -> StatesError {
    failed("field MaxItems must be positive")
}

impl Interpreter {
    /// The items `reader` reads. `input` is the state's input, which the reader's JSONata
    /// Arguments and its numbers read; `effective` is what its InputPath selected, which its
    /// JSONPath Parameters read, as the ItemSelector does.
    pub(super) async fn read_items(
        &self,
        name: &str,
        reader: &Value,
        lang: Lang,
        (input, effective): (&Value, &Value),
        ctx: &Context,
    ) -> Result<(Vec<Value>, Sources, Keys), StatesError> {
        // The validator has checked the fields' types; what it let pass and this cannot read is
        // said in these words, the reader's own left to the log.
        let reader: ItemReader = serde_json::from_value(reader.clone()).map_err(|e| {
            tracing::debug!(state = name, error = %e, "ItemReader not read");
            StatesError::runtime(format!(
                "Map state '{name}' has an ItemReader whose Resource, Parameters, Arguments or ReaderConfig is not of the type Step Functions takes"
            ))
        })?;
        let action = reader.resource.rsplit(':').next().unwrap_or_default();
        if !matches!(action, "getObject" | "listObjectsV2") {
            return Err(StatesError::runtime(format!(
                "Map state '{name}' reads its items with {}, which a local run does not do: it reads an object (arn:aws:states:::s3:getObject) or a listing (arn:aws:states:::s3:listObjectsV2)",
                reader.resource
            )));
        }
        let objects = self.objects.as_ref().ok_or_else(|| {
            StatesError::runtime(format!(
                "Map state '{name}' reads its items from S3 (ItemReader), and this run has no objects to read them from (baton asl run --s3-dir DIR)"
            ))
        })?;
        let arguments = s3_call::arguments(
            lang,
            (reader.parameters.as_ref(), reader.arguments.as_ref()),
            (input, effective),
            ctx,
        )?;
        let config = &reader.reader_config;
        let max_items = match (
            field_number(config.max_items.as_ref(), "MaxItems", input, ctx)?,
            &config.max_items_path,
        ) {
            (Some(n), _) if n < 0.0 => return Err(not_positive()),
            (Some(n), _) => whole(n, "MaxItems")?,
            // Read as text, as AWS reads it: `1.5` "is not a valid integer", which fails the
            // state; `-1` is one, which the reader then refuses, failing the Map Run (recorded
            // on AWS in localstack/localstack, test_base_scenarios.snapshot.json,
            // test_map_item_reader_csv_max_items_paths[1.5] and [-1], 2024-03-25).
            (None, Some(p)) => match path_parsed::<i32>(p, "MaxItemsPath", "integer", input, ctx)? {
                n if n < 0 => return Err(not_positive()),
                n => whole(f64::from(n), "MaxItemsPath")?,
            },
            (None, None) => 0,
        };
        // A MaxItems of 0 sets no bound: AWS read all four rows (test_map_item_reader_csv_max_items
        // [0], beside the recording above).
        let limit = match max_items {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let flatten = match config.transformation.as_deref() {
            None | Some("NONE") => false,
            Some("LOAD_AND_FLATTEN") if action == "listObjectsV2" => true,
            Some(other) => {
                return Err(StatesError::runtime(format!(
                    "Map state '{name}' has an ItemReader Transformation {other}; Step Functions takes NONE, or LOAD_AND_FLATTEN over a listing (arn:aws:states:::s3:listObjectsV2)"
                )));
            }
        };
        if action == "getObject" {
            // AWS's words, before it reads anything (recorded on AWS: gabrielmoreira/
            // tiny-asl-machine, tests/conformance/cases/.snapshots/aws/Validation.ItemReader-006).
            if config.input_type.as_deref() == Some("PARQUET") && arguments.get("VersionId").is_some() {
                return Err(failed("S3 Version ID selection is not currently supported for PARQUET files"));
            }
            let object: ObjectName = serde_json::from_value(arguments.clone()).map_err(|_| {
                failed(format!(
                    "the ItemReader must name a Bucket and a Key, as strings; it gave {arguments}"
                ))
            })?;
            let (items, keys) = parse(&text_of(objects.as_ref(), &object.bucket, &object.key).await?, config, limit)?;
            return Ok((items, Sources::All(s3_uri(&object.bucket, Some(&object.key))), keys));
        }
        let listing = Location::named(&arguments, "ItemReader", failed)?;
        let mut listed = objects.list_objects(&listing.bucket, &listing.prefix).await.map_err(failed)?;
        // ListObjectsV2 gives keys "in an ascending order of the respective key names", which
        // is the order of their UTF-8 bytes, as `str` compares them.
        listed.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        if !flatten {
            let items = listed.into_iter().take(limit).map(listed_item).collect();
            return Ok((items, Sources::All(s3_uri(&listing.bucket, None)), Keys::default()));
        }
        let (mut items, mut sources, mut keys) = (Vec::new(), Vec::new(), Keys::default());
        for object in listed {
            if items.len() == limit {
                break;
            }
            let text = text_of(objects.as_ref(), &listing.bucket, &object.key).await?;
            let (read, read_keys) = parse(&text, config, limit - items.len())?;
            let source = s3_uri(&listing.bucket, Some(&object.key));
            sources.extend(std::iter::repeat_n(source, read.len()));
            keys.append(items.len(), read_keys);
            items.extend(read);
        }
        Ok((items, Sources::Each(sources), keys))
    }
}

/// An object's content, as text.
async fn text_of(objects: &dyn Objects, bucket: &str, key: &str) -> Result<String, StatesError> {
    let bytes = objects.get_object(bucket, key).await.map_err(failed)?;
    // AWS reads GZIP and ZSTD objects (developer guide, ReaderConfig's InputType); how it tells
    // them is not on record, so a local run says what it found rather than guess.
    let compressed = match bytes.get(..4) {
        Some([0x1f, 0x8b, ..]) => Some("GZIP"),
        Some([0x28, 0xb5, 0x2f, 0xfd]) => Some("ZSTD"),
        _ => None,
    };
    if let Some(kind) = compressed {
        return Err(StatesError::runtime(format!(
            "s3://{bucket}/{key} is compressed ({kind}), which a local run does not read: give it uncompressed"
        )));
    }
    String::from_utf8(bytes).map_err(|_| failed(format!("s3://{bucket}/{key} is not UTF-8 text")))
}

/// The item a listed object makes: the developer guide's example of the input a child workflow
/// execution receives from `s3:listObjectsV2` (ItemReader (Map), "A list of Amazon S3
/// objects"), in its member order. A directory standing for S3 keeps everything in STANDARD.
fn listed_item(object: ObjectSummary) -> Value {
    serde_json::json!({
        "Etag": object.etag,
        "Key": object.key,
        "LastModified": object.last_modified,
        "Size": object.size,
        "StorageClass": "STANDARD",
    })
}

/// The items of an object's text, read as its `InputType` says, and the keys of those that are
/// the entries of a JSON object.
fn parse(text: &str, config: &ReaderConfig, limit: usize) -> Result<(Vec<Value>, Keys), StatesError> {
    if let Some(what) = config.manifest_type.as_deref() {
        return Err(StatesError::runtime(format!(
            "an ItemReader's {what} is not read by a local run: it reads objects of JSON, JSONL or CSV"
        )));
    }
    match config.input_type.as_deref().unwrap_or("JSON") {
        "JSON" => {
            let mut document: Value = serde_json::from_str(text)
                .map_err(|e| failed(format!("the object is not JSON (line {}, column {})", e.line(), e.column())))?;
            let pointer = config.items_pointer.as_deref().unwrap_or_default();
            match document.pointer_mut(pointer).map(Value::take) {
                Some(Value::Array(items)) => Ok((items.into_iter().take(limit).collect(), Keys::default())),
                // An object's entries, as AWS read them in 2026 (floci-io/floci#1588), where in
                // 2023 it refused the object (localstack/localstack, tests/aws/services/
                // stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
                // test_map_item_reader_json_no_json_list_object).
                Some(Value::Object(object)) => Ok(map_entries::entries(object, limit)),
                // A scalar keeps the words AWS refused the object with in 2023.
                Some(_) if pointer.is_empty() => Err(failed("Attempting to map over non-iterable node.")),
                _ => Err(failed(format!("ItemsPointer {pointer} selects no array or object in the object"))),
            }
        }
        "JSONL" => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .take(limit)
            .enumerate()
            .map(|(n, line)| serde_json::from_str(line).map_err(|e| failed(format!("item {} is not JSON (column {})", n + 1, e.column()))))
            .collect::<Result<_, _>>()
            .map(|items| (items, Keys::default())),
        "CSV" => {
            let delimiter = csv_items::delimiter(config.csv_delimiter.as_deref()).ok_or_else(|| {
                failed(format!(
                    "CSVDelimiter {:?} is none of COMMA, PIPE, SEMICOLON, SPACE, TAB",
                    config.csv_delimiter
                ))
            })?;
            let mut records = csv_items::records(text, delimiter).into_iter();
            let headers = match (config.csv_header_location.as_deref(), &config.csv_headers) {
                (Some("GIVEN"), Some(given)) => given.clone(),
                (Some("GIVEN"), None) => return Err(failed("CSVHeaderLocation GIVEN needs CSVHeaders")),
                _ => records.next().unwrap_or_default(),
            };
            let mut seen = std::collections::HashSet::new();
            if !headers.iter().all(|h| seen.insert(h)) {
                // As AWS recorded, as for JSON above
                // (test_map_item_reader_csv_headers_decl_duplicate_headers).
                return Err(failed("CSV headers cannot contain duplicates."));
            }
            let columns = csv_items::columns(headers);
            let items = records.take(limit).map(|record| csv_items::item(&columns, record)).collect();
            Ok((items, Keys::default()))
        }
        other => Err(StatesError::runtime(format!(
            "an ItemReader's InputType {other} is not read by a local run: it reads JSON, JSONL and CSV"
        ))),
    }
}
