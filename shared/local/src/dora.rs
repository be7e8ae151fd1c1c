//! DORA's four key metrics, from the execution records:
//!
//! - **deployment frequency**: executions that deployed and succeeded, per day;
//! - **lead time for changes**: from the change (the commit's time) to the end of the execution
//!   that shipped it, median;
//! - **change failure rate**: of the executions that deployed, the share that failed or rolled
//!   back;
//! - **time to restore**: from the end of a failed deploying execution to the end of the next
//!   successful one, median.

use rusqlite::params;
use serde::Serialize;

use crate::db::Db;
use crate::error::LocalError;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dora {
    pub since: String,
    pub days: f64,
    pub deploying_executions: usize,
    pub successful_deployments: usize,
    pub deployment_frequency_per_day: f64,
    pub lead_time_seconds: Option<f64>,
    pub change_failure_rate: Option<f64>,
    pub time_to_restore_seconds: Option<f64>,
}

struct Run {
    ended_ms: i64,
    succeeded: bool,
    commit_ms: Option<i64>,
}

fn ms(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts).ok().map(|t| t.timestamp_millis())
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 })
}

/// The figures for one pipeline since `since_ms` (epoch milliseconds), as of `now_ms`.
pub fn compute(db: &Db, pipeline: &str, since_ms: i64, now_ms: i64) -> Result<Dora, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare(
            "SELECT e.ended_at, e.status, e.output, e.started_at FROM executions e
             WHERE e.pipeline = ?1 AND e.ended_at IS NOT NULL
               AND EXISTS (SELECT 1 FROM deployments d WHERE d.execution_id = e.id AND d.rollback = 0)
             ORDER BY e.ended_at",
        )
        .map_err(LocalError::sql)?;
    let rows: Vec<(String, String, Option<String>, String)> = stmt
        .query_map(params![pipeline], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    let all: Vec<Run> = rows
        .into_iter()
        .filter_map(|(ended, status, output, _)| {
            let ended_ms = ms(&ended)?;
            let commit_ms = output
                .and_then(|o| serde_json::from_str::<serde_json::Value>(&o).ok())
                .and_then(|o| o["source"]["commit_time"].as_str().and_then(ms));
            Some(Run {
                ended_ms,
                succeeded: status == "SUCCEEDED",
                commit_ms,
            })
        })
        .collect();
    // A restore is measured to the next success wherever it falls; the window selects the
    // executions counted.
    let in_window: Vec<&Run> = all.iter().filter(|r| r.ended_ms >= since_ms).collect();
    let days = ((now_ms - since_ms) as f64 / 86_400_000.0).max(1.0 / 24.0);
    let successes: Vec<&&Run> = in_window.iter().filter(|r| r.succeeded).collect();
    let lead_times = successes
        .iter()
        .filter_map(|r| r.commit_ms.map(|c| (r.ended_ms - c) as f64 / 1000.0))
        .collect();
    let failures = in_window.iter().filter(|r| !r.succeeded).count();
    let restores = in_window
        .iter()
        .filter(|r| !r.succeeded)
        .filter_map(|f| {
            all.iter()
                .find(|s| s.succeeded && s.ended_ms > f.ended_ms)
                .map(|s| (s.ended_ms - f.ended_ms) as f64 / 1000.0)
        })
        .collect();
    Ok(Dora {
        since: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(since_ms)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default(),
        days,
        deploying_executions: in_window.len(),
        successful_deployments: successes.len(),
        deployment_frequency_per_day: successes.len() as f64 / days,
        lead_time_seconds: median(lead_times),
        change_failure_rate: (!in_window.is_empty()).then(|| failures as f64 / in_window.len() as f64),
        time_to_restore_seconds: median(restores),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }
}
