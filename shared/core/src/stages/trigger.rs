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
            start(ports.starter, delivery_id, commit, why, trigger).await
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
    start(starter, delivery_id, commit, format!("{expression} came due"), trigger).await
}

/// Starts the execution with `{revision, variables, trigger}` as its input; `trigger` says what
/// started it (`type`, the ref or expression, and `why`).
async fn start(
    starter: &dyn ExecutionStarter,
    delivery_id: &str,
    commit: String,
    why: String,
    trigger: Value,
) -> Result<TriggerOutcome, StageError> {
    let execution = execution_name(delivery_id);
    let mut trigger = trigger;
    trigger["why"] = json!(why);
    let input = json!({ "revision": commit, "variables": {}, "trigger": trigger });
    let fresh = starter.start(&execution, input).await?;
    tracing::info!(execution = %execution, commit = %commit, why = %why, duplicate = !fresh, "trigger accepted");
    Ok(TriggerOutcome::Started {
        execution,
        commit,
        why,
        duplicate: !fresh,
    })
}
