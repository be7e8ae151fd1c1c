//! Finding executions: by status, and by words of their id, commit, trigger or failure — what
//! the console's list and `baton history --status --search` ask.

use super::{EXECUTION_COLUMNS, ExecutionRow, execution_row};
use crate::db::Db;
use crate::error::LocalError;

/// Which executions a listing keeps (the rule is the operations port's, the same on AWS).
pub type ExecutionFilter = baton_core::operations::ExecutionQuery;

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
