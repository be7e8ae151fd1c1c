//! `baton stop`: stop a running execution, as CodePipeline's StopPipelineExecution does.
//!
//! By default ("stop and wait") the actions in progress finish and no action starts after them;
//! an approval nobody has answered and a stage not yet entered end at once. With `--abandon`
//! the execution ends where it stands, as Step Functions' `StopExecution`: its builds are
//! stopped (SIGTERM to their process groups, SIGKILL after a grace period) and end STOPPED.
//! Either way a deployment in flight finishes. Returns once the execution has ended.

use std::path::Path;

use baton_local::{inbox, query};

use crate::out::println;
use crate::{Usage, style};

#[derive(Debug)]
pub struct StopArgs<'a> {
    pub execution: &'a str,
    pub reason: Option<&'a str>,
    pub abandon: bool,
}

pub async fn run(args: StopArgs<'_>, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let (dir, db, exec) = crate::locate::execution(pipeline, state_dir, Some(args.execution))?;
    if exec.status != "RUNNING" {
        anyhow::bail!(Usage(format!("execution {} is {}; there is nothing to stop", exec.id, exec.status)));
    }
    let mut cause = format!("stopped by {}", crate::locate::user());
    if let Some(r) = args.reason {
        cause.push_str(&format!(": {r}"));
    }
    if !args.abandon {
        println!(
            "Stopping execution {}: the actions in progress finish first (--abandon stops them now)",
            exec.id
        );
    }
    let waiting = format!("waiting for execution {} to stop", exec.id);
    let status = crate::progress::during(waiting, inbox::stop(&dir, &exec.id, &cause, args.abandon)).await?;
    let s = style::status(&status);
    println!("Execution {} {}{status}{}: {cause}", exec.id, s.render(), s.render_reset());
    for b in query::builds(&db, &exec.id)?.into_iter().filter(|b| b.status == "STOPPED") {
        println!("  build {} stopped ({})", b.action, b.id);
    }
    Ok(0)
}
