//! `baton rollback`: put a deployment group back on its last-good revision, or on any stored
//! artifact version, outside any execution — a new rollback deployment, as CodeDeploy makes one.

use std::path::Path;

use baton_core::ports::DeploymentStatus;

use crate::out::println;
use crate::style;

pub(crate) async fn run(
    group: &str,
    to: Option<&str>,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let rollback = ops.roll_back(group, to).await?;
    let plan = &rollback.plan;
    let wanted = plan.target.to_string();
    if plan.already_there() {
        println!("group {group} already runs {wanted}; nothing to do");
        return Ok(0);
    }
    let from = if plan.running.is_empty() {
        "nothing".to_string()
    } else {
        plan.running.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    };
    println!("rolling back group {group}: {from} → {wanted}");
    let done = crate::progress::during(format!("deploying {wanted} to {group}"), rollback.run).await?;
    say("deployment", &done.id, done.status, done.reason.as_deref());
    if let Some(back) = &done.rolled_back {
        println!(
            "the group's auto_rollback covers the failure: rolling back to its last-good {}",
            back.to
        );
        say("rollback deployment", &back.id, back.status, back.reason.as_deref());
    }
    Ok(if done.status == DeploymentStatus::Succeeded { 0 } else { 1 })
}

fn say(what: &str, id: &str, status: DeploymentStatus, reason: Option<&str>) {
    let s = style::status(status.as_str());
    println!(
        "{what} {id} {}{}{}{}",
        s.render(),
        status.as_str(),
        s.render_reset(),
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
}
