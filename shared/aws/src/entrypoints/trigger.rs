//! The trigger function's handler: a repository state-change event, or a schedule's `Scheduled
//! Event`, in; an execution (or the reason for none) out. `main` builds it once at init; tests
//! build it over moto and mocks.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_types::SdkConfig;
use baton_core::stages::StageError;
use baton_core::stages::trigger::{self, TriggerOutcome, TriggerPorts};
use baton_core::trigger::{PushTriggers, ScheduledRun};
use serde::Deserialize;
use serde_json::Value;

use crate::codecommit::{CodeCommitChanges, RepositoryStateChangeEvent, ref_change};
use crate::entrypoints::config::{ConfigError, Env, pipeline};
use crate::sfn::StepFunctions;

/// What EventBridge hands the function: a push, or a schedule's rule firing.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TriggerRequest {
    Push(Box<RepositoryStateChangeEvent>),
    Schedule(Box<EventBridgeEvent<Value>>),
}

#[derive(Debug)]
pub struct TriggerFunction {
    pub repository: String,
    pub triggers: PushTriggers,
    /// The pipeline's `schedule` triggers; the template names the EventBridge rule of the N-th
    /// one `…-schedule-N`.
    pub schedules: Vec<ScheduledRun>,
    /// What a schedule without `branch` builds (BATON_BRANCH).
    pub default_branch: String,
    pub files: CodeCommitChanges,
    pub starter: StepFunctions,
}

impl TriggerFunction {
    /// Reads the pipeline (see `config::pipeline`), BATON_REPOSITORY and BATON_STATE_MACHINE_ARN.
    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        let pipeline = pipeline(env)?;
        let default_branch = env.get("BATON_BRANCH").unwrap_or("main").to_string();
        let repository = env.require("BATON_REPOSITORY")?;
        Ok(Self {
            // Without `triggers`, pushes to BATON_BRANCH (the template's branch parameter) count.
            triggers: pipeline.triggers.push_or_branch(&default_branch),
            schedules: pipeline.triggers.schedules.clone(),
            default_branch,
            files: CodeCommitChanges::new(aws_sdk_codecommit::Client::new(config), repository.clone()),
            repository,
            starter: StepFunctions::new(aws_sdk_sfn::Client::new(config), env.require("BATON_STATE_MACHINE_ARN")?),
        })
    }

    pub async fn handle(&self, request: TriggerRequest) -> Result<TriggerOutcome, StageError> {
        match request {
            TriggerRequest::Push(event) => self.on_push(*event).await,
            TriggerRequest::Schedule(event) => self.on_schedule(*event).await,
        }
    }

    /// A schedule's rule fired: build the tip of its branch.
    async fn on_schedule(&self, event: EventBridgeEvent<Value>) -> Result<TriggerOutcome, StageError> {
        if event.detail_type != "Scheduled Event" {
            return Err(StageError::InvalidInput(format!(
                "`{}` events are not for the trigger function",
                event.detail_type
            )));
        }
        let rule = event
            .resources
            .as_ref()
            .and_then(|r| r.first())
            .map(String::as_str)
            .unwrap_or_default();
        let schedule = rule
            .rsplit_once("-schedule-")
            .and_then(|(_, n)| n.parse::<usize>().ok())
            .and_then(|n| self.schedules.get(n))
            .ok_or_else(|| StageError::InvalidInput(format!("{rule} is not one of this pipeline's schedule rules")))?;
        let branch = schedule.branch.as_deref().unwrap_or(&self.default_branch);
        let commit = self.files.branch_commit(branch).await?;
        let delivery = event.id.ok_or_else(|| StageError::InvalidInput("the event has no id".into()))?;
        trigger::on_schedule(&self.starter, &schedule.expression, commit, &delivery).await
    }

    async fn on_push(&self, event: RepositoryStateChangeEvent) -> Result<TriggerOutcome, StageError> {
        let detail = &event.detail;
        if detail.repository_name != self.repository {
            return Ok(TriggerOutcome::Skipped {
                why: format!(
                    "the push is to {}, and this pipeline follows {}",
                    detail.repository_name, self.repository
                ),
            });
        }
        let Some(change) = ref_change(detail) else {
            return Ok(TriggerOutcome::Skipped {
                why: format!("`{}` moves no branch or tag", detail.event),
            });
        };
        // EventBridge keeps the event id across redeliveries: the execution is named after it.
        let delivery = event
            .id
            .clone()
            .ok_or_else(|| StageError::InvalidInput("the event has no id".into()))?;
        let ports = TriggerPorts {
            files: &self.files,
            starter: &self.starter,
        };
        trigger::on_push(ports, &self.triggers, &change, &delivery).await
    }
}
