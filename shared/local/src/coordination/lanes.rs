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
use baton_core::lanes::{Decision, Lane, Waiter};
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
        // The executions table's rowid orders executions exactly; start times could tie.
        let deliveries = self.db.immediate(|tx| {
            let mut out = remove(tx, &self.state_dir, pipeline, execution, mode, Some(stage))?;
            // A repeated invocation of a gate that already let this execution in answers it again.
            let holding: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2 AND execution_id = ?3 AND holding = 1)",
                    params![pipeline, stage, execution],
                    |r| r.get(0),
                )
                .map_err(LocalError::sql)?;
            if holding {
                let event = Event::StageEntered {
                    execution_id: execution.to_string(),
                    stage: stage.to_string(),
                };
                out.push((execution.to_string(), event));
                return Ok(out);
            }
            let seq: i64 = tx
                .query_row("SELECT rowid FROM executions WHERE id = ?1", [execution], |r| r.get(0))
                .optional()
                .map_err(LocalError::sql)?
                .ok_or_else(|| LocalError::Invalid(format!("no execution {execution} in this state directory")))?;
            tx.execute(
                "INSERT OR IGNORE INTO stage_lanes (pipeline, stage, execution_id, seq, holding, since) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                params![pipeline, stage, execution, seq, chrono::Utc::now().to_rfc3339()],
            )
            .map_err(LocalError::sql)?;
            out.extend(settle(tx, &self.state_dir, pipeline, stage, mode)?);
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

/// Takes `execution` out of every lane of the pipeline but `keep`'s, and settles the stages it
/// held.
fn remove(
    tx: &Transaction<'_>,
    state_dir: &Path,
    pipeline: &str,
    execution: &str,
    mode: ExecutionMode,
    keep: Option<&str>,
) -> Result<Vec<Delivery>, LocalError> {
    let keep = keep.unwrap_or_default();
    let held: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT stage FROM stage_lanes WHERE pipeline = ?1 AND execution_id = ?2 AND holding = 1 AND stage != ?3")
            .map_err(LocalError::sql)?;
        stmt.query_map(params![pipeline, execution, keep], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?
    };
    tx.execute(
        "DELETE FROM stage_lanes WHERE pipeline = ?1 AND execution_id = ?2 AND stage != ?3",
        params![pipeline, execution, keep],
    )
    .map_err(LocalError::sql)?;
    let mut out = Vec::new();
    for stage in held {
        out.extend(settle(tx, state_dir, pipeline, &stage, mode)?);
    }
    Ok(out)
}

/// Loads one lane, applies the mode's rules and writes the outcome back.
fn settle(tx: &Transaction<'_>, state_dir: &Path, pipeline: &str, stage: &str, mode: ExecutionMode) -> Result<Vec<Delivery>, LocalError> {
    tx.execute(
        "DELETE FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2 AND execution_id NOT IN (SELECT id FROM executions WHERE status = 'RUNNING')",
        params![pipeline, stage],
    )
    .map_err(LocalError::sql)?;
    // A runner that died (Ctrl-C, a crash) leaves its execution RUNNING; its inbox no longer
    // answers, so it holds nothing and waits for nothing.
    let present: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT execution_id FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2")
            .map_err(LocalError::sql)?;
        stmt.query_map(params![pipeline, stage], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?
    };
    for execution in present {
        if std::os::unix::net::UnixStream::connect(crate::coordination::inbox::socket_path(state_dir, &execution)).is_err() {
            tracing::warn!(execution_id = %execution, stage, "its runner is gone: it gives up its place in the stage lane");
            tx.execute(
                "DELETE FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2 AND execution_id = ?3",
                params![pipeline, stage, execution],
            )
            .map_err(LocalError::sql)?;
        }
    }
    let mut lane = Lane::default();
    {
        let mut stmt = tx
            .prepare("SELECT execution_id, seq, holding FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2")
            .map_err(LocalError::sql)?;
        let rows = stmt
            .query_map(params![pipeline, stage], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?))
            })
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .map_err(LocalError::sql)?;
        for (execution, seq, holding) in rows {
            if holding {
                lane.holder = Some(execution);
            } else {
                lane.waiting.push(Waiter { execution, seq });
            }
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
    let before = lane.newest.clone();
    let decisions = lane.settle(mode);
    if let Some(n) = lane.newest.as_ref().filter(|n| Some(*n) != before.as_ref()) {
        tx.execute(
            "INSERT OR REPLACE INTO stage_newest (pipeline, stage, execution_id, seq) VALUES (?1, ?2, ?3, ?4)",
            params![pipeline, stage, n.execution, n.seq],
        )
        .map_err(LocalError::sql)?;
    }
    let mut out = Vec::new();
    for decision in decisions {
        match decision {
            Decision::Enter(execution) => {
                tx.execute(
                    "UPDATE stage_lanes SET holding = 1, since = ?4 WHERE pipeline = ?1 AND stage = ?2 AND execution_id = ?3",
                    params![pipeline, stage, execution, chrono::Utc::now().to_rfc3339()],
                )
                .map_err(LocalError::sql)?;
                let event = Event::StageEntered {
                    execution_id: execution.clone(),
                    stage: stage.into(),
                };
                out.push((execution, event));
            }
            Decision::Supersede { execution, by } => {
                tx.execute(
                    "DELETE FROM stage_lanes WHERE pipeline = ?1 AND stage = ?2 AND execution_id = ?3",
                    params![pipeline, stage, execution],
                )
                .map_err(LocalError::sql)?;
                let event = Event::ExecutionSuperseded {
                    execution_id: execution.clone(),
                    stage: stage.into(),
                    by,
                };
                out.push((execution, event));
            }
        }
    }
    Ok(out)
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
