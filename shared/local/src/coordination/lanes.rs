//! `SqliteLanes`: the stage locks of [`baton_core::lanes`] in the `stage_lanes` table, shared by
//! every `baton` process on the state directory. Each change runs in one IMMEDIATE transaction;
//! the decisions it makes are then handed to the executions' inboxes, wherever they run.
//!
//! A lane entry whose execution is no longer RUNNING (it ended, or its runner died and it was
//! marked so) holds nothing: it is dropped the next time its lane settles.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use baton_core::events::Event;
use baton_core::lanes::{Decision, Lane, Waiter, departures};
use baton_core::model::ExecutionMode;
use baton_core::ports::{Arrival, PortResult, StageLanes};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::db::Db;
use crate::error::LocalError;

#[derive(Debug, Clone)]
pub struct SqliteLanes {
    db: Arc<Db>,
    state_dir: PathBuf,
}

/// A decision addressed to one execution.
type Delivery = (String, Event);

impl SqliteLanes {
    pub fn new(db: Arc<Db>, state_dir: PathBuf) -> Self {
        Self { db, state_dir }
    }

    /// Hands each decision to its execution. One that cannot be reached (its runner is gone)
    /// gives up its place, and what that changes is delivered in turn.
    async fn deliver(&self, pipeline: &str, mode: ExecutionMode, mut queue: Vec<Delivery>) -> Result<(), LocalError> {
        while let Some((execution, event)) = queue.pop() {
            if let Err(e) = crate::coordination::inbox::deliver(&self.state_dir, &execution, &event).await {
                tracing::warn!(execution_id = %execution, error = %e, "an execution in a stage lane cannot be reached; it loses its place");
                queue.extend(
                    self.db
                        .immediate(|tx| remove(tx, &self.state_dir, pipeline, &execution, mode, None))?,
                );
            }
        }
        Ok(())
    }
}

#[async_trait]
impl StageLanes for SqliteLanes {
    async fn arrive(&self, arrival: &Arrival<'_>) -> PortResult<()> {
        let (pipeline, execution, stage, mode) = (arrival.pipeline, arrival.execution, arrival.stage, arrival.mode);
        let deliveries = self.db.immediate(|tx| {
            let mut out = remove(tx, &self.state_dir, pipeline, execution, mode, Some(stage))?;
            // The executions table's rowid orders executions exactly; start times could tie.
            let seq: i64 = tx
                .query_row("SELECT rowid FROM executions WHERE id = ?1", [execution], |r| r.get(0))
                .optional()
                .map_err(LocalError::sql)?
                .ok_or_else(|| LocalError::NotFound(format!("no execution {execution} in this state directory")))?;
            // Stored first, so its row keeps its order whatever the lane then decides; a repeated
            // arrival finds its row there already.
            tx.execute(
                "INSERT OR IGNORE INTO stage_lanes (pipeline, stage, execution_id, seq, holding, since) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                params![pipeline, stage, execution, seq, chrono::Utc::now().to_rfc3339()],
            )
            .map_err(LocalError::sql)?;
            let waiter = Waiter {
                execution: execution.to_string(),
                seq,
            };
            out.extend(change(tx, &self.state_dir, pipeline, stage, |lane| lane.arrive(waiter, mode))?);
            Ok(out)
        })?;
        Ok(self.deliver(pipeline, mode, deliveries).await?)
    }

    async fn leave(&self, pipeline: &str, execution: &str, mode: ExecutionMode) -> PortResult<()> {
        let deliveries = self
            .db
            .immediate(|tx| remove(tx, &self.state_dir, pipeline, execution, mode, None))?;
        Ok(self.deliver(pipeline, mode, deliveries).await?)
    }
}

/// Takes `execution` out of every lane of the pipeline but `keep`'s, and admits every other
/// lane's holder again ([`baton_core::lanes::departures`]).
fn remove(
    tx: &Transaction<'_>,
    state_dir: &Path,
    pipeline: &str,
    execution: &str,
    mode: ExecutionMode,
    keep: Option<&str>,
) -> Result<Vec<Delivery>, LocalError> {
    let stages: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT DISTINCT stage FROM stage_lanes WHERE pipeline = ?1")
            .map_err(LocalError::sql)?;
        stmt.query_map([pipeline], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?
    };
    let lanes = stages
        .into_iter()
        .map(|stage| Ok((load(tx, state_dir, pipeline, &stage)?, stage)))
        .collect::<Result<Vec<_>, LocalError>>()?;
    let (leave, readmit) = departures(lanes.iter().map(|(lane, stage)| (stage.as_str(), lane)), execution, keep);
    let mut out = deliveries(readmit);
    for stage in leave {
        out.extend(change(tx, state_dir, pipeline, &stage, |lane| lane.leave(execution, mode))?);
    }
    Ok(out)
}

/// Changes one lane with `apply` (which settles it) and writes what changed back.
fn change(
    tx: &Transaction<'_>,
    state_dir: &Path,
    pipeline: &str,
    stage: &str,
    apply: impl FnOnce(&mut Lane) -> Vec<Decision>,
) -> Result<Vec<Delivery>, LocalError> {
    let before = load(tx, state_dir, pipeline, stage)?;
    let mut after = before.clone();
    let decisions = apply(&mut after);
    store(tx, pipeline, stage, &before, &after)?;
    Ok(deliveries(decisions.into_iter().map(|d| (stage.to_string(), d))))
}

fn deliveries(decisions: impl IntoIterator<Item = (String, Decision)>) -> Vec<Delivery> {
    decisions
        .into_iter()
        .map(|(stage, decision)| (decision.execution().to_string(), decision.into_event(stage)))
        .collect()
}

/// One lane as stored, without the entries that hold nothing any more: an execution that is no
/// longer RUNNING, or one whose runner died (Ctrl-C, a crash) and left it RUNNING with an inbox
/// that no longer answers.
fn load(tx: &Transaction<'_>, state_dir: &Path, pipeline: &str, stage: &str) -> Result<Lane, LocalError> {
    tx.execute(
        "DELETE FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2 AND execution_id NOT IN (SELECT id FROM executions WHERE status = 'RUNNING')",
        params![pipeline, stage],
    )
    .map_err(LocalError::sql)?;
    let rows: Vec<(String, i64, bool)> = {
        let mut stmt = tx
            .prepare("SELECT execution_id, seq, holding FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2")
            .map_err(LocalError::sql)?;
        stmt.query_map(params![pipeline, stage], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?
    };
    let mut lane = Lane::default();
    for (execution, seq, holding) in rows {
        if std::os::unix::net::UnixStream::connect(crate::coordination::inbox::socket_path(state_dir, &execution)).is_err() {
            tracing::warn!(execution_id = %execution, stage, "its runner is gone: it gives up its place in the stage lane");
            delete(tx, pipeline, stage, &execution)?;
        } else if holding {
            lane.holder = Some(execution);
        } else {
            lane.waiting.push(Waiter { execution, seq });
        }
    }
    lane.newest = tx
        .query_row(
            "SELECT execution_id, seq FROM stage_newest WHERE pipeline = ?1 AND stage = ?2",
            params![pipeline, stage],
            |r| {
                Ok(Waiter {
                    execution: r.get(0)?,
                    seq: r.get(1)?,
                })
            },
        )
        .optional()
        .map_err(LocalError::sql)?;
    Ok(lane)
}

/// Writes what a change made of a lane: who left it and who took it (whoever joins it is stored
/// before it changes).
fn store(tx: &Transaction<'_>, pipeline: &str, stage: &str, before: &Lane, after: &Lane) -> Result<(), LocalError> {
    let was = before.holder.iter().chain(before.waiting.iter().map(|w| &w.execution));
    for execution in was.filter(|e| !after.has(e)) {
        delete(tx, pipeline, stage, execution)?;
    }
    if let Some(holder) = after.holder.as_ref().filter(|h| before.holder.as_ref() != Some(*h)) {
        tx.execute(
            "UPDATE stage_lanes SET holding = 1, since = ?4 WHERE pipeline = ?1 AND stage = ?2 AND execution_id = ?3",
            params![pipeline, stage, holder, chrono::Utc::now().to_rfc3339()],
        )
        .map_err(LocalError::sql)?;
    }
    if let Some(n) = after.newest.as_ref().filter(|n| Some(*n) != before.newest.as_ref()) {
        tx.execute(
            "INSERT OR REPLACE INTO stage_newest (pipeline, stage, execution_id, seq) VALUES (?1, ?2, ?3, ?4)",
            params![pipeline, stage, n.execution, n.seq],
        )
        .map_err(LocalError::sql)?;
    }
    Ok(())
}

fn delete(tx: &Transaction<'_>, pipeline: &str, stage: &str, execution: &str) -> Result<(), LocalError> {
    tx.execute(
        "DELETE FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2 AND execution_id = ?3",
        params![pipeline, stage, execution],
    )
    .map(drop)
    .map_err(LocalError::sql)
}

/// Who holds and who waits for each stage of a pipeline, for `baton status`.
pub fn occupancy(db: &Db, pipeline: &str) -> Result<Vec<(String, String, bool)>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT stage, execution_id, holding FROM stage_lanes WHERE pipeline = ?1 ORDER BY stage, holding DESC, seq")
        .map_err(LocalError::sql)?;
    stmt.query_map([pipeline], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)
}
