//! Why an execution failed, at a glance: the first action that failed, the execution's error and
//! cause, the lines of that action's log that say so (a build's last lines, a deployment's failed
//! hook), and what the rollback did.

use std::path::Path;

use baton_local::PipelineStatus;
use baton_local::db::Db;
use baton_local::query::{self, BuildRow, DeploymentRow, ExecutionRow, StateStatus};
use serde::Serialize;

/// The lines a summary quotes: enough to show the failing command and what it printed.
const QUOTED_LINES: usize = 12;

#[derive(Debug, Serialize)]
pub(super) struct Failure {
    /// The first action that failed, `Stage:Action`.
    pub action: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// The last lines of the failed action's log.
    pub lines: Vec<String>,
    /// What each rollback of the execution did: `staging → app@2 Succeeded`.
    pub rollbacks: Vec<String>,
}

fn ended_badly(status: PipelineStatus) -> bool {
    matches!(status, PipelineStatus::Failed | PipelineStatus::TimedOut | PipelineStatus::Aborted)
}

/// `None` for an execution that did not fail.
pub(super) fn of(
    db: &Db,
    state_dir: &Path,
    pipeline: &str,
    exec: &ExecutionRow,
    states: &[StateStatus],
) -> anyhow::Result<Option<Failure>> {
    if !ended_badly(exec.status) {
        return Ok(None);
    }
    let failed = states
        .iter()
        .find(|s| s.status == "FAILED" && s.name.contains(':') && baton_core::synth::gate_stage(&s.name).is_none());
    let builds = query::builds(db, &exec.id)?;
    let deployments = query::deployments(db, &exec.id)?;
    let lines = match failed {
        Some(s) => match builds.iter().rev().find(|b| b.action == s.name) {
            Some(b) => build_lines(b),
            None => deployment_lines(state_dir, pipeline, &deployments),
        },
        None => Vec::new(),
    };
    let rollbacks = deployments
        .iter()
        .filter(|d| d.rollback)
        .map(|d| {
            format!(
                "{} → {} {}",
                d.group,
                crate::style::artifact(&d.artifact).unwrap_or_default(),
                d.status
            )
        })
        .collect();
    Ok(Some(Failure {
        action: failed.map(|s| s.name.clone()),
        error: exec.error.clone(),
        cause: exec.cause.clone(),
        lines,
        rollbacks,
    }))
}

fn last(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(QUOTED_LINES)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// The lines up to the first command that failed (what it printed, then CodeBuild's line
/// saying so); the log's last lines when no command failed (a timeout, a missing artifact).
fn build_lines(b: &BuildRow) -> Vec<String> {
    const FAILED: &str = "[Container] Command did not exit successfully";
    let text = std::fs::read_to_string(&b.log_path).unwrap_or_default();
    match text.lines().position(|l| l.contains(FAILED)) {
        Some(at) => last(&text.lines().take(at + 1).collect::<Vec<_>>().join("\n")),
        None => last(&text),
    }
}

/// The failed deployment's failed instance: its failing event, then what its hooks printed.
fn deployment_lines(state_dir: &Path, pipeline: &str, deployments: &[DeploymentRow]) -> Vec<String> {
    let Some(d) = deployments.iter().find(|d| !d.rollback && d.status == "Failed") else {
        return Vec::new();
    };
    let Some(instance) = d.instances.iter().find(|i| i.events.iter().any(|e| e.status == "Failed")) else {
        return d.reason.iter().cloned().collect();
    };
    let mut lines: Vec<String> = instance
        .events
        .iter()
        .filter(|e| e.status == "Failed")
        .map(|e| {
            format!(
                "{}#{} {} Failed: {}",
                d.group,
                instance.instance,
                e.event,
                e.message.as_deref().unwrap_or("")
            )
        })
        .collect();
    lines.extend(last(&baton_local::deploy::lifecycle_output(
        state_dir,
        pipeline,
        &d.group,
        instance.instance,
        &d.id,
    )));
    lines
}
