//! Read models of deployments: an execution's, with each instance's lifecycle events, and a
//! group's latest.

use baton_core::analysis::IntervalResult;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use crate::db::Db;
use crate::error::LocalError;

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentRow {
    pub id: String,
    pub group: String,
    pub artifact: Value,
    pub rollback: bool,
    pub status: String,
    pub created_at: String,
    pub ended_at: Option<String>,
    pub reason: Option<String>,
    /// For a rollback, the deployment it replaced (CodeDeploy's rollbackTriggeringDeploymentId).
    pub rolls_back: Option<String>,
    /// The rollback that replaced this deployment, if one did (rollbackDeploymentId).
    pub rolled_back_by: Option<String>,
    /// Each instance's lifecycle events, in the order they ran (GetDeploymentInstance).
    pub instances: Vec<InstanceProgress>,
    /// Each interval its canary analysis judged, in order (none without an analysis).
    pub analysis: Vec<IntervalResult>,
}

/// One instance of a deployment and the lifecycle events it went through.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceProgress {
    pub instance: usize,
    pub events: Vec<LifecycleEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LifecycleEvent {
    pub event: String,
    pub status: String,
    pub started_at: String,
    pub ended_at: String,
    pub message: Option<String>,
}

pub fn deployments(db: &Db, execution_id: &str) -> Result<Vec<DeploymentRow>, LocalError> {
    let conn = db.lock();
    // A deployment's neighbour in its group: what a rollback replaced, or what replaced it.
    let mut stmt = conn
        .prepare(
            "SELECT d.id, d.grp, d.artifact, d.rollback, d.status, d.created_at, d.ended_at, d.reason, \
             CASE WHEN d.rollback THEN (SELECT p.id FROM deployments p WHERE p.pipeline = d.pipeline AND p.grp = d.grp AND p.rowid < d.rowid ORDER BY p.rowid DESC LIMIT 1) END, \
             (SELECT n.id FROM deployments n WHERE n.pipeline = d.pipeline AND n.grp = d.grp AND n.rowid > d.rowid ORDER BY n.rowid LIMIT 1) \
             FROM deployments d WHERE d.execution_id = ?1 ORDER BY d.rowid",
        )
        .map_err(LocalError::sql)?;
    let mut rows: Vec<(DeploymentRow, Option<String>)> = stmt
        .query_map(params![execution_id], |r| {
            let artifact: String = r.get(2)?;
            Ok((
                DeploymentRow {
                    id: r.get(0)?,
                    group: r.get(1)?,
                    artifact: serde_json::from_str(&artifact).unwrap_or(Value::Null),
                    rollback: r.get(3)?,
                    status: r.get(4)?,
                    created_at: r.get(5)?,
                    ended_at: r.get(6)?,
                    reason: r.get(7)?,
                    rolls_back: r.get(8)?,
                    rolled_back_by: None,
                    instances: Vec::new(),
                    analysis: Vec::new(),
                },
                r.get(9)?,
            ))
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    drop(stmt);
    let mut events = conn
        .prepare(
            "SELECT instance, event, status, started_at, ended_at, message FROM instance_events WHERE deployment_id = ?1 ORDER BY rowid",
        )
        .map_err(LocalError::sql)?;
    let mut analysis = conn
        .prepare("SELECT result FROM canary_analysis WHERE deployment_id = ?1 ORDER BY interval")
        .map_err(LocalError::sql)?;
    let mut rollback_of = conn
        .prepare("SELECT rollback FROM deployments WHERE id = ?1")
        .map_err(LocalError::sql)?;
    for (d, next) in &mut rows {
        if let Some(next) = next.take() {
            let is_rollback: bool = rollback_of.query_row([&next], |r| r.get(0)).map_err(LocalError::sql)?;
            d.rolled_back_by = is_rollback.then_some(next);
        }
        let list: Vec<(usize, LifecycleEvent)> = events
            .query_map([&d.id], |r| {
                Ok((
                    r.get(0)?,
                    LifecycleEvent {
                        event: r.get(1)?,
                        status: r.get(2)?,
                        started_at: r.get(3)?,
                        ended_at: r.get(4)?,
                        message: r.get(5)?,
                    },
                ))
            })
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?;
        for (instance, event) in list {
            match d.instances.iter_mut().find(|i| i.instance == instance) {
                Some(i) => i.events.push(event),
                None => d.instances.push(InstanceProgress {
                    instance,
                    events: vec![event],
                }),
            }
        }
        d.instances.sort_by_key(|i| i.instance);
        let judged: Vec<String> = analysis
            .query_map([&d.id], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?;
        d.analysis = judged.iter().filter_map(|t| serde_json::from_str(t).ok()).collect();
    }
    Ok(rows.into_iter().map(|(d, _)| d).collect())
}

/// Where one deployment stands, for `baton stop-deployment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentState {
    pub group: String,
    pub execution_id: String,
    pub status: String,
    pub reason: Option<String>,
}

pub fn deployment_state(db: &Db, id: &str) -> Result<Option<DeploymentState>, LocalError> {
    db.lock()
        .query_row(
            "SELECT grp, execution_id, status, reason FROM deployments WHERE id = ?1",
            [id],
            |r| {
                Ok(DeploymentState {
                    group: r.get(0)?,
                    execution_id: r.get(1)?,
                    status: r.get(2)?,
                    reason: r.get(3)?,
                })
            },
        )
        .optional()
        .map_err(LocalError::sql)
}

/// A deployment as a group's recent history lists it.
#[derive(Debug, Clone, Serialize)]
pub struct GroupDeployment {
    pub id: String,
    pub execution_id: String,
    pub artifact: Value,
    pub rollback: bool,
    pub status: String,
    pub created_at: String,
    pub reason: Option<String>,
}

/// A group's most recent deployments, newest first, whichever execution (or `baton rollback`)
/// made them.
pub fn group_deployments(db: &Db, pipeline: &str, group: &str, limit: usize) -> Result<Vec<GroupDeployment>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare(
            "SELECT id, execution_id, artifact, rollback, status, created_at, reason FROM deployments \
             WHERE pipeline = ?1 AND grp = ?2 ORDER BY rowid DESC LIMIT ?3",
        )
        .map_err(LocalError::sql)?;
    stmt.query_map(params![pipeline, group, limit], |r| {
        let artifact: String = r.get(2)?;
        Ok(GroupDeployment {
            id: r.get(0)?,
            execution_id: r.get(1)?,
            artifact: serde_json::from_str(&artifact).unwrap_or(Value::Null),
            rollback: r.get(3)?,
            status: r.get(4)?,
            created_at: r.get(5)?,
            reason: r.get(6)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(LocalError::sql)
}
