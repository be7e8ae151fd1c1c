//! The interpreter's two ends on this machine: each Task state resolved to the `baton-core`
//! handler a Lambda function would run, and each history event written to the database before
//! anyone is told of it.

use std::sync::Arc;

use async_trait::async_trait;
use baton_asl::{HistoryEvent, HistorySink, StatesError, TaskCall, TaskInvoker};
use baton_core::stages::{self, StageError, approval, bake, build, deploy, gate, rollback, source};
use rusqlite::params;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::{Adapters, Progress};
use crate::db::Db;

pub(super) struct DbHistory {
    pub(super) db: Arc<Db>,
    pub(super) progress: broadcast::Sender<Progress>,
}

impl HistorySink for DbHistory {
    fn record(&self, execution_arn: &str, event: HistoryEvent) {
        let execution_id = execution_arn.rsplit(':').next().unwrap_or(execution_arn).to_string();
        let text = serde_json::to_string(&event).unwrap_or_default();
        // History is written before anyone is told, so what a display shows is on disk.
        if let Err(e) = self.db.lock().execute(
            "INSERT INTO history (execution_id, id, previous_event_id, timestamp, type, event) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![execution_id, event.id, event.previous_event_id, event.timestamp, event.kind, text],
        ) {
            tracing::error!(error = %e, execution_id, "could not record a history event");
        }
        let _ = self.progress.send(Progress {
            execution_id,
            event: event.clone(),
        });
    }
}

/// Resolves Task states to the `baton-core` handlers, as Lambda would run the functions.
pub(super) struct LocalInvoker {
    pub(super) adapters: Arc<Adapters>,
    /// Where the commit an execution builds is recorded once Source has it.
    pub(super) db: Arc<Db>,
}

impl LocalInvoker {
    /// The commit is the execution's from its Source on: `history`, `status` and `approve`
    /// show it while it runs, and after it fails or is stopped (no output carries it then).
    fn record_commit(&self, document: &Value) {
        let (Some(id), Some(commit)) = (document["execution_id"].as_str(), document["source"]["commit_id"].as_str()) else {
            return;
        };
        let source = &document["source"];
        let summary = source["revision_summary"].as_str().and_then(|s| s.lines().next());
        if let Err(e) = self.db.lock().execute(
            "UPDATE executions SET commit_id = ?2, revision_summary = ?3, branch = ?4 WHERE id = ?1",
            params![id, commit, summary, source["branch"].as_str()],
        ) {
            tracing::warn!(execution_id = id, error = %e, "could not record the execution's commit");
        }
    }
}

#[async_trait]
impl TaskInvoker for LocalInvoker {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        let invoke = call.lambda_invoke();
        let (function, payload) = invoke.unwrap_or((&call.resource, &call.input));
        let payload = payload.clone();
        let a = &self.adapters;
        let stem = function.rsplit(':').next().unwrap_or_default().trim_start_matches("baton-");
        let result: Result<Value, StageError> = match stem {
            "source" => match stages::decode(payload) {
                Ok(input) => {
                    let document = source::run(&a.source, input).await;
                    if let Ok(doc) = &document {
                        self.record_commit(doc);
                    }
                    document
                }
                Err(e) => Err(e),
            },
            "build" => match stages::decode(payload) {
                Ok(input) => build::start(&a.builds, &a.pending, input).await,
                Err(e) => Err(e),
            },
            "deploy" => match stages::decode(payload) {
                // This machine's shifts are watched by the deployer itself: no timer-driven analysis.
                Ok(input) => deploy::start(&a.deployer, &a.pending, None, input).await,
                Err(e) => Err(e),
            },
            "gate" => match stages::decode(payload) {
                Ok(input) => gate::start(&a.lanes, &a.pending, &a.callbacks, input).await,
                Err(e) => Err(e),
            },
            "approval" => match stages::decode(payload) {
                Ok(input) => approval::start(&a.pending, &a.callbacks, input).await,
                Err(e) => Err(e),
            },
            "bake" => match stages::decode(payload) {
                Ok(input) => bake::start(a.alarms.as_ref(), &a.pending, &a.bus, input).await,
                Err(e) => Err(e),
            },
            "rollback" => match stages::decode(payload) {
                Ok(input) => {
                    let ports = rollback::RollbackPorts {
                        artifacts: a.store.as_ref(),
                        deployer: &a.deployer,
                        pending: &a.pending,
                        callbacks: &a.callbacks,
                        metrics: &a.metrics,
                    };
                    rollback::start(ports, input).await
                }
                Err(e) => Err(e),
            },
            _ => {
                return Err(StatesError::new(
                    "Lambda.ResourceNotFoundException",
                    format!("Function not found: {function}"),
                ));
            }
        };
        match result {
            // A callback task (the one kind handed a token) is answered through its token, so
            // only a plain invoke takes the Invoke API's envelope.
            Ok(v) if invoke.is_some() && call.task_token.is_none() => Ok(json!({ "Payload": v, "StatusCode": 200 })),
            Ok(v) => Ok(v),
            // As Step Functions records a Lambda function's error (`stages::lambda_error`).
            Err(e) => Err(StatesError::new(e.error_type(), e.cause())),
        }
    }
}
