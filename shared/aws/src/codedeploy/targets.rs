//! What a deployment did on each of its targets (`ListDeploymentTargets`,
//! `BatchGetDeploymentTargets`): the lifecycle events in the order they ran, and the tail of each
//! hook's output CodeDeploy keeps (`diagnostics.logTail`, its last 4 KB), for `baton logs`.

use aws_sdk_codedeploy::types::{DeploymentCreator, DeploymentTarget, LifecycleEvent};
use baton_core::operations::{DeploymentLog, LifecycleStep, TargetLog};
use baton_core::ports::PortResult;

use super::{CodeDeployer, DeploymentTag};
use crate::sdk::port_error;

/// `BatchGetDeploymentTargets` takes at most 25 target ids a call.
const TARGETS_PER_CALL: usize = 25;

impl CodeDeployer {
    /// Deployment `id` with each target's lifecycle, and the rollback that replaced it if
    /// CodeDeploy made one; `None` when CodeDeploy has no such deployment.
    pub async fn log(&self, id: &str) -> PortResult<Option<(DeploymentLog, Option<String>)>> {
        let out = match self.client.get_deployment().deployment_id(id).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_deployment_does_not_exist_exception()) => return Ok(None),
            Err(e) => return Err(port_error("CodeDeploy GetDeployment", &e)),
        };
        let Some(info) = out.deployment_info() else { return Ok(None) };
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_deployment_targets()
                .deployment_id(id)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| port_error("CodeDeploy ListDeploymentTargets", &e))?;
            ids.extend(page.target_ids().iter().cloned());
            match page.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_string()),
                _ => break,
            }
        }
        let mut targets = Vec::new();
        for chunk in ids.chunks(TARGETS_PER_CALL) {
            let out = self
                .client
                .batch_get_deployment_targets()
                .deployment_id(id)
                .set_target_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| port_error("CodeDeploy BatchGetDeploymentTargets", &e))?;
            targets.extend(out.deployment_targets().iter().map(target));
        }
        // Baton's own deployments say what they deploy in their description; CodeDeploy's
        // automatic rollbacks do not.
        let tag = info.description().and_then(DeploymentTag::parse);
        let log = DeploymentLog {
            id: id.to_string(),
            group: info.deployment_group_name().unwrap_or_default().to_string(),
            revision: tag.as_ref().map(|t| t.artifact.to_string()),
            status: info.status().map_or("Unknown", |s| s.as_str()).to_string(),
            rollback: tag.as_ref().is_some_and(|t| t.rollback) || info.creator() == Some(&DeploymentCreator::CodeDeployRollback),
            reason: info.error_information().and_then(|e| e.message()).map(str::to_string),
            targets,
            // CodeDeploy does not know of it; the operations add what the state table kept.
            analysis: Vec::new(),
        };
        let replaced_by = info.rollback_info().and_then(|r| r.rollback_deployment_id()).map(str::to_string);
        Ok(Some((log, replaced_by)))
    }
}

/// An instance, a Lambda function or an ECS service, with its lifecycle events.
fn target(t: &DeploymentTarget) -> TargetLog {
    let (name, events): (Option<&str>, &[LifecycleEvent]) = if let Some(i) = t.instance_target() {
        (i.target_id(), i.lifecycle_events())
    } else if let Some(l) = t.lambda_target() {
        (l.target_id(), l.lifecycle_events())
    } else if let Some(e) = t.ecs_target() {
        (e.target_id(), e.lifecycle_events())
    } else {
        (None, &[])
    };
    TargetLog {
        name: name.unwrap_or("?").to_string(),
        events: events
            .iter()
            .map(|e| LifecycleStep {
                event: e.lifecycle_event_name().unwrap_or_default().to_string(),
                status: e.status().map_or("Unknown", |s| s.as_str()).to_string(),
                message: e
                    .diagnostics()
                    .and_then(|d| d.message())
                    .filter(|m| !m.is_empty())
                    .map(str::to_string),
            })
            .collect(),
        output: events
            .iter()
            .filter_map(|e| e.diagnostics().and_then(|d| d.log_tail()))
            .filter(|tail| !tail.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_codedeploy::types::{DeploymentTarget, Diagnostics, LambdaTarget, LifecycleEvent, LifecycleEventStatus};

    use super::target;

    /// A Lambda group's target is its function's alias, and its hooks are the traffic hooks
    /// (the AppSpec reference's Lambda lifecycle: BeforeAllowTraffic, AllowTraffic,
    /// AfterAllowTraffic).
    #[test]
    fn a_lambda_target_is_its_alias_with_its_traffic_hooks() {
        let event = |name: &str, status: LifecycleEventStatus, message: &str, tail: &str| {
            LifecycleEvent::builder()
                .lifecycle_event_name(name)
                .status(status)
                .diagnostics(Diagnostics::builder().message(message).log_tail(tail).build())
                .build()
        };
        let lambda = LambdaTarget::builder()
            .target_id("hello-api:live")
            .lifecycle_events(event("BeforeAllowTraffic", LifecycleEventStatus::Succeeded, "", ""))
            .lifecycle_events(event("AllowTraffic", LifecycleEventStatus::Succeeded, "", ""))
            .lifecycle_events(event(
                "AfterAllowTraffic",
                LifecycleEventStatus::Failed,
                "The PostTraffic hook failed",
                "smoke test: 503",
            ))
            .build();
        let log = target(&DeploymentTarget::builder().lambda_target(lambda).build());
        let steps: Vec<(&str, &str, Option<&str>)> = log
            .events
            .iter()
            .map(|e| (e.event.as_str(), e.status.as_str(), e.message.as_deref()))
            .collect();
        assert_eq!(
            (log.name.as_str(), steps, log.output.as_str()),
            (
                "hello-api:live",
                vec![
                    ("BeforeAllowTraffic", "Succeeded", None),
                    ("AllowTraffic", "Succeeded", None),
                    ("AfterAllowTraffic", "Failed", Some("The PostTraffic hook failed")),
                ],
                "smoke test: 503"
            )
        );
    }
}
