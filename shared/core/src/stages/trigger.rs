//! The `trigger` handler: a push or a schedule becomes an execution, or a logged reason why not.
//! The execution's name derives from the delivery (the EventBridge event id on AWS), so a
//! duplicate delivery finds its execution already started and starts nothing: exactly one
//! execution per push, however often it is delivered.

use serde_json::{Value, json};

use crate::ports::{ChangedFiles, ExecutionStarter};
use crate::stages::StageError;
use crate::trigger::{PushTriggers, RefChange, Verdict};

#[allow(missing_debug_implementations, reason = "a bundle of trait objects")]
pub struct TriggerPorts<'a> {
    pub files: &'a dyn ChangedFiles,
    pub starter: &'a dyn ExecutionStarter,
}

/// The function's result, as the trigger's log and its Lambda response show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TriggerOutcome {
    Started {
        execution: String,
        commit: String,
        why: String,
        /// The delivery was seen before; its execution had already started.
        duplicate: bool,
    },
    Skipped {
        why: String,
    },
}

/// Step Functions execution names: 1-80 characters; Baton keeps to `[A-Za-z0-9_-]`.
pub fn execution_name(delivery_id: &str) -> String {
    delivery_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect()
}

pub async fn on_push(
    ports: TriggerPorts<'_>,
    triggers: &PushTriggers,
    change: &RefChange,
    delivery_id: &str,
) -> Result<TriggerOutcome, StageError> {
    let files = if triggers.wants_files(change) {
        ports.files.changed_files(change).await?
    } else {
        Vec::new()
    };
    match triggers.decide(change, &files) {
        Verdict::Skip { why } => {
            tracing::info!(reference = %change.reference, why = %why, "the push starts nothing");
            Ok(TriggerOutcome::Skipped { why })
        }
        Verdict::Start { commit, why } => {
            let trigger = json!({ "type": "push", "ref": change.reference, "old": change.old, "new": change.new });
            start(ports.starter, &execution_name(delivery_id), commit, why, trigger, json!({})).await
        }
    }
}

pub async fn on_schedule(
    starter: &dyn ExecutionStarter,
    expression: &str,
    commit: String,
    delivery_id: &str,
) -> Result<TriggerOutcome, StageError> {
    let trigger = json!({ "type": "schedule", "expression": expression });
    start(
        starter,
        &execution_name(delivery_id),
        commit,
        format!("{expression} came due"),
        trigger,
        json!({}),
    )
    .await
}

/// A run started by hand (`baton run --stack`): the input a push's execution gets, with the
/// `variables` given (`--var`) and `{type: manual, by}` as its trigger, under a new name.
pub async fn on_request(
    starter: &dyn ExecutionStarter,
    commit: String,
    variables: serde_json::Map<String, Value>,
    by: &str,
) -> Result<TriggerOutcome, StageError> {
    let trigger = json!({ "type": "manual", "by": by });
    start(
        starter,
        &new_execution_name(),
        commit,
        format!("started by {by}"),
        trigger,
        Value::Object(variables),
    )
    .await
}

/// Sortable, readable, unique: `20261126-181502-3f9a1c07`. Eight hex digits, because a burst
/// of a thousand runs in one second would share an id among six about once in thirty bursts.
pub fn new_execution_name() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"), &hex[..8])
}

/// Starts the execution `execution` with `{revision, variables, trigger}` as its input;
/// `trigger` says what started it (`type`, the ref, expression or person, and `why`).
async fn start(
    starter: &dyn ExecutionStarter,
    execution: &str,
    commit: String,
    why: String,
    trigger: Value,
    variables: Value,
) -> Result<TriggerOutcome, StageError> {
    let execution = execution.to_string();
    let mut trigger = trigger;
    trigger["why"] = json!(why);
    let input = json!({ "revision": commit, "variables": variables, "trigger": trigger });
    let fresh = starter.start(&execution, input).await?;
    tracing::info!(execution = %execution, commit = %commit, why = %why, duplicate = !fresh, "trigger accepted");
    Ok(TriggerOutcome::Started {
        execution,
        commit,
        why,
        duplicate: !fresh,
    })
}
