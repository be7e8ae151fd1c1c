//! Where the console's pipeline runs: this machine's state directory, or a deployed stack. What
//! both have (executions, states, builds and their logs, approvals, stops, retries, rollbacks,
//! DORA) goes through the operations port; this is the rest, which each executor keeps in its
//! own way.

use std::time::Duration;

use baton_core::model::Pipeline;
use baton_core::ports::{ArtifactStore, Manifest};
use serde_json::Value;

use super::api::ApiError;
use super::local::Local;

/// How many metric series the page charts.
pub(super) const CHARTS: usize = 12;

pub(super) enum Executor {
    Local(Local),
    #[cfg(feature = "aws")]
    Stack(super::stack::Stack),
}

/// What an execution's page shows beyond its states, builds and approvals.
pub(super) struct ExecutionExtras {
    /// The graph of the state machine the execution ran, when the executor keeps it.
    pub graph: Option<Value>,
    pub deployments: Value,
    pub instances: Value,
    pub alarms: Value,
}

/// The alarms, their last day of transitions and the charted series.
pub(super) struct Observed {
    pub alarms: Value,
    pub alarm_history: Value,
    pub series: Vec<Value>,
    /// What could not be read, said on the page rather than failing the rest.
    pub unavailable: Vec<String>,
}

impl Executor {
    pub(super) async fn execution(&self, id: &str, exec_pipeline: &str, pipeline: &Pipeline) -> Result<ExecutionExtras, ApiError> {
        match self {
            Self::Local(local) => local.execution(id, exec_pipeline, pipeline),
            #[cfg(feature = "aws")]
            Self::Stack(stack) => stack.execution(id, pipeline).await,
        }
    }

    pub(super) async fn groups(&self, pipeline: &Pipeline) -> Result<Vec<Value>, ApiError> {
        match self {
            Self::Local(local) => local.groups(pipeline).await,
            #[cfg(feature = "aws")]
            Self::Stack(stack) => stack.groups(pipeline).await,
        }
    }

    pub(super) async fn artifact(&self, pipeline: &str, artifact: &str, version: u64) -> Result<Value, ApiError> {
        match self {
            Self::Local(local) => local.artifact(pipeline, artifact, version).await,
            #[cfg(feature = "aws")]
            Self::Stack(stack) => stack.artifact(pipeline, artifact, version).await,
        }
    }

    pub(super) async fn observed(&self, pipeline: &Pipeline, day_ago: &str) -> Result<Observed, ApiError> {
        match self {
            Self::Local(local) => local.observed(&pipeline.name, day_ago),
            #[cfg(feature = "aws")]
            Self::Stack(stack) => stack.observed(pipeline).await,
        }
    }

    /// A token that moves whenever what the page shows may have changed.
    pub(super) async fn version(&self) -> String {
        match self {
            Self::Local(local) => local.version(),
            #[cfg(feature = "aws")]
            Self::Stack(stack) => stack.version().await,
        }
    }

    /// On a deployed stack, whose stops and retries are Step Functions' (see `baton stop --help`).
    pub(super) fn remote(&self) -> bool {
        !matches!(self, Self::Local(_))
    }

    /// How often `version` is asked: a file is cheap to read, AWS's APIs are rate-limited.
    pub(super) fn check_every(&self) -> Duration {
        match self {
            Self::Local(_) => Duration::from_millis(200),
            #[cfg(feature = "aws")]
            Self::Stack(_) => Duration::from_secs(5),
        }
    }

    /// Starts an execution (CodePipeline's "Release change"); its id.
    pub(super) async fn release(&self, by: &str) -> Result<String, ApiError> {
        match self {
            Self::Local(local) => local.release(by).await,
            #[cfg(feature = "aws")]
            Self::Stack(stack) => stack.release().await,
        }
    }
}

/// Version `version` of `artifact` and the one before it, as `store` keeps them.
pub(super) async fn manifests(
    store: &impl ArtifactStore,
    pipeline: &str,
    artifact: &str,
    version: u64,
) -> Result<(Manifest, Option<Manifest>), ApiError> {
    let manifest = |v: u64| store.manifest(pipeline, artifact, v);
    let Some(this) = manifest(version).await.map_err(ApiError::internal)? else {
        return Err(ApiError::not_found(format!("no stored version {artifact}@{version}")));
    };
    let previous = match version {
        0 | 1 => None,
        v => manifest(v - 1).await.map_err(ApiError::internal)?,
    };
    Ok((this, previous))
}
