//! The `events` handler: answers waiting tasks when builds, deployments, alarms and timers
//! report back. Every branch is idempotent: a duplicate delivery finds no pending entry.

use std::collections::BTreeMap;

use crate::alarm::AlarmState;
use crate::events::{BuildStatus, Event};
use crate::metrics;
use crate::ports::{
    AlarmWatch, ArtifactStore, BuildRunner, DeploymentStatus, MetricDatum, MetricsSink, PendingTasks, Provenance, TaskCallbacks, stop_codes,
};
use crate::stages::context::{BakeContext, BuildContext, DeployContext};
use crate::stages::outputs::{self, BakeOutput, BuildOutput, DeployOutput};
use crate::stages::{StageError, approval, bake, canary, error_types, gate, or_park_again};

#[allow(missing_debug_implementations, reason = "a bundle of trait objects")]
pub struct EventPorts<'a> {
    pub artifacts: &'a dyn ArtifactStore,
    pub pending: &'a dyn PendingTasks,
    pub callbacks: &'a dyn TaskCallbacks,
    pub alarms: &'a dyn AlarmWatch,
    pub metrics: &'a dyn MetricsSink,
    pub builds: &'a dyn BuildRunner,
    /// Timer-driven canary analyses (AWS's Lambda groups); `None` where a process watches each
    /// shift itself (this machine's front door).
    pub canary: Option<canary::CanaryPorts<'a>>,
}

/// Durations and outcomes of a finished task. A metric that cannot be published is logged, not
/// a reason to fail the pipeline.
async fn publish(ports: &EventPorts<'_>, data: Vec<MetricDatum>) {
    if let Err(e) = ports.metrics.put(&data).await {
        tracing::warn!(error = %e, "could not publish metrics");
    }
}

pub async fn handle(ports: EventPorts<'_>, event: Event) -> Result<(), StageError> {
    match event {
        Event::BuildStateChange {
            build_id,
            correlation,
            status,
            outputs,
            reports,
            coverage,
            variables,
            reason,
            log,
        } => {
            let key = crate::stages::parked::build(&correlation);
            let Some(task) = ports.pending.take(&key).await? else {
                tracing::debug!(build_id, "no task waits for this build");
                return Ok(());
            };
            let ctx: BuildContext = task.context_as();
            let dims = metrics::action_dims(&ctx.pipeline, &ctx.action);
            let took = super::elapsed_ms(&task);
            let outcome = if status == BuildStatus::Succeeded {
                "ActionSucceeded"
            } else {
                "ActionFailed"
            };
            let mut data = vec![
                metrics::datum("BuildDuration", took, "Milliseconds", dims.clone()),
                metrics::datum("ActionDuration", took, "Milliseconds", dims.clone()),
                metrics::datum(outcome, 1.0, "Count", dims.clone()),
            ];
            data.extend(metrics::test_data(&reports, &dims));
            data.extend(metrics::coverage_data(&coverage, &dims));
            publish(&ports, data).await;
            let work = async {
                if status != BuildStatus::Succeeded {
                    let mut cause = format!("build {build_id} {}: {}", status.as_str(), reason.unwrap_or_default());
                    if let Some(failing) = metrics::failing_tests(&reports) {
                        cause.push_str(&format!("; {failing}"));
                    }
                    if let Some(log) = log {
                        cause.push_str(&format!(" (log: {log})"));
                    }
                    ports.callbacks.fail(&task.token, error_types::BUILD_FAILED, &cause).await?;
                    return Ok(());
                }
                let mut artifacts = BTreeMap::new();
                for staged in &outputs {
                    let provenance = Provenance {
                        pipeline: ctx.pipeline.clone(),
                        execution_id: ctx.execution_id.clone(),
                        action: ctx.action.clone(),
                        commit_id: ctx.commit_id.clone(),
                        build_id: Some(build_id.clone()),
                        inputs: ctx.inputs.clone(),
                    };
                    let manifest = match ports.artifacts.put(staged, provenance).await {
                        Ok(m) => m,
                        // A transient failure to store them must not fail a build that succeeded
                        // (found by the fault-injection tests): the event comes again.
                        Err(e) if e.transient => return Err(e.into()),
                        Err(e) => {
                            ports
                                .callbacks
                                .fail(
                                    &task.token,
                                    error_types::BUILD_FAILED,
                                    &format!("storing artifact {}: {e}", staged.name),
                                )
                                .await?;
                            return Ok(());
                        }
                    };
                    artifacts.insert(staged.name.clone(), manifest.artifact);
                }
                let output = BuildOutput {
                    build_id,
                    artifacts,
                    variables,
                    reports,
                    coverage,
                    log,
                };
                ports.callbacks.succeed(&task.token, outputs::result(&output)).await?;
                Ok(())
            };
            or_park_again(ports.pending, &key, &task, work).await?;
        }
        Event::DeploymentStateChange {
            deployment_id,
            correlation,
            group,
            status,
            reason,
        } => {
            if !matches!(
                status,
                DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
            ) {
                return Ok(());
            }
            let key = crate::stages::parked::deployment(&correlation);
            let Some(task) = ports.pending.take(&key).await? else {
                tracing::debug!(deployment_id, "no task waits for this deployment");
                return Ok(());
            };
            let ctx: DeployContext = task.context_as();
            // A stop the canary analysis asked for ends with the analysis as its reason.
            let reason = match status {
                DeploymentStatus::Stopped => match canary::take_verdict(ports.pending, &deployment_id).await? {
                    Some(verdict) => Some(verdict + &reason.map(|r| format!(" ({r})")).unwrap_or_default()),
                    None => reason,
                },
                _ => reason,
            };
            let rollback = ctx.rollback;
            let took = super::elapsed_ms(&task);
            let gdims = metrics::group_dims(&ctx.pipeline, &group);
            let adims = metrics::action_dims(&ctx.pipeline, &ctx.action);
            let outcome = if status == DeploymentStatus::Succeeded {
                "DeploymentSucceeded"
            } else {
                "DeploymentFailed"
            };
            publish(
                &ports,
                vec![
                    metrics::datum("DeploymentDuration", took, "Milliseconds", gdims.clone()),
                    metrics::datum(outcome, 1.0, "Count", gdims),
                    metrics::datum("ActionDuration", took, "Milliseconds", adims),
                ],
            )
            .await;
            let work = async {
                if status == DeploymentStatus::Succeeded {
                    let artifact = ctx.artifact.clone();
                    if let (true, Some(a)) = (ctx.mark_good, &artifact) {
                        ports.artifacts.set_last_good(&ctx.pipeline, &group, a).await?;
                    }
                    let output = DeployOutput {
                        deployment_id,
                        group,
                        artifact,
                        rolled_back: rollback,
                    };
                    ports.callbacks.succeed(&task.token, outputs::result(&output)).await?;
                } else {
                    let error = if rollback {
                        error_types::ROLLBACK_FAILED
                    } else if status == DeploymentStatus::Stopped && stop_codes::on_request(reason.as_deref()) {
                        error_types::DEPLOYMENT_STOPPED
                    } else if status == DeploymentStatus::Stopped && stop_codes::on_alarm(reason.as_deref()) {
                        // The group's `alarm` policy covers it, as DEPLOYMENT_STOP_ON_ALARM does.
                        error_types::ALARM_TRIGGERED
                    } else if status == DeploymentStatus::Stopped && stop_codes::on_analysis(reason.as_deref()) {
                        error_types::CANARY_ANALYSIS_FAILED
                    } else {
                        error_types::DEPLOY_FAILED
                    };
                    let cause = format!(
                        "deployment {deployment_id} to {group} {}: {}",
                        status.as_str(),
                        reason.unwrap_or_default()
                    );
                    ports.callbacks.fail(&task.token, error, &cause).await?;
                }
                Ok(())
            };
            or_park_again(ports.pending, &key, &task, work).await?;
        }
        Event::AlarmStateChange { alarm, state, reason, .. } => {
            if state != AlarmState::Alarm {
                return Ok(());
            }
            for (key, task) in ports.pending.list(crate::stages::parked::BAKES).await? {
                let ctx: BakeContext = task.context_as();
                if ctx.alarms.contains(&alarm) && ports.pending.take(&key).await?.is_some() {
                    let adims = metrics::action_dims(&ctx.pipeline, &ctx.action);
                    publish(
                        &ports,
                        vec![
                            metrics::datum("ActionDuration", super::elapsed_ms(&task), "Milliseconds", adims.clone()),
                            metrics::datum("ActionFailed", 1.0, "Count", adims),
                        ],
                    )
                    .await;
                    let cause = format!("alarm {alarm} went to ALARM during the bake of group {}: {reason}", ctx.group);
                    ports.callbacks.fail(&task.token, error_types::ALARM_TRIGGERED, &cause).await?;
                }
            }
        }
        Event::BakeWindowElapsed { correlation } => {
            let key = crate::stages::parked::bake(&correlation);
            let Some(task) = ports.pending.take(&key).await? else {
                return Ok(()); // an alarm already ended this bake
            };
            let ctx: BakeContext = task.context_as();
            let adims = metrics::action_dims(&ctx.pipeline, &ctx.action);
            publish(
                &ports,
                vec![metrics::datum("ActionDuration", super::elapsed_ms(&task), "Milliseconds", adims)],
            )
            .await;
            let work = async {
                if let Err(e) = bake::first_alarm(ports.alarms, &ctx.alarms).await {
                    ports.callbacks.fail(&task.token, e.error_type(), &e.to_string()).await?;
                    return Ok(());
                }
                let artifact = ctx
                    .artifact
                    .clone()
                    .ok_or_else(|| StageError::InvalidInput(format!("the bake of group {} has no artifact", ctx.group)))?;
                ports.artifacts.set_last_good(&ctx.pipeline, &ctx.group, &artifact).await?;
                let output = BakeOutput {
                    group: ctx.group.clone(),
                    passed: true,
                    alarms: ctx.alarms.clone(),
                    last_good: artifact,
                };
                ports.callbacks.succeed(&task.token, outputs::result(&output)).await?;
                Ok(())
            };
            or_park_again(ports.pending, &key, &task, work).await?;
        }
        Event::ApprovalAnswered {
            execution_id,
            action,
            approved,
            approver,
            comment,
        } => {
            let answer = approval::Answer {
                execution_id,
                action,
                approved,
                approver,
                comment,
            };
            approval::answer(ports.pending, ports.callbacks, ports.metrics, answer).await?;
        }
        event @ (Event::StageEntered { .. } | Event::ExecutionSuperseded { .. }) => {
            gate::answer(ports.pending, ports.callbacks, ports.metrics, event).await?;
        }
        Event::CanaryCheck {
            deployment_id,
            group,
            analysis,
            interval,
            started_ms,
        } => match &ports.canary {
            Some(c) => {
                let check = canary::Check {
                    deployment_id: &deployment_id,
                    group: &group,
                    analysis: &analysis,
                    interval,
                    started_ms,
                };
                canary::check(c, ports.pending, check).await?;
            }
            None => tracing::warn!(deployment_id, "a canary check where no analysis is timer-driven"),
        },
        Event::ExecutionEnded { execution_id, status } => {
            super::abandon::ended(ports.pending, ports.builds, &execution_id, &status).await?;
        }
    }
    Ok(())
}
