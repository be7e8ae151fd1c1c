//! Finding executions: by status, and by words of their id, commit, trigger or failure — what
//! the console's list and `baton history --status --search` ask.

use super::{EXECUTION_COLUMNS, ExecutionRow, execution_row};
use crate::db::Db;
use crate::error::LocalError;

/// Every status an execution record can hold: Step Functions' and CodePipeline's `SUPERSEDED`.
pub const EXECUTION_STATUSES: [&str; 6] = [
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "ABORTED",
    "TIMED_OUT",
    crate::execution_record::SUPERSEDED,
];

/// Which executions a listing keeps: one status, and words that must each appear (in any case)
/// in the id, commit, trigger, error or cause.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    status: Option<String>,
    words: Vec<String>,
}

impl ExecutionFilter {
    /// Refuses a status no execution can have, naming those it can.
    pub fn new(status: Option<&str>, words: &str) -> Result<Self, LocalError> {
        if let Some(s) = status
            && !EXECUTION_STATUSES.contains(&s)
        {
            return Err(LocalError::Invalid(format!(
                "no execution is ever `{s}`; the statuses are {}",
                EXECUTION_STATUSES.join(", ")
            )));
        }
        Ok(Self {
            status: status.map(str::to_string),
            words: words.split_whitespace().map(str::to_lowercase).collect(),
        })
    }

    /// True when it keeps every execution.
    pub fn keeps_all(&self) -> bool {
        self.status.is_none() && self.words.is_empty()
    }

    pub fn matches(&self, e: &ExecutionRow) -> bool {
        if self.status.as_ref().is_some_and(|s| *s != e.status) {
            return false;
        }
        let text = [
            Some(&e.id),
            e.commit_id.as_ref(),
            Some(&e.trigger),
            e.error.as_ref(),
            e.cause.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|t| t.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
        self.words.iter().all(|w| text.contains(w.as_str()))
    }
}

/// The newest `limit` executions that pass `filter`, newest first.
pub fn find_executions(db: &Db, filter: &ExecutionFilter, limit: usize) -> Result<Vec<ExecutionRow>, LocalError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let conn = db.lock();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions ORDER BY started_at DESC, id DESC"
        ))
        .map_err(LocalError::sql)?;
    let mut found = Vec::new();
    // Read row by row until enough have passed: a rare match is looked for through everything,
    // a common one costs only the rows it returns.
    for row in stmt.query_map([], execution_row).map_err(LocalError::sql)? {
        let row = row.map_err(LocalError::sql)?;
        if filter.matches(&row) {
            found.push(row);
            if found.len() == limit {
                break;
            }
        }
    }
    Ok(found)
}
