//! `baton stop`: stop a running execution, as `StopExecution` does on AWS. The run aborts where
//! it stands; its builds are stopped (SIGTERM to their process groups, SIGKILL after a grace
//! period) and end as STOPPED; approvals and bakes no longer wait. Deployments in flight finish,
//! as CodePipeline lets them. Returns once the execution has ended.

use std::path::Path;

use anstream::println;
use baton_local::{inbox, query};

use crate::{Usage, style};

pub async fn run(execution: &str, reason: Option<&str>, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let (dir, db, exec) = crate::locate::execution(pipeline, state_dir, Some(execution))?;
    if exec.status != "RUNNING" {
        anyhow::bail!(Usage(format!("execution {} is {}; there is nothing to stop", exec.id, exec.status)));
    }
    let mut cause = format!("stopped by {}", crate::locate::user());
    if let Some(r) = reason {
        cause.push_str(&format!(": {r}"));
    }
    let status = inbox::stop(&dir, &exec.id, &cause).await?;
    let s = style::status(&status);
    println!("Execution {} {}{status}{}: {cause}", exec.id, s.render(), s.render_reset());
    for b in query::builds(&db, &exec.id)?.into_iter().filter(|b| b.status == "STOPPED") {
        println!("  build {} stopped ({})", b.action, b.id);
    }
    Ok(0)
}
