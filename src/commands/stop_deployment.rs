//! `baton stop-deployment`: stop a deployment in progress, as CodeDeploy's `StopDeployment`.
//!
//! The request goes through the deployer port (a row the process running the deployment reads
//! at its next lifecycle event, batch or traffic step); this command then waits for the
//! deployment to end and says what the stop did, and which rollback it started.

use std::path::Path;
use std::time::Duration;

use baton_core::ports::{Deployer, StopRequest};
use baton_local::{LocalRuntime, RuntimeOptions, query};

use crate::out::println;
use crate::{Usage, style};

const ENDED: [&str; 3] = ["Succeeded", "Failed", "Stopped"];

pub async fn run(id: &str, rollback: Option<bool>, reason: Option<&str>, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let options = RuntimeOptions {
        state_dir: state_dir.map(Path::to_path_buf),
        working_tree: false,
    };
    let rt = LocalRuntime::open(&file, options).await?;
    let Some(deployment) = query::deployment_state(rt.db(), id)? else {
        anyhow::bail!(Usage(format!(
            "no deployment {id} in this pipeline's state; `baton status` lists an execution's deployments"
        )));
    };
    if ENDED.contains(&deployment.status.as_str()) {
        anyhow::bail!(Usage(format!(
            "deployment {id} has already ended ({}); to put group {} back on an earlier version, use `baton rollback {}`",
            deployment.status, deployment.group, deployment.group
        )));
    }
    let rollback = rollback.unwrap_or_else(|| rt.pipeline().groups.get(&deployment.group).is_some_and(|g| g.rollback_on_stop));
    let mut cause = format!("stopped by {}", crate::locate::user());
    if let Some(r) = reason {
        cause.push_str(&format!(": {r}"));
    }
    rt.deployer().stop(id, StopRequest { rollback, cause }).await.map_err(|e| {
        if e.transient {
            anyhow::anyhow!(e)
        } else {
            anyhow::anyhow!(Usage(e.to_string()))
        }
    })?;
    let then = if rollback {
        "then rolling back to the group's last-good revision"
    } else {
        "without a rollback"
    };
    println!(
        "Stopping deployment {id} to group {} ({then}): the lifecycle event in progress finishes first",
        deployment.group
    );

    let waiting = crate::progress::spinner(format!("waiting for deployment {id} to stop"));
    let ended = loop {
        let now = query::deployment_state(rt.db(), id)?.unwrap_or(deployment.clone());
        if ENDED.contains(&now.status.as_str()) {
            break now;
        }
        // A deployment whose execution ended without it has nobody left to stop it.
        if let Some(exec) = query::execution(rt.db(), Some(&now.execution_id))?
            && exec.status != "RUNNING"
        {
            anyhow::bail!(
                "deployment {id} is {} but its execution {} is {}: nothing runs it any more (`baton resume` ends it)",
                now.status,
                exec.id,
                exec.status
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    waiting.finish_and_clear();
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
    if let Some(rollback_id) = baton_local::deploy::stop::rollback_of_stop(rt.db(), id)? {
        println!("Rollback deployment {rollback_id} is under way; `baton status` follows it.");
    }
    Ok(0)
}
