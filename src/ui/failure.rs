//! Why an execution failed, at a glance: the first action that failed, the execution's error and
//! cause, the lines of that action's log that say so (a build's last lines, a deployment's failed
//! hook), and what the rollback did.

use baton_core::execution_states::StateStatus;
use baton_core::model::Pipeline;
use baton_core::operations::{BuildRef, DeploymentLog, ExecutionSummary, LogCursor, OperationError, Operations};
use baton_core::pipeline_status::PipelineStatus;
use baton_core::stages::lambda_error::readable_cause;
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

/// `None` for an execution that did not fail. Read through the operations port, so a failure
/// on a stack reads as one here: a build's log from CloudWatch Logs, a hook's from CodeDeploy.
pub(super) async fn of(
    ops: &dyn Operations,
    pipeline: &Pipeline,
    exec: &ExecutionSummary,
    states: &[StateStatus],
    builds: &[BuildRef],
) -> Result<Option<Failure>, OperationError> {
    if !ended_badly(exec.status) {
        return Ok(None);
    }
    let failed = states
        .iter()
        .find(|s| s.status == "FAILED" && s.name.contains(':') && baton_core::synth::gate_stage(&s.name).is_none());
    let mut deployments = Vec::new();
    for group in pipeline.groups.keys() {
        deployments.extend(ops.deployment_logs(&exec.id, group).await?);
    }
    let lines = match failed {
        Some(s) => match builds.iter().rev().find(|b| b.action == s.name) {
            Some(b) => build_lines(&ops.build_log(b, &LogCursor::default()).await?.text),
            None => deployment_lines(&deployments),
        },
        None => Vec::new(),
    };
    let rollbacks = deployments
        .iter()
        .filter(|d| d.rollback)
        .map(|d| format!("{} → {} {}", d.group, d.revision.as_deref().unwrap_or("?"), d.status))
        .collect();
    Ok(Some(Failure {
        action: failed.map(|s| s.name.clone()),
        error: exec.error.clone(),
        cause: exec.cause.as_deref().map(|c| readable_cause(c).into_owned()),
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
fn build_lines(log: &str) -> Vec<String> {
    const FAILED: &str = "[Container] Command did not exit successfully";
    match log.lines().position(|l| l.contains(FAILED)) {
        Some(at) => last(&log.lines().take(at + 1).collect::<Vec<_>>().join("\n")),
        None => last(log),
    }
}

/// The failed deployment's failed target: its failing event, then what its hooks printed.
fn deployment_lines(deployments: &[DeploymentLog]) -> Vec<String> {
    let Some(d) = deployments.iter().find(|d| !d.rollback && d.status == "Failed") else {
        return Vec::new();
    };
    let Some(target) = d.targets.iter().find(|t| t.events.iter().any(|e| e.status == "Failed")) else {
        return d.reason.iter().cloned().collect();
    };
    let mut lines: Vec<String> = target
        .events
        .iter()
        .filter(|e| e.status == "Failed")
        .map(|e| format!("{} {} Failed: {}", target.name, e.event, e.message.as_deref().unwrap_or("")))
        .collect();
    lines.extend(last(&target.output));
    lines
}

#[cfg(test)]
mod tests {
    use baton_core::operations::{LifecycleStep, TargetLog};

    use super::*;

    #[test]
    fn a_build_is_quoted_up_to_the_command_that_failed() {
        let log = "[Container] Running command make\nok 1\nnot ok 2\n[Container] Command did not exit successfully make exit status 2\n[Container] Phase complete: BUILD State: FAILED\n";
        let lines = build_lines(log);
        assert_eq!(
            lines.last().map(String::as_str),
            Some("[Container] Command did not exit successfully make exit status 2")
        );
        assert!(lines.contains(&"not ok 2".to_string()), "{lines:?}");
        let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
        assert_eq!(
            build_lines(&long).first().map(String::as_str),
            Some("line 28"),
            "the last {QUOTED_LINES} lines"
        );
    }

    #[test]
    fn a_deployment_is_quoted_by_its_failed_target_and_what_its_hooks_printed() {
        let step = |event: &str, status: &str, message: Option<&str>| LifecycleStep {
            event: event.into(),
            status: status.into(),
            message: message.map(String::from),
        };
        let failed = DeploymentLog {
            id: "d-1".into(),
            group: "staging".into(),
            revision: Some("app@2".into()),
            status: "Failed".into(),
            rollback: false,
            reason: Some("a hook failed".into()),
            targets: vec![
                TargetLog {
                    name: "staging#0".into(),
                    events: vec![step("ApplicationStart", "Succeeded", None)],
                    output: "started\n".into(),
                },
                TargetLog {
                    name: "staging#1".into(),
                    events: vec![step("ValidateService", "Failed", Some("exit 1"))],
                    output: "curl: (7) refused\n".into(),
                },
            ],
            analysis: Vec::new(),
        };
        let rollback = DeploymentLog {
            id: "d-2".into(),
            rollback: true,
            status: "Succeeded".into(),
            ..failed.clone()
        };
        assert_eq!(
            deployment_lines(&[rollback, failed.clone()]),
            ["staging#1 ValidateService Failed: exit 1", "curl: (7) refused"]
        );
        let without_targets = DeploymentLog {
            targets: Vec::new(),
            ..failed
        };
        assert_eq!(deployment_lines(&[without_targets]), ["a hook failed"]);
    }
}
