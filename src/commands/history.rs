//! `baton history`: past executions, newest first.

use std::path::Path;

use baton_local::db::Db;
use baton_local::query::ExecutionFilter;

use crate::out::println;
use crate::{Usage, style};

/// `--status` and `--search`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter<'a> {
    pub status: Option<&'a str>,
    pub search: Option<&'a str>,
}

pub(crate) fn run(pipeline: &Path, state_dir: Option<&Path>, filter: Filter<'_>, limit: usize, json: bool) -> anyhow::Result<u8> {
    let filter = ExecutionFilter::new(filter.status, filter.search.unwrap_or_default()).map_err(|e| Usage(e.to_string()))?;
    let file = crate::locate::pipeline_file(pipeline)?;
    let dir = crate::locate::state_dir(&file, state_dir);
    let db_file = dir.join("baton.db");
    let rows = if db_file.exists() {
        let db = Db::open(&db_file)?;
        baton_local::execution::runners::reconcile(&db)?;
        baton_local::query::find_executions(&db, &filter, limit)?
    } else {
        Vec::new()
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    if rows.is_empty() && filter.keeps_all() {
        println!("no executions yet in {}; start one with `baton run`", dir.display());
        return Ok(0);
    }
    if rows.is_empty() {
        println!("no execution matches; `baton history` without --status and --search lists them all");
        return Ok(0);
    }
    println!(
        "{:<24} {:<10} {:<26} {:<10} {:<24} ERROR",
        "EXECUTION", "STATUS", "STARTED", "COMMIT", "TRIGGER"
    );
    for r in rows {
        let s = style::status(r.status.as_str());
        let commit = r.commit_id.as_deref().map_or("-", |c| &c[..c.len().min(8)]);
        println!(
            "{:<24} {}{:<10}{} {:<26} {:<10} {:<24} {}",
            r.id,
            s.render(),
            r.status,
            s.render_reset(),
            style::when(&r.started_at),
            commit,
            r.trigger,
            r.error.unwrap_or_default()
        );
    }
    Ok(0)
}
