//! Read models over the database for `baton status`, `baton history`, the console and tests;
//! `find` filters executions, `deployments` and `alarms` read those.

use baton_asl::HistoryEvent;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use crate::db::Db;
use crate::error::LocalError;

mod alarms;
mod deployments;
mod find;

pub use alarms::{AlarmRow, AlarmTransition, SeriesRow, alarm_history, alarms, metric_points, metric_series};
pub use baton_core::execution_states::{StateStatus, states};
pub use deployments::{
    DeploymentRow, DeploymentState, GroupDeployment, InstanceProgress, LifecycleEvent, deployment_state, deployments, group_deployments,
};
pub use find::{ExecutionFilter, find_executions};

/// An execution as `status`, `history` and the console list it.
pub type ExecutionRow = baton_core::operations::ExecutionSummary;

const EXECUTION_COLUMNS: &str = "id, pipeline, status, started_at, ended_at, commit_id, error, cause, input, revision_summary, branch";

fn execution_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ExecutionRow> {
    Ok(ExecutionRow {
        id: r.get(0)?,
        pipeline: r.get(1)?,
        status: crate::execution::status::column(r, 2)?,
        started_at: r.get(3)?,
        ended_at: r.get(4)?,
        commit_id: r.get(5)?,
        error: r.get(6)?,
        cause: r.get(7)?,
        trigger: ExecutionRow::trigger_of(&serde_json::from_str(&r.get::<_, String>(8)?).unwrap_or_default()),
        revision_summary: r.get(9)?,
        branch: r.get(10)?,
    })
}

/// The newest `limit` executions, most recent first.
pub fn executions(db: &Db, limit: usize) -> Result<Vec<ExecutionRow>, LocalError> {
    find_executions(db, &ExecutionFilter::default(), limit)
}

/// Whether an execution with exactly this id was ever started here.
pub fn execution_exists(db: &Db, id: &str) -> Result<bool, LocalError> {
    db.lock()
        .query_row("SELECT EXISTS (SELECT 1 FROM executions WHERE id = ?1)", [id], |r| r.get(0))
        .map_err(LocalError::sql)
}

/// An execution by id or unique id prefix; the latest when `id` is `None`.
pub fn execution(db: &Db, id: Option<&str>) -> Result<Option<ExecutionRow>, LocalError> {
    let conn = db.lock();
    let row = match id {
        None => conn.query_row(
            &format!("SELECT {EXECUTION_COLUMNS} FROM executions ORDER BY started_at DESC, id DESC LIMIT 1"),
            [],
            execution_row,
        ),
        Some(id) => {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {EXECUTION_COLUMNS} FROM executions WHERE substr(id, 1, length(?1)) = ?1 ORDER BY started_at DESC, id DESC LIMIT 11"
                ))
                .map_err(LocalError::sql)?;
            let rows: Vec<ExecutionRow> = stmt
                .query_map([id], execution_row)
                .and_then(Iterator::collect)
                .map_err(LocalError::sql)?;
            if rows.len() > 1 {
                let shown: Vec<&str> = rows.iter().take(10).map(|r| r.id.as_str()).collect();
                let more = if rows.len() > 10 { ", …" } else { "" };
                return Err(LocalError::BadRequest(format!(
                    "`{id}` matches more than one execution ({}{more}); give more of the id",
                    shown.join(", ")
                )));
            }
            return Ok(rows.into_iter().next());
        }
    }
    .optional()
    .map_err(LocalError::sql)?;
    Ok(row)
}

pub fn history(db: &Db, execution_id: &str) -> Result<Vec<HistoryEvent>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT event FROM history WHERE execution_id = ?1 ORDER BY id")
        .map_err(LocalError::sql)?;
    let texts: Vec<String> = stmt
        .query_map([execution_id], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    texts
        .iter()
        .map(|t| {
            serde_json::from_str(t)
                .map_err(|e| LocalError::Corrupt(format!("an event of execution {execution_id} in the database is corrupt: {e}")))
        })
        .collect()
}

/// One build of an execution, with where its log is.
#[derive(Debug, Clone, Serialize)]
pub struct BuildRow {
    pub id: String,
    pub action: String,
    pub status: String,
    pub log_path: String,
    pub ended_at: Option<String>,
}

pub fn builds(db: &Db, execution_id: &str) -> Result<Vec<BuildRow>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT id, action, status, log_path, ended_at FROM builds WHERE execution_id = ?1 ORDER BY started_at, rowid")
        .map_err(LocalError::sql)?;
    let rows = stmt
        .query_map(params![execution_id], |r| {
            Ok(BuildRow {
                id: r.get(0)?,
                action: r.get(1)?,
                status: r.get(2)?,
                log_path: r.get(3)?,
                ended_at: r.get(4)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceRow {
    pub group: String,
    pub index: usize,
    pub port: u16,
    pub artifact: Option<Value>,
    pub running: bool,
    /// What the instance answers now, once asked ([`crate::cloudwatch::check_health`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::cloudwatch::Health>,
}

/// The front door of a group that shifts traffic, and the fleet that has the traffic.
#[derive(Debug, Clone, Serialize)]
pub struct FrontRow {
    pub group: String,
    pub port: u16,
    /// 0 or 1: instances `live·n … live·n + n − 1` of the group have the traffic.
    pub live_fleet: usize,
    /// `n`, the instances of each fleet (unknown for a group last deployed before Baton kept it).
    pub fleet_size: Option<usize>,
}

pub fn fronts(db: &Db, pipeline: &str) -> Result<Vec<FrontRow>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT grp, port, live, fleet_size FROM group_fronts WHERE pipeline = ?1 ORDER BY grp")
        .map_err(LocalError::sql)?;
    stmt.query_map([pipeline], |r| {
        Ok(FrontRow {
            group: r.get(0)?,
            port: r.get(1)?,
            live_fleet: r.get::<_, i64>(2)? as usize,
            fleet_size: r.get::<_, Option<i64>>(3)?.map(|n| n as usize),
        })
    })
    .and_then(Iterator::collect)
    .map_err(LocalError::sql)
}

pub fn instances(db: &Db, pipeline: &str) -> Result<Vec<InstanceRow>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT grp, idx, port, artifact, process_group FROM instances WHERE pipeline = ?1 ORDER BY grp, idx")
        .map_err(LocalError::sql)?;
    let rows = stmt
        .query_map([pipeline], |r| {
            let artifact: Option<String> = r.get(3)?;
            let pgid: Option<i64> = r.get(4)?;
            Ok(InstanceRow {
                group: r.get(0)?,
                index: r.get(1)?,
                port: r.get(2)?,
                artifact: artifact.and_then(|a| serde_json::from_str(&a).ok()),
                running: pgid.is_some(),
                health: None,
            })
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    Ok(rows)
}

/// The state machine an execution ran (its synthesized definition, placeholders and all);
/// `None` for executions recorded before Baton kept it.
pub fn definition(db: &Db, execution_id: &str) -> Result<Option<Value>, LocalError> {
    let text: Option<String> = db
        .lock()
        .query_row(
            "SELECT d.definition FROM executions e JOIN definitions d ON d.digest = e.definition WHERE e.id = ?1",
            params![execution_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(LocalError::sql)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}
