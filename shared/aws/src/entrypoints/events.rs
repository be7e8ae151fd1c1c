//! The events function's handler: the one place where work that finished reports back.
//!
//! It is handed EventBridge's `CodeBuild Build State Change`, `CodeDeploy Deployment
//! State-change Notification` and `CloudWatch Alarm State Change` events (rules in the
//! template), and Baton's own events as they are (a bake timer from Scheduler, an approval
//! answer). Each becomes a [`baton_core::events::Event`] for the same `events::handle` that
//! `baton run` calls, which answers the waiting task. Step Functions' `Execution Status Change`
//! for an execution that ended early stops the builds it left running; a deployment's end starts
//! the next deployment waiting for its group (`deploy_queue`). A Lambda group's canary check
//! (a Scheduler timer its deploy action set) is judged from CloudWatch (`canary`).

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_types::SdkConfig;
use baton_core::alarm::AlarmState;
use baton_core::events::Event;
use baton_core::ports::{MetricsSink, TaskCallbacks};
use baton_core::stages::StageError;
use baton_core::stages::canary::CanaryPorts;
use baton_core::stages::events::{self, EventPorts};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::canary::LambdaCanary;
use crate::cloudwatch::CloudWatchAlarms;
use crate::codebuild::CodeBuildRunner;
use crate::codedeploy::CodeDeployer;
use crate::dynamodb::DynamoState;
use crate::emf::EmfMetricsSink;
use crate::entrypoints::config::{ConfigError, Env, artifact_store};
use crate::entrypoints::functions::{alarms, builds, callbacks, deployer, pending};
use crate::entrypoints::gate::ExecutionStatusChange;
use crate::s3::S3ArtifactStore;

/// The `detail` of a `CloudWatch Alarm State Change` event (the part Baton reads).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlarmStateDetail {
    pub alarm_name: String,
    pub state: AlarmStateValue,
    pub previous_state: AlarmStateValue,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlarmStateValue {
    pub value: String,
    #[serde(default)]
    pub reason: String,
}

fn alarm_state(value: &str) -> Result<AlarmState, StageError> {
    Ok(match value {
        "OK" => AlarmState::Ok,
        "ALARM" => AlarmState::Alarm,
        "INSUFFICIENT_DATA" => AlarmState::InsufficientData,
        other => return Err(StageError::InvalidInput(format!("alarm state `{other}`"))),
    })
}

#[allow(missing_debug_implementations, reason = "holds trait objects")]
pub struct EventsFunction {
    pub store: S3ArtifactStore,
    pub pending: DynamoState,
    pub callbacks: Arc<dyn TaskCallbacks>,
    pub alarms: CloudWatchAlarms,
    pub metrics: Arc<dyn MetricsSink>,
    pub builds: CodeBuildRunner,
    pub deployer: CodeDeployer,
    /// Lambda groups' canary analyses (each check carries its analysis).
    pub canary: LambdaCanary,
}

impl EventsFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        tokio::join!(self.pending.warm(), self.store.warm());
    }

    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        let store = artifact_store(config, env)?;
        Ok(Self {
            builds: builds(config, env, store.clone())?,
            deployer: deployer(config, env, store.clone())?,
            store,
            pending: pending(config, env)?,
            callbacks: callbacks(config),
            alarms: alarms(config, env),
            metrics: Arc::new(EmfMetricsSink::stdout()),
            canary: LambdaCanary::new(aws_sdk_codedeploy::Client::new(config), alarms(config, env)),
        })
    }

    /// An AWS service's event (it has `source` and `detail`), or one of Baton's own.
    pub async fn translate(&self, input: Value) -> Result<Option<Event>, StageError> {
        if input.get("detail").is_none() || input.get("source").is_none() {
            return baton_core::stages::decode(input).map(Some);
        }
        let kind = input["detail-type"].as_str().unwrap_or_default().to_string();
        match kind.as_str() {
            "CodeBuild Build State Change" => Ok(self.builds.event(&baton_core::stages::decode(input)?).await?),
            "CodeDeploy Deployment State-change Notification" => Ok(self.deployer.event(&baton_core::stages::decode(input)?).await?),
            "Step Functions Execution Status Change" => {
                let event: EventBridgeEvent<ExecutionStatusChange> = baton_core::stages::decode(input)?;
                Ok(Some(Event::ExecutionEnded {
                    execution_id: event.detail.name,
                    status: event.detail.status,
                }))
            }
            "CloudWatch Alarm State Change" => {
                let event: EventBridgeEvent<AlarmStateDetail> = baton_core::stages::decode(input)?;
                let d = event.detail;
                let Some(alarm) = self.alarms.pipeline_name(&d.alarm_name) else {
                    tracing::debug!(alarm = %d.alarm_name, "not one of this stack's alarms");
                    return Ok(None);
                };
                Ok(Some(Event::AlarmStateChange {
                    state: alarm_state(&d.state.value)?,
                    previous: alarm_state(&d.previous_state.value)?,
                    alarm: alarm.to_string(),
                    reason: d.state.reason,
                }))
            }
            other => Err(StageError::InvalidInput(format!(
                "`{other}` events are not for the events function"
            ))),
        }
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        // AWS's events and Baton's both name their kind in `detail-type`, under the same names.
        let kind = input["detail-type"].clone();
        let Some(event) = self.translate(input).await? else {
            return Ok(json!({ "ignored": true }));
        };
        // A group whose deployment ended takes the next deployment waiting for it.
        let freed = match &event {
            Event::DeploymentStateChange { group, status, .. } if status.is_terminal() => Some(group.clone()),
            _ => None,
        };
        let ports = EventPorts {
            artifacts: &self.store,
            pending: &self.pending,
            callbacks: self.callbacks.as_ref(),
            alarms: &self.alarms,
            metrics: self.metrics.as_ref(),
            builds: &self.builds,
            canary: Some(CanaryPorts {
                source: &self.canary,
                deployer: &self.deployer,
            }),
        };
        events::handle(ports, event).await?;
        // After the answer: an error here is retried with the whole event, whose answer is
        // then a no-op (its token is taken), and the waiting start is tried again.
        if let Some(group) = freed
            && let Some((correlation, id)) = self.deployer.start_next(&group).await?
        {
            return Ok(json!({ "handled": kind, "started": { "correlation": correlation, "deployment_id": id } }));
        }
        Ok(json!({ "handled": kind }))
    }
}
