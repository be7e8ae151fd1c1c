//! `baton approve`: answer a manual approval that a running execution waits on. The approver
//! first sees what the execution has produced so far (artifact versions, test results), then the
//! answer goes to the run's inbox, which hands it to the waiting task.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use baton_core::events::Event;
use baton_core::ports::ArtifactRef;
use baton_local::artifact_diff::Change;
use baton_local::artifacts::FsArtifactStore;
use baton_local::db::Db;
use baton_local::{inbox, query};

use crate::out::println;
use crate::{Usage, style};

#[derive(Debug)]
pub struct Answer<'a> {
    pub execution: &'a str,
    pub action: Option<&'a str>,
    pub reject: bool,
    pub comment: Option<String>,
}

pub async fn run(answer: Answer<'_>, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let (dir, db, exec) = crate::locate::execution(pipeline, state_dir, Some(answer.execution))?;
    if exec.status != "RUNNING" {
        anyhow::bail!(Usage(format!(
            "execution {} is {}; nothing waits for approval",
            exec.id, exec.status
        )));
    }
    let waiting = inbox::waiting(&db, &exec.id)?;
    let approval = match (answer.action, waiting.as_slice()) {
        (_, []) => anyhow::bail!(Usage(format!(
            "execution {} waits for no approval now; `baton status {}` shows where it is",
            exec.id, exec.id
        ))),
        (None, [only]) => only,
        (None, several) => anyhow::bail!(Usage(format!(
            "execution {} waits for {} approvals; choose one with --action: {}",
            exec.id,
            several.len(),
            several.iter().map(|w| w.action.as_str()).collect::<Vec<_>>().join(", ")
        ))),
        (Some(name), all) => all
            .iter()
            .find(|w| w.action == name || w.action.rsplit(':').next() == Some(name))
            .ok_or_else(|| Usage(format!("execution {} has no approval `{name}` waiting", exec.id)))?,
    };

    println!(
        "Execution {} · pipeline {} · commit {}",
        exec.id,
        exec.pipeline,
        exec.commit_id.as_deref().unwrap_or("-")
    );
    println!(
        "  {} waits for approval{}",
        approval.action,
        approval.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    );
    let mut built: Vec<ArtifactRef> = Vec::new();
    for st in query::states(&query::history(&db, &exec.id)?)
        .iter()
        .filter(|s| s.kind == "Task" && s.status == "SUCCEEDED")
    {
        let summary = style::result_summary(st.result.as_ref());
        if !summary.is_empty() {
            println!("  {:<32} {summary}", st.name);
        }
        let artifacts = st.result.as_ref().and_then(|r| r.get("artifacts")).and_then(|a| a.as_object());
        built.extend(
            artifacts
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(|a| serde_json::from_value(a.clone()).ok()),
        );
    }

    // What runs now, and how the release's files differ from it.
    let store = FsArtifactStore::new(&dir, Arc::new(Db::open(&dir.join("baton.db"))?));
    let mut running: BTreeMap<String, Vec<ArtifactRef>> = BTreeMap::new();
    for i in query::instances(&db, &exec.pipeline)?.into_iter().filter(|i| i.running) {
        if let Some(a) = i.artifact.and_then(|a| serde_json::from_value::<ArtifactRef>(a).ok()) {
            let versions = running.entry(i.group).or_default();
            if !versions.contains(&a) {
                versions.push(a);
            }
        }
    }
    for (group, versions) in &running {
        let names: Vec<String> = versions.iter().map(ToString::to_string).collect();
        println!("  group {group} now runs {}", names.join(", "));
        for (now, next) in versions
            .iter()
            .flat_map(|v| built.iter().filter(move |b| b.name == v.name).map(move |b| (v, b)))
        {
            let changes = store.diff(&exec.pipeline, now, next)?;
            let count = |c: Change| changes.iter().filter(|x| x.change == c).count();
            println!(
                "    {now} → {next}: {} changed, {} added, {} removed (baton artifacts diff {now} {next})",
                count(Change::Changed),
                count(Change::Added),
                count(Change::Removed)
            );
        }
    }

    let approver = crate::locate::user();
    let event = Event::ApprovalAnswered {
        execution_id: exec.id.clone(),
        action: approval.action.clone(),
        approved: !answer.reject,
        approver: approver.clone(),
        comment: answer.comment,
    };
    inbox::deliver(&dir, &exec.id, &event).await?;
    let verdict = if answer.reject { "rejected" } else { "approved" };
    println!("{} {verdict} by {approver}", approval.action);
    Ok(0)
}
