//! The in-process event bus (EventBridge's local stand-in), one-shot timers, parked tasks in
//! SQLite, and `SendTaskSuccess`/`SendTaskFailure` against the embedded interpreter.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use baton_asl::TaskTokens;
use baton_core::events::Event;
use baton_core::ports::{PendingTask, PendingTasks, PortError, PortResult, TaskCallbacks, Timers};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::db::Db;
use crate::error::LocalError;

/// Publishes events; the runtime's dispatcher routes them to the `events` handler.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: mpsc::UnboundedSender<Event>,
}

impl EventBus {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, receiver)
    }

    pub fn publish(&self, event: Event) {
        tracing::debug!(?event, "event published");
        if self.sender.send(event).is_err() {
            tracing::warn!("event dropped: the runtime is shutting down");
        }
    }
}

#[async_trait]
impl Timers for EventBus {
    async fn after(&self, delay_secs: u64, event: Event) -> PortResult<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(delay_secs)).await;
            bus.publish(event);
        });
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct SqlitePendingTasks {
    db: Arc<Db>,
}

impl SqlitePendingTasks {
    pub fn new(db: Arc<Db>) -> Self {
        Self { db }
    }
}

fn decode_context(text: &str) -> Result<Value, LocalError> {
    serde_json::from_str(text).map_err(|e| LocalError::Corrupt(format!("a pending task in the database is corrupt: {e}")))
}

#[async_trait]
impl PendingTasks for SqlitePendingTasks {
    async fn put(&self, key: &str, task: &PendingTask) -> PortResult<()> {
        crate::failpoints::point!("pending.put");
        Ok(self.db.pending_put(key, &task.token, &task.context.to_string())?)
    }

    async fn take(&self, key: &str) -> PortResult<Option<PendingTask>> {
        crate::failpoints::point!("pending.take");
        match self.db.pending_take(key)? {
            Some((token, context)) => Ok(Some(PendingTask {
                token,
                context: decode_context(&context)?,
            })),
            None => Ok(None),
        }
    }

    async fn list(&self, prefix: &str) -> PortResult<Vec<(String, PendingTask)>> {
        self.db
            .pending_list(prefix)?
            .into_iter()
            .map(|(key, token, context)| {
                Ok((
                    key,
                    PendingTask {
                        token,
                        context: decode_context(&context)?,
                    },
                ))
            })
            .collect::<Result<_, LocalError>>()
            .map_err(PortError::from)
    }

    async fn note_job(&self, key: &str, job_id: &str) -> PortResult<bool> {
        Ok(self.db.pending_note_job(key, job_id)?)
    }
}

/// Answers waiting tasks of the embedded interpreter.
#[derive(Debug, Clone)]
pub struct InterpreterCallbacks {
    tokens: TaskTokens,
}

impl InterpreterCallbacks {
    pub fn new(tokens: TaskTokens) -> Self {
        Self { tokens }
    }
}

#[async_trait]
impl TaskCallbacks for InterpreterCallbacks {
    async fn succeed(&self, token: &str, output: Value) -> PortResult<bool> {
        Ok(self.tokens.send_success(token, output).is_ok())
    }

    async fn fail(&self, token: &str, error: &str, cause: &str) -> PortResult<bool> {
        Ok(self.tokens.send_failure(token, error, cause).is_ok())
    }
}
