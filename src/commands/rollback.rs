//! `baton rollback`: put a deployment group back on its last-good revision, or on any stored
//! artifact version, outside any execution — a new rollback deployment, as CodeDeploy makes one.

use std::path::Path;

use baton_core::ports::{ArtifactStore, DeploymentStatus};
use baton_local::{LocalRuntime, RuntimeOptions, query};

use crate::out::println;
use crate::{Usage, style};

pub async fn run(group: &str, to: Option<&str>, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let options = RuntimeOptions {
        state_dir: state_dir.map(Path::to_path_buf),
        working_tree: false,
    };
    let rt = LocalRuntime::open(&file, options).await?;
    let name = rt.pipeline().name.clone();
    if !rt.pipeline().groups.contains_key(group) {
        let known: Vec<&str> = rt.pipeline().groups.keys().map(String::as_str).collect();
        anyhow::bail!(Usage(format!(
            "no deployment group `{group}`; the pipeline has: {}",
            known.join(", ")
        )));
    }
    let target = match to {
        Some(spec) => crate::locate::stored_version(rt.store(), &name, spec)?.artifact,
        None => rt.store().last_good(&name, group).await?.ok_or_else(|| {
            Usage(format!(
                "group `{group}` has no last-good revision yet; name one with --to NAME@VERSION"
            ))
        })?,
    };
    // What the group's instances run, each version once (a failed deployment can leave a mix).
    let running: Vec<String> = query::instances(rt.db(), &name)?
        .into_iter()
        .filter(|i| i.group == group && i.running)
        .filter_map(|i| i.artifact.as_ref().and_then(style::artifact))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let wanted = format!("{}@{}", target.name, target.version);
    if !running.is_empty() && running.iter().all(|r| *r == wanted) {
        println!("group {group} already runs {wanted}; nothing to do");
        return Ok(0);
    }
    let from = if running.is_empty() {
        "nothing".to_string()
    } else {
        running.join(", ")
    };
    println!("rolling back group {group}: {from} → {wanted}");
    let done = crate::progress::during(
        format!("deploying {wanted} to {group}"),
        rt.deploy_by_hand(group, target, to.is_some()),
    )
    .await?;
    say("deployment", &done.id, done.status, done.reason.as_deref());
    if let Some(back) = &done.rolled_back {
        println!(
            "the group's auto_rollback covers the failure: rolling back to its last-good {}@{}",
            back.to.name, back.to.version
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
