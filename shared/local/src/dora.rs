//! DORA's four key metrics ([`baton_core::dora`]) from this machine's records: an execution
//! deployed when it has a deployment that is not a rollback.

use baton_core::dora::{DeployingRun, Dora, ms};
use rusqlite::params;

use crate::db::Db;
use crate::error::LocalError;

/// The figures for one pipeline since `since_ms` (epoch milliseconds), as of `now_ms`.
pub fn compute(db: &Db, pipeline: &str, since_ms: i64, now_ms: i64) -> Result<Dora, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare(
            "SELECT e.ended_at, e.status, e.output FROM executions e
             WHERE e.pipeline = ?1 AND e.ended_at IS NOT NULL
               AND EXISTS (SELECT 1 FROM deployments d WHERE d.execution_id = e.id AND d.rollback = 0)
             ORDER BY e.ended_at",
        )
        .map_err(LocalError::sql)?;
    let rows: Vec<(String, String, Option<String>)> = stmt
        .query_map(params![pipeline], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    let runs: Vec<DeployingRun> = rows
        .into_iter()
        .filter_map(|(ended, status, output)| {
            let commit_ms = output
                .and_then(|o| serde_json::from_str::<serde_json::Value>(&o).ok())
                .and_then(|o| o["source"]["commit_time"].as_str().and_then(ms));
            Some(DeployingRun {
                ended_ms: ms(&ended)?,
                succeeded: status == "SUCCEEDED",
                commit_ms,
            })
        })
        .collect();
    Ok(baton_core::dora::compute(&runs, since_ms, now_ms))
}
