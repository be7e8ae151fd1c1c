//! The trigger function's handler: a repository state-change event in, an execution (or the
//! reason for none) out. `main` builds it once at init; tests build it over moto and mocks.

use aws_types::SdkConfig;
use baton_core::stages::StageError;
use baton_core::stages::trigger::{self, TriggerOutcome, TriggerPorts};
use baton_core::trigger::PushTriggers;

use crate::codecommit::{CodeCommitChanges, RepositoryStateChangeEvent, ref_change};
use crate::sfn::StepFunctions;

#[derive(Debug)]
pub struct TriggerFunction {
    pub repository: String,
    pub triggers: PushTriggers,
    pub files: CodeCommitChanges,
    pub starter: StepFunctions,
}

/// Why the function could not start: a missing setting or an unreadable pipeline.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub(crate) fn env(name: &str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError(format!("the function needs the environment variable {name}")))
}

impl TriggerFunction {
    /// Reads BATON_PIPELINE (path of pipeline.yml), BATON_REPOSITORY and BATON_STATE_MACHINE_ARN.
    pub fn from_env(config: &SdkConfig) -> Result<Self, ConfigError> {
        let path = env("BATON_PIPELINE")?;
        let pipeline = baton_core::load_pipeline(std::path::Path::new(&path)).map_err(|e| ConfigError(e.to_string()))?;
        Ok(Self {
            repository: env("BATON_REPOSITORY")?,
            // Without `triggers`, pushes to BATON_BRANCH (the template's branch parameter) count.
            triggers: pipeline
                .triggers
                .push_or_branch(&std::env::var("BATON_BRANCH").unwrap_or_else(|_| "main".into())),
            files: CodeCommitChanges::new(aws_sdk_codecommit::Client::new(config), env("BATON_REPOSITORY")?),
            starter: StepFunctions::new(aws_sdk_sfn::Client::new(config), env("BATON_STATE_MACHINE_ARN")?),
        })
    }

    pub async fn handle(&self, event: RepositoryStateChangeEvent) -> Result<TriggerOutcome, StageError> {
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
