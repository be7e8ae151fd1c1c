//! `baton history`: past executions, newest first.

use std::path::Path;

use baton_core::operations::ExecutionQuery;

use crate::out::println;
use crate::style;

/// `--status` and `--search`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Filter<'a> {
    pub status: Option<&'a str>,
    pub search: Option<&'a str>,
}

pub(crate) async fn run(
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
    filter: Filter<'_>,
    limit: usize,
    json: bool,
) -> anyhow::Result<u8> {
    let query = ExecutionQuery::new(filter.status, filter.search.unwrap_or_default())?;
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let rows = ops.executions(&query, limit).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    if rows.is_empty() && query.keeps_all() {
        match stack {
            Some(remote) => println!("no executions yet of {remote}; a push to its repository starts one"),
            None => {
                let dir = crate::locate::state_dir(&crate::locate::pipeline_file(pipeline)?, state_dir);
                println!("no executions yet in {}; start one with `baton run`", dir.display());
            }
        }
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
