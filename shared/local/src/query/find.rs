//! Finding executions: by status, and by words of their id, commit, trigger or failure — what
//! the console's list and `baton history --status --search` ask.

use super::{EXECUTION_COLUMNS, ExecutionRow, execution_row};
use crate::PipelineStatus;
use crate::db::Db;
use crate::error::LocalError;

/// Which executions a listing keeps: one status, and words that must each appear (in any case)
/// in the id, commit (id and subject), branch, trigger, error or cause.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    status: Option<PipelineStatus>,
    words: Vec<String>,
}

impl ExecutionFilter {
    /// Refuses a status no execution can have, naming those it can.
    pub fn new(status: Option<&str>, words: &str) -> Result<Self, LocalError> {
        let status = match status {
            None => None,
            Some(s) => Some(PipelineStatus::parse(s).ok_or_else(|| {
                let all: Vec<&str> = PipelineStatus::ALL.iter().map(|s| s.as_str()).collect();
                LocalError::Invalid(format!("no execution is ever `{s}`; the statuses are {}", all.join(", ")))
            })?),
        };
        Ok(Self {
            status,
            words: words.split_whitespace().map(str::to_lowercase).collect(),
        })
    }

    /// True when it keeps every execution.
    pub fn keeps_all(&self) -> bool {
        self.status.is_none() && self.words.is_empty()
    }

    pub fn matches(&self, e: &ExecutionRow) -> bool {
        if self.status.is_some_and(|s| s != e.status) {
            return false;
        }
        let text = [
            Some(&e.id),
            e.commit_id.as_ref(),
            Some(&e.trigger),
            e.revision_summary.as_ref(),
            e.branch.as_ref(),
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
