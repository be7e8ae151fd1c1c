//! `baton stop-deployment`: stop a deployment in progress, as CodeDeploy's `StopDeployment`.
//!
//! The request goes through the deployer port (a row the process running the deployment reads
//! at its next lifecycle event, batch or traffic step); this command then waits for the
//! deployment to end and says what the stop did, and which rollback it started.

use std::path::Path;

use baton_core::operations::StopDeployment;

use crate::out::println;
use crate::style;

pub(crate) async fn run(
    id: &str,
    rollback: Option<bool>,
    reason: Option<&str>,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let mut cause = format!("stopped by {}", crate::locate::user());
    if let Some(r) = reason {
        cause.push_str(&format!(": {r}"));
    }
    let request = StopDeployment {
        id: id.to_string(),
        rollback,
        cause,
    };
    let stop = ops.stop_deployment(request).await?;
    let then = if stop.plan.rollback {
        "then rolling back to the group's last-good revision"
    } else {
        "without a rollback"
    };
    println!(
        "Stopping deployment {id} to group {} ({then}): the lifecycle event in progress finishes first",
        stop.plan.group
    );
    let ended = crate::progress::during(format!("waiting for deployment {id} to stop"), stop.run).await?;
    let s = style::status(&ended.status);
    println!(
        "Deployment {id} {}{}{}: {}",
        s.render(),
        ended.status,
        s.render_reset(),
        ended.reason.as_deref().unwrap_or("no reason recorded")
    );
    if ended.status != "Stopped" {
        println!("It ended before the stop took effect.");
        return Ok(1);
    }
    if let Some(rollback_id) = ended.rollback_id {
        println!("Rollback deployment {rollback_id} is under way; `baton status` follows it.");
    }
    Ok(0)
}
