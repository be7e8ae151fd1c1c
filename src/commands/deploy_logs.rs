//! `baton logs EXECUTION DEPLOY-ACTION`: what a deployment did on each instance — its lifecycle
//! events with their results (CodeDeploy's GetDeploymentInstance) and what each hook printed —
//! and, apart, what the rollback that replaced it did.

use std::path::Path;

use baton_core::model::{ActionKind, Pipeline};
use baton_local::db::Db;
use baton_local::query::{self, DeploymentRow};

use crate::out::{print, println};
use crate::style;

/// The full name of the deploy action `action` names (`Deploy` or `Staging:Deploy`), if it is one.
pub(super) fn deploy_action(pipeline: &Pipeline, action: &str) -> Option<String> {
    deploy_group(pipeline, action).map(|(full, _)| full)
}

/// The deploy action `action` names (`Deploy` or `Staging:Deploy`) and its group, if it is one.
fn deploy_group<'a>(pipeline: &'a Pipeline, action: &str) -> Option<(String, &'a str)> {
    pipeline.actions().find_map(|(stage, a)| {
        let full = format!("{}:{}", stage.name, a.name);
        let named = a.name == action || full == action;
        match &a.kind {
            ActionKind::Deploy { group, .. } if named => Some((full, group.as_str())),
            _ => None,
        }
    })
}

/// Prints the deployments of `action` in the execution; `false` when `action` is no deploy
/// action of the pipeline.
pub(super) fn print_for(state_dir: &Path, db: &Db, pipeline: &Pipeline, execution: &str, action: &str) -> anyhow::Result<bool> {
    let Some((full, group)) = deploy_group(pipeline, action) else {
        return Ok(false);
    };
    let deployments: Vec<DeploymentRow> = query::deployments(db, execution)?
        .into_iter()
        .filter(|d| d.group == group)
        .collect();
    if deployments.is_empty() {
        println!("{full} deployed nothing in execution {execution}");
        return Ok(true);
    }
    for d in &deployments {
        let what = if d.rollback { "rollback deployment" } else { "deployment" };
        println!(
            "{}==> {full} · {what} {} · {} · {}{}",
            style::BOLD.render(),
            d.id,
            style::artifact(&d.artifact).unwrap_or_default(),
            d.status,
            style::BOLD.render_reset()
        );
        if let Some(reason) = &d.reason {
            println!("    {reason}");
        }
        for i in &d.instances {
            println!("  {}#{}", d.group, i.instance);
            for e in &i.events {
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
            let output = baton_local::deploy::lifecycle_output(state_dir, &pipeline.name, &d.group, i.instance, &d.id);
            for line in output.lines() {
                print!("    │ {line}\n");
            }
        }
    }
    Ok(true)
}
