//! An execution's status as its record holds it, and every change of it. The record is changed
//! here and nowhere else, each change guarded by the status it leaves, so two processes racing
//! on one execution (a runner ending it, another opener finding its runner gone, two `baton
//! resume`s) cannot both apply theirs:
//!
//! ```text
//! (none) ──start──▶ RUNNING ──end──▶ SUCCEEDED | FAILED | TIMED_OUT | ABORTED | SUPERSEDED
//!                      │  ▲                                   │
//!                      │  └──────────── reopen ───────────────┘   (baton resume / retry)
//!                      └──runner_lost──▶ ABORTED
//! ```

use baton_core::pipeline_status::PipelineStatus;
use rusqlite::{Transaction, params};

use crate::error::LocalError;

/// What an interpreter's outcome is recorded as: a `Baton.Superseded` failure is SUPERSEDED.
pub(crate) fn of(outcome: &baton_asl::ExecutionOutcome) -> PipelineStatus {
    let superseded = outcome
        .error
        .as_ref()
        .is_some_and(|e| e.error == baton_core::stages::error_types::SUPERSEDED);
    match outcome.status {
        _ if superseded => PipelineStatus::Superseded,
        baton_asl::ExecutionStatus::Running => PipelineStatus::Running,
        baton_asl::ExecutionStatus::Succeeded => PipelineStatus::Succeeded,
        baton_asl::ExecutionStatus::Failed => PipelineStatus::Failed,
        baton_asl::ExecutionStatus::TimedOut => PipelineStatus::TimedOut,
        baton_asl::ExecutionStatus::Aborted => PipelineStatus::Aborted,
    }
}

/// A status read from its column; a word no status has is a damaged record.
pub(crate) fn column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<PipelineStatus> {
    let text: String = row.get(index)?;
    PipelineStatus::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, format!("no execution is ever `{text}`").into())
    })
}

/// A new execution's record, RUNNING.
pub(crate) struct Started<'a> {
    pub id: &'a str,
    pub pipeline: &'a str,
    pub arn: &'a str,
    pub started_at: &'a str,
    pub input: &'a str,
    pub definition: &'a str,
}

pub(crate) fn start(tx: &Transaction<'_>, s: &Started<'_>) -> Result<(), LocalError> {
    tx.execute(
        "INSERT INTO executions (id, pipeline, arn, status, started_at, input, definition) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            s.id,
            s.pipeline,
            s.arn,
            PipelineStatus::Running.as_str(),
            s.started_at,
            s.input,
            s.definition
        ],
    )
    .map_err(LocalError::sql)?;
    Ok(())
}

/// How a RUNNING execution ended.
pub(crate) struct Ended<'a> {
    pub status: PipelineStatus,
    pub ended_at: &'a str,
    pub output: Option<String>,
    pub error: Option<&'a str>,
    pub cause: Option<&'a str>,
    /// The commit its source stage read, when the record does not have it yet.
    pub commit: Option<String>,
}

/// Ends a RUNNING execution; false (and nothing changed) when it was no longer RUNNING — ended
/// meanwhile as one whose runner was lost.
pub(crate) fn end(conn: &rusqlite::Connection, id: &str, e: &Ended<'_>) -> Result<bool, LocalError> {
    let changed = conn
        .execute(
            "UPDATE executions SET status = ?2, ended_at = ?3, output = ?4, error = ?5, cause = ?6, commit_id = COALESCE(?7, commit_id) WHERE id = ?1 AND status = ?8",
            params![id, e.status.as_str(), e.ended_at, e.output, e.error, e.cause, e.commit, PipelineStatus::Running.as_str()],
        )
        .map_err(LocalError::sql)?;
    Ok(changed > 0)
}

/// Puts an ended execution back to RUNNING to carry it on, only if it still has the status
/// `from` it was read with: false when another process carried it on first.
pub(crate) fn reopen(tx: &Transaction<'_>, id: &str, from: PipelineStatus) -> Result<bool, LocalError> {
    let changed = tx
        .execute(
            "UPDATE executions SET status = ?3, ended_at = NULL, output = NULL, error = NULL, cause = NULL WHERE id = ?1 AND status = ?2",
            params![id, from.as_str(), PipelineStatus::Running.as_str()],
        )
        .map_err(LocalError::sql)?;
    Ok(changed > 0)
}

/// Ends a RUNNING execution whose runner is gone as ABORTED; false when it had ended meanwhile.
pub(crate) fn runner_lost(tx: &Transaction<'_>, id: &str, at: &str, error: &str, cause: &str) -> Result<bool, LocalError> {
    let changed = tx
        .execute(
            "UPDATE executions SET status = ?5, ended_at = ?2, error = ?3, cause = ?4 WHERE id = ?1 AND status = ?6",
            params![
                id,
                at,
                error,
                cause,
                PipelineStatus::Aborted.as_str(),
                PipelineStatus::Running.as_str()
            ],
        )
        .map_err(LocalError::sql)?;
    Ok(changed > 0)
}

#[cfg(test)]
mod tests;
