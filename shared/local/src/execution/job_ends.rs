//! How each build and deployment ended, kept by its idempotency key. An execution carried on
//! after its runner died starts its in-flight task again with the same key: the runner then
//! finds the job, and if the job already ended, its end is delivered again, since the task
//! waiting for it now is not the one that was told.

use baton_core::events::Event;
use rusqlite::{OptionalExtension, params};

use crate::coordination::bus::EventBus;
use crate::db::Db;
use crate::error::LocalError;

/// Records a job's end before it is published, so that no end is told and then forgotten.
pub(crate) fn record(db: &Db, correlation: &str, event: &Event) -> Result<(), LocalError> {
    let text = serde_json::to_string(event).map_err(|e| LocalError::Internal(e.to_string()))?;
    db.lock()
        .execute(
            "INSERT OR REPLACE INTO job_ends (correlation, event) VALUES (?1, ?2)",
            params![correlation, text],
        )
        .map_err(LocalError::sql)?;
    Ok(())
}

/// Publishes the end of the job with this key again, if it ended; whether it had.
pub(crate) fn replay(db: &Db, bus: &EventBus, correlation: &str) -> Result<bool, LocalError> {
    let text: Option<String> = db
        .lock()
        .query_row("SELECT event FROM job_ends WHERE correlation = ?1", [correlation], |r| r.get(0))
        .optional()
        .map_err(LocalError::sql)?;
    let Some(text) = text else { return Ok(false) };
    let event: Event =
        serde_json::from_str(&text).map_err(|e| LocalError::Corrupt(format!("the recorded end of job {correlation} is corrupt: {e}")))?;
    tracing::info!(correlation, "the job already ended: its end is delivered again");
    bus.publish(event);
    Ok(true)
}
