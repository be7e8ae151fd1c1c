//! What a parked task keeps beside its token: what the stage that parks it knows and the event
//! that answers it needs, one type per kind of wait. Stored as JSON (SQLite locally, DynamoDB on
//! AWS) and read back leniently: a field a record lacks (one parked by an older Baton) takes its
//! default, as the answer it leads to is still worth giving.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ports::{ArtifactRef, PendingTask};

/// An execution waiting in front of a stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GateContext {
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    /// When it started waiting, for `StageWaitTime`.
    pub started_ms: i64,
    /// When its execution started, which orders executions in SUPERSEDED mode.
    pub execution_started_ms: i64,
}

/// An approval waiting for its answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalContext {
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub message: Option<String>,
    /// The stage it is in, when its pipeline's execution mode can supersede it.
    pub stage: Option<String>,
    pub started_ms: i64,
    pub execution_started_ms: i64,
}

/// A build or test action waiting for its build's end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BuildContext {
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub commit_id: Option<String>,
    /// What the build read, the provenance of what it stores.
    pub inputs: Vec<ArtifactRef>,
    pub started_ms: i64,
    /// The build, once started (`PendingTasks::note_job`), so that an ended execution stops it.
    pub job_id: Option<String>,
}

/// A deployment (or a rollback's) waiting for its end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeployContext {
    pub pipeline: String,
    pub group: String,
    pub artifact: Option<ArtifactRef>,
    /// Make the artifact the group's last-good revision once it is deployed (no bake follows).
    pub mark_good: bool,
    pub rollback: bool,
    pub action: String,
    pub started_ms: i64,
}

/// A bake waiting for its window to pass, or an alarm.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BakeContext {
    pub pipeline: String,
    pub group: String,
    pub alarms: Vec<String>,
    pub artifact: Option<ArtifactRef>,
    pub action: String,
    pub started_ms: i64,
}

/// Only when the wait started: what every kind shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Started {
    pub(crate) started_ms: i64,
}

impl PendingTask {
    /// A token parked with its context.
    pub fn parked(token: String, context: &impl Serialize) -> Self {
        Self {
            token,
            // Strings, integers, booleans and lists of them: these always serialize.
            context: serde_json::to_value(context).unwrap_or_default(),
        }
    }

    /// The context as the kind of wait `C` that parked it.
    pub fn context_as<C: DeserializeOwned + Default>(&self) -> C {
        serde_json::from_value(self.context.clone()).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a parked task's context does not read as its kind; its fields take their defaults");
            C::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_context_reads_back_as_it_was_parked() {
        let context = BuildContext {
            pipeline: "hello".into(),
            execution_id: "e-1".into(),
            action: "Build:Compile".into(),
            commit_id: Some("abc".into()),
            inputs: Vec::new(),
            started_ms: 7,
            job_id: None,
        };
        let task = PendingTask::parked("t".into(), &context);
        assert_eq!(task.context_as::<BuildContext>(), context);
    }

    #[test]
    fn a_record_from_an_older_baton_reads_with_defaults() {
        let task = PendingTask {
            token: "t".into(),
            context: json!({ "pipeline": "hello", "stage": "Prod" }),
        };
        let gate: GateContext = task.context_as();
        assert_eq!((gate.pipeline.as_str(), gate.stage.as_str(), gate.started_ms), ("hello", "Prod", 0));
        let broken = PendingTask {
            token: "t".into(),
            context: json!({ "pipeline": 3 }),
        };
        assert_eq!(broken.context_as::<GateContext>(), GateContext::default());
    }
}
