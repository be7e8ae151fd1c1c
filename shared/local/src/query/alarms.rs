//! Read models of alarms and metrics: each alarm's state, its transitions, and the series and
//! points the console charts.

use rusqlite::params;
use serde::Serialize;

use crate::db::Db;
use crate::error::LocalError;

#[derive(Debug, Clone, Serialize)]
pub struct AlarmRow {
    pub name: String,
    pub state: String,
    pub reason: String,
    pub updated_at: String,
}

pub fn alarms(db: &Db) -> Result<Vec<AlarmRow>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT name, state, reason, updated_at FROM alarms ORDER BY name")
        .map_err(LocalError::sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(AlarmRow {
                name: r.get(0)?,
                state: r.get(1)?,
                reason: r.get(2)?,
                updated_at: r.get(3)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct SeriesRow {
    pub namespace: String,
    pub name: String,
    pub dimensions: std::collections::BTreeMap<String, String>,
    pub datapoints: u64,
    pub last_timestamp_ms: i64,
    /// CloudWatch's unit of its latest datapoint (`Milliseconds`, `Count`, …).
    pub unit: String,
}

/// Every metric series in the store.
pub fn metric_series(db: &Db) -> Result<Vec<SeriesRow>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT namespace, name, dimensions, COUNT(*), MAX(timestamp_ms), (SELECT unit FROM metrics m WHERE m.namespace = metrics.namespace AND m.name = metrics.name AND m.dimensions = metrics.dimensions ORDER BY timestamp_ms DESC LIMIT 1) FROM metrics GROUP BY namespace, name, dimensions ORDER BY namespace, name, dimensions")
        .map_err(LocalError::sql)?;
    let rows = stmt
        .query_map([], |r| {
            let dims: String = r.get(2)?;
            Ok(SeriesRow {
                namespace: r.get(0)?,
                name: r.get(1)?,
                dimensions: serde_json::from_str(&dims).unwrap_or_default(),
                datapoints: r.get(3)?,
                last_timestamp_ms: r.get(4)?,
                unit: r.get(5)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize)]
pub struct AlarmTransition {
    pub name: String,
    pub timestamp: String,
    pub old_state: String,
    pub new_state: String,
    pub reason: String,
}

/// Alarm state changes between two instants (RFC 3339), oldest first.
pub fn alarm_history(db: &Db, from: &str, to: Option<&str>) -> Result<Vec<AlarmTransition>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT name, timestamp, old_state, new_state, reason FROM alarm_history WHERE timestamp >= ?1 AND (?2 IS NULL OR timestamp <= ?2) ORDER BY rowid")
        .map_err(LocalError::sql)?;
    let rows = stmt
        .query_map(params![from, to], |r| {
            Ok(AlarmTransition {
                name: r.get(0)?,
                timestamp: r.get(1)?,
                old_state: r.get(2)?,
                new_state: r.get(3)?,
                reason: r.get(4)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    Ok(rows)
}

/// The newest `limit` datapoints of one series (its dimensions as stored), oldest first.
pub fn metric_points(db: &Db, namespace: &str, name: &str, dimensions: &str, limit: usize) -> Result<Vec<(i64, f64)>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare(
            "SELECT timestamp_ms, value FROM metrics WHERE namespace = ?1 AND name = ?2 AND dimensions = ?3 \
             ORDER BY timestamp_ms DESC LIMIT ?4",
        )
        .map_err(LocalError::sql)?;
    let mut points: Vec<(i64, f64)> = stmt
        .query_map(params![namespace, name, dimensions, limit], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    points.reverse();
    Ok(points)
}
