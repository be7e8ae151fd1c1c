//! `baton stop`: stop a running execution, as CodePipeline's StopPipelineExecution does.
//!
//! By default ("stop and wait") the actions in progress finish and no action starts after them;
//! an approval nobody has answered and a stage not yet entered end at once. With `--abandon`
//! the execution ends where it stands, as Step Functions' `StopExecution`: its builds are
//! stopped (SIGTERM to their process groups, SIGKILL after a grace period) and end STOPPED.
//! Either way a deployment in flight finishes. Returns once the execution has ended.

use std::path::Path;

use baton_core::operations::StopExecution;

use crate::out::println;
use crate::style;

#[derive(Debug)]
pub(crate) struct StopArgs<'a> {
    pub execution: &'a str,
    pub reason: Option<&'a str>,
    pub abandon: bool,
}

pub(crate) async fn run(
    args: StopArgs<'_>,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let mut cause = format!("stopped by {}", crate::locate::user());
    if let Some(r) = args.reason {
        cause.push_str(&format!(": {r}"));
    }
    let request = StopExecution {
        execution: args.execution.to_string(),
        cause: cause.clone(),
        abandon: args.abandon,
    };
    let stop = ops.stop(request).await?;
    let id = &stop.plan.id;
    if !args.abandon {
        println!("Stopping execution {id}: the actions in progress finish first (--abandon stops them now)");
    }
    let stopped = crate::progress::during(format!("waiting for execution {id} to stop"), stop.run).await?;
    let s = style::status(stopped.status.as_str());
    println!("Execution {id} {}{}{}: {cause}", s.render(), stopped.status, s.render_reset());
    for (action, build) in &stopped.builds {
        println!("  build {action} stopped ({build})");
    }
    Ok(0)
}
