//! `baton logs EXECUTION DEPLOY-ACTION`: what a deployment did on each target — its lifecycle
//! events with their results (CodeDeploy's deployment targets) and what each hook printed —
//! and, apart, what the rollback that replaced it did. Locally or (`--stack`) from CodeDeploy.

use baton_core::model::{ActionKind, Pipeline};
use baton_core::operations::Operations;

use crate::out::{print, println};
use crate::style;

/// The deploy action `action` names (`Deploy` or `Staging:Deploy`), in full, and its group.
pub(super) fn deploy_action<'a>(pipeline: &'a Pipeline, action: &str) -> Option<(String, &'a str)> {
    pipeline.actions().find_map(|(stage, a)| {
        let full = format!("{}:{}", stage.name, a.name);
        let named = a.name == action || full == action;
        match &a.kind {
            ActionKind::Deploy { group, .. } if named => Some((full, group.as_str())),
            _ => None,
        }
    })
}

/// Prints the deployments of deploy action `full` (to `group`) in the execution.
pub(super) async fn print(ops: &dyn Operations, full: &str, group: &str, execution: &str) -> anyhow::Result<()> {
    let deployments = ops.deployment_logs(execution, group).await?;
    if deployments.is_empty() {
        println!("{full} deployed nothing in execution {execution}");
        return Ok(());
    }
    for d in &deployments {
        let what = if d.rollback { "rollback deployment" } else { "deployment" };
        println!(
            "{}==> {full} · {what} {} · {} · {}{}",
            style::BOLD.render(),
            d.id,
            d.revision.as_deref().unwrap_or("-"),
            d.status,
            style::BOLD.render_reset()
        );
        if let Some(reason) = &d.reason {
            println!("    {reason}");
        }
        for t in &d.targets {
            println!("  {}", t.name);
            for e in &t.events {
                let s = style::status(&e.status);
                println!(
                    "    {:<18} {}{}{}{}",
                    e.event,
                    s.render(),
                    e.status,
                    s.render_reset(),
                    e.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
                );
            }
            for line in t.output.lines() {
                print!("    │ {line}\n");
            }
        }
    }
    Ok(())
}
