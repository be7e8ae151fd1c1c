//! A Distributed Map's `ResultWriter` (developer guide, ResultWriter (Map)): the children's
//! results transformed as its `WriterConfig` says (`COMPACT` their outputs, `FLATTEN` their
//! arrays' items, `NONE` their execution records) and, when it names a bucket, exported there
//! through the interpreter's [`Objects`]: `PREFIX/RUN-ID/manifest.json` and a `SUCCEEDED_0.json`
//! or `FAILED_0.json` for the children that ended so, the state's result then being where they
//! are (`MapRunArn` and `ResultWriterDetails`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Interpreter;
use super::map_run::{ChildExecution, MapRun};
use super::s3_call::{self, Location};
use crate::context::{Context, timestamp};
use crate::error::{StatesError, names};
use crate::io::Lang;
use crate::objects::Objects;

/// What a `ResultWriter` holds.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Fields {
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default)]
    arguments: Option<Value>,
    #[serde(default)]
    writer_config: WriterConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WriterConfig {
    #[serde(default)]
    transformation: Option<String>,
    #[serde(default)]
    output_type: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transformation {
    /// Each child's execution record.
    None,
    /// Each child's output.
    Compact,
    /// Each child's output, an array's items in its place.
    Flatten,
}

/// A Map state's writer, read before its children run.
pub(super) struct Writer {
    transformation: Transformation,
    export: Option<Export>,
}

/// Where, and how, an exporting writer writes.
struct Export {
    destination: Location,
    jsonl: bool,
    objects: std::sync::Arc<dyn Objects>,
}

/// A child workflow execution as it ended.
#[derive(Debug)]
pub(super) struct Child {
    pub(super) execution: ChildExecution,
    pub(super) input: Value,
    pub(super) outcome: Result<Value, StatesError>,
    pub(super) stopped: DateTime<Utc>,
}

fn failed(cause: impl Into<String>) -> StatesError {
    StatesError::new(names::RESULT_WRITER_FAILED, cause)
}

impl Interpreter {
    /// The writer `fields` describe, its `Parameters` (JSONPath, reading `effective`) or
    /// `Arguments` (JSONata, reading `input`) evaluated.
    pub(super) fn result_writer(
        &self,
        name: &str,
        fields: &Value,
        lang: Lang,
        (input, effective): (&Value, &Value),
        ctx: &Context,
    ) -> Result<Writer, StatesError> {
        let refused = |why: String| StatesError::runtime(format!("Map state '{name}' has a ResultWriter {why}"));
        let fields: Fields = serde_json::from_value(fields.clone()).map_err(|e| {
            tracing::debug!(state = name, error = %e, "ResultWriter not read");
            refused("whose Resource, Parameters, Arguments or WriterConfig is not of the type Step Functions takes".into())
        })?;
        let config = &fields.writer_config;
        // The output type shapes the files an export writes; a state's output is JSON.
        let jsonl = match config.output_type.as_deref() {
            None | Some("JSON") => false,
            Some("JSONL") => true,
            Some(other) => return Err(refused(format!("of OutputType {other}; Step Functions takes JSON or JSONL"))),
        };
        let export = match (&fields.resource, lang, &fields.parameters, &fields.arguments) {
            (None, ..) => None,
            (Some(resource), ..) if !resource.ends_with(":s3:putObject") => {
                return Err(refused(format!(
                    "of Resource {resource}; Step Functions writes results with arn:aws:states:::s3:putObject"
                )));
            }
            (Some(_), ..) => Some(s3_call::arguments(
                lang,
                (fields.parameters.as_ref(), fields.arguments.as_ref()),
                (input, effective),
                ctx,
            )?),
        };
        let export = match (export, &self.objects) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(refused(
                    "that exports to S3, and this run has no objects to write to (baton asl run --s3-dir DIR)".into(),
                ));
            }
            (Some(arguments), Some(objects)) => Some(Export {
                destination: Location::named(&arguments, "ResultWriter", failed)?,
                jsonl,
                objects: objects.clone(),
            }),
        };
        // NONE is the default of an export, COMPACT of a state output (the guide's WriterConfig).
        let transformation = match (config.transformation.as_deref(), &export) {
            (None, Some(_)) | (Some("NONE"), _) => Transformation::None,
            (None, None) | (Some("COMPACT"), _) => Transformation::Compact,
            (Some("FLATTEN"), _) => Transformation::Flatten,
            (Some(other), _) => {
                return Err(refused(format!(
                    "of Transformation {other}; Step Functions takes NONE, COMPACT or FLATTEN"
                )));
            }
        };
        Ok(Writer { transformation, export })
    }
}

impl Writer {
    /// The state's result once every child of `map_run` ended, `children` in item order: what
    /// they gave, transformed; or, exported, where it was written.
    pub(super) async fn finish(&self, map_run: &MapRun, children: Vec<Child>) -> Result<Value, StatesError> {
        let map_run_arn = map_run.arn();
        let machine = map_run.machine_arn();
        // In item order, each with whether its child failed.
        let mut results = Vec::with_capacity(children.len());
        for child in children {
            match child.outcome {
                // A failed child gives its record whatever the transformation (the guide's Note
                // under WriterConfig: "equivalent to having set Transformation to NONE").
                Err(ref error) => results.push((true, child.failed(machine, error))),
                Ok(ref output) => match (self.transformation, output) {
                    (Transformation::None, _) => results.push((false, child.succeeded(machine, output))),
                    (Transformation::Flatten, Value::Array(items)) => {
                        results.extend(items.iter().map(|item| (false, item.clone())));
                    }
                    (Transformation::Compact | Transformation::Flatten, _) => results.push((false, output.clone())),
                },
            }
        }
        let Some(Export {
            destination,
            jsonl,
            objects,
        }) = &self.export
        else {
            return Ok(Value::Array(results.into_iter().map(|(_, result)| result).collect()));
        };
        let (mut failed_children, mut succeeded) = (Vec::new(), Vec::new());
        for (failed, result) in results {
            match failed {
                true => failed_children.push(result),
                false => succeeded.push(result),
            }
        }
        let run_id = map_run_arn.rsplit(':').next().unwrap_or_default();
        // The guide's example writes Prefix `csvProcessJobs` as `csvProcessJobs/ID/…`; a Prefix
        // that ends in `/` is taken as it is.
        let folder = match destination.prefix.as_str() {
            "" => format!("{run_id}/"),
            p if p.ends_with('/') => format!("{p}{run_id}/"),
            p => format!("{p}/{run_id}/"),
        };
        let mut files = serde_json::Map::new();
        for (status, results) in [("FAILED", failed_children), ("PENDING", Vec::new()), ("SUCCEEDED", succeeded)] {
            let mut written = Vec::new();
            if !results.is_empty() {
                let key = format!("{folder}{status}_0.json");
                let bytes = match jsonl {
                    true => results.iter().map(|r| format!("{r}\n")).collect::<String>().into_bytes(),
                    false => Value::Array(results).to_string().into_bytes(),
                };
                let size = bytes.len();
                objects.put_object(&destination.bucket, &key, bytes).await.map_err(failed)?;
                written.push(json!({"Key": key, "Size": size}));
            }
            files.insert(status.to_string(), Value::Array(written));
        }
        // The manifest's shape as AWS writes it (a manifest.json of a run on AWS kept in
        // department-for-transport-BODS/bods-backend's tests: DestinationBucket, MapRunArn,
        // ResultFiles with FAILED, PENDING and SUCCEEDED, each file's Key and Size).
        let manifest = json!({"DestinationBucket": destination.bucket, "MapRunArn": map_run_arn, "ResultFiles": files});
        let key = format!("{folder}manifest.json");
        objects
            .put_object(&destination.bucket, &key, manifest.to_string().into_bytes())
            .await
            .map_err(failed)?;
        Ok(json!({"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": destination.bucket, "Key": key}}))
    }
}

impl Child {
    /// Its record as the guide's Transformation NONE example gives a succeeded child's, of an
    /// execution of `machine`.
    fn succeeded(&self, machine: &str, output: &Value) -> Value {
        let mut record = self.record(machine, "SUCCEEDED");
        record["Output"] = json!(output.to_string());
        record["OutputDetails"] = json!({"Included": true});
        record["RedriveStatus"] = json!("NOT_REDRIVABLE");
        record["RedriveStatusReason"] = json!("Execution is SUCCEEDED and cannot be redriven");
        sorted(record)
    }

    /// A failed child's record: the succeeded one's fields with DescribeExecution's `Error` and
    /// `Cause` for the output, redrivable by its Map Run (DescribeExecution's
    /// `REDRIVABLE_BY_MAP_RUN`, "a Child workflow execution started by a Distributed Map").
    fn failed(&self, machine: &str, error: &StatesError) -> Value {
        let mut record = self.record(machine, "FAILED");
        record["Error"] = json!(error.error);
        record["Cause"] = json!(error.cause);
        record["RedriveStatus"] = json!("REDRIVABLE_BY_MAP_RUN");
        sorted(record)
    }

    /// The execution the child's `$$.Execution` named, as the guide's NONE example has it
    /// (`…:execution:orderProcessing/getOrders:ID` of `…:stateMachine:orderProcessing/getOrders`).
    fn record(&self, machine: &str, status: &str) -> Value {
        json!({
            "ExecutionArn": self.execution.arn,
            "Input": self.input.to_string(),
            "InputDetails": {"Included": true},
            "Name": self.execution.name,
            "RedriveCount": 0,
            "StartDate": timestamp(self.execution.started),
            "StateMachineArn": machine,
            "Status": status,
            "StopDate": timestamp(self.stopped),
        })
    }
}

/// A record's members in the order of their names, as the guide's example has them.
fn sorted(record: Value) -> Value {
    match record {
        Value::Object(members) => {
            let mut members: Vec<(String, Value)> = members.into_iter().collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members.into_iter().collect())
        }
        other => other,
    }
}
