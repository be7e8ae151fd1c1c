//! The stage functions' handlers (source, build, deploy, approval, bake, rollback): each holds
//! the adapters its `baton-core` handler needs, built once at init from the environment the
//! template sets, and hands every invocation to the same handler `baton run` calls. The
//! functions' `main`s only pick one, warm it and serve it.
//!
//! Environment: BATON_TABLE (pending tasks), BATON_BUCKET / BATON_PREFIX / BATON_KMS_KEY
//! (artifacts), BATON_PROJECT (CodeBuild), BATON_APPLICATION (CodeDeploy), BATON_SCHEDULE_GROUP,
//! BATON_EVENTS_FUNCTION_ARN and BATON_SCHEDULER_ROLE_ARN (timers), BATON_ALARM_PREFIX (what the
//! stack puts before pipeline.yml's alarm names), BATON_LAMBDA_GROUPS (Lambda deployment groups).

use std::sync::Arc;

use aws_types::SdkConfig;
use baton_core::ports::{MetricsSink, TaskCallbacks};
use baton_core::stages::{StageError, approval, bake, build, deploy, rollback, source};
use serde_json::Value;

use crate::cloudwatch::CloudWatchAlarms;
use crate::codebuild::CodeBuildRunner;
use crate::codecommit_source::CodeCommitSource;
use crate::codedeploy::CodeDeployer;
use crate::dynamodb::DynamoState;
use crate::emf::EmfMetricsSink;
use crate::entrypoints::config::{ConfigError, Env, artifact_store};
use crate::lambda_deploy::LambdaGroups;
use crate::s3::S3ArtifactStore;
use crate::scheduler::SchedulerTimers;
use crate::sfn::StepFunctions;

pub fn pending(config: &SdkConfig, env: &Env) -> Result<DynamoState, ConfigError> {
    Ok(DynamoState::new(aws_sdk_dynamodb::Client::new(config), env.require("BATON_TABLE")?))
}

/// Also reads BATON_LAMBDA_GROUPS (the pipeline's Lambda groups as JSON), when set and not
/// empty, and BATON_TABLE (where starts wait for a busy group).
pub fn deployer(config: &SdkConfig, env: &Env, store: S3ArtifactStore) -> Result<CodeDeployer, ConfigError> {
    deployer_on(aws_sdk_codedeploy::Client::new(config), config, env, store)
}

/// [`deployer`] on a given CodeDeploy client.
pub fn deployer_on(
    client: aws_sdk_codedeploy::Client,
    config: &SdkConfig,
    env: &Env,
    store: S3ArtifactStore,
) -> Result<CodeDeployer, ConfigError> {
    // A start refused because the group is busy waits in the parked-task table.
    let deployer = CodeDeployer::new(client, env.require("BATON_APPLICATION")?, store).with_queue(pending(config, env)?);
    // A template parameter left empty comes through as an empty variable.
    let text = env.get("BATON_LAMBDA_GROUPS").unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(deployer);
    }
    let groups = LambdaGroups::parse(text).map_err(|e| ConfigError(format!("BATON_LAMBDA_GROUPS is not a map of Lambda groups: {e}")))?;
    Ok(deployer.with_lambda(LambdaGroups::new(aws_sdk_lambda::Client::new(config), groups)))
}

pub fn builds(config: &SdkConfig, env: &Env, store: S3ArtifactStore) -> Result<CodeBuildRunner, ConfigError> {
    Ok(CodeBuildRunner::new(
        aws_sdk_codebuild::Client::new(config),
        env.require("BATON_PROJECT")?,
        store,
    ))
}

/// One-time Scheduler schedules that invoke the events function: BATON_SCHEDULE_GROUP,
/// BATON_EVENTS_FUNCTION_ARN and BATON_SCHEDULER_ROLE_ARN.
pub fn timers(config: &SdkConfig, env: &Env) -> Result<SchedulerTimers, ConfigError> {
    Ok(SchedulerTimers::new(
        aws_sdk_scheduler::Client::new(config),
        env.require("BATON_SCHEDULE_GROUP")?,
        env.require("BATON_EVENTS_FUNCTION_ARN")?,
        env.require("BATON_SCHEDULER_ROLE_ARN")?,
    ))
}

/// [`timers`] where the environment names a schedule group; `None` where it names none.
pub fn optional_timers(config: &SdkConfig, env: &Env) -> Option<SchedulerTimers> {
    env.get("BATON_SCHEDULE_GROUP").and_then(|_| timers(config, env).ok())
}

/// CloudWatch alarms under the names the stack gave them (BATON_ALARM_PREFIX + pipeline.yml's).
pub fn alarms(config: &SdkConfig, env: &Env) -> CloudWatchAlarms {
    CloudWatchAlarms::new(aws_sdk_cloudwatch::Client::new(config))
        .with_prefix(env.get("BATON_ALARM_PREFIX").unwrap_or_default().to_string())
}

/// Task callbacks need no state machine: a task token names its execution.
pub fn callbacks(config: &SdkConfig) -> Arc<dyn TaskCallbacks> {
    Arc::new(StepFunctions::new(aws_sdk_sfn::Client::new(config), String::new()))
}

/// The Source stage: the pushed commit, versioned as the `source` artifact.
#[derive(Debug)]
pub struct SourceFunction {
    pub source: CodeCommitSource,
}

impl SourceFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        self.source.store().warm().await;
    }

    /// Also reads BATON_REPOSITORY and BATON_BRANCH (what a run without a revision builds).
    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            source: CodeCommitSource::new(
                aws_sdk_codecommit::Client::new(config),
                env.require("BATON_REPOSITORY")?,
                env.get("BATON_BRANCH").unwrap_or("main").to_string(),
                artifact_store(config, env)?,
            ),
        })
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        source::run(&self.source, baton_core::stages::decode(input)?).await
    }
}

/// Build and test actions: a CodeBuild build of the shared project, its token parked.
#[derive(Debug)]
pub struct BuildFunction {
    pub builds: CodeBuildRunner,
    pub pending: DynamoState,
}

impl BuildFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        tokio::join!(self.pending.warm(), self.builds.store().warm());
    }

    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            builds: builds(config, env, artifact_store(config, env)?)?,
            pending: pending(config, env)?,
        })
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        build::start(&self.builds, &self.pending, baton_core::stages::decode(input)?).await
    }
}

/// Deploy actions: a CodeDeploy deployment of the artifact's bundle, its token parked.
#[derive(Debug)]
pub struct DeployFunction {
    pub deployer: CodeDeployer,
    pub pending: DynamoState,
    /// Schedules a Lambda group's canary checks; absent where the template gives no Scheduler.
    pub timers: Option<SchedulerTimers>,
}

impl DeployFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        tokio::join!(self.pending.warm(), self.deployer.store().warm());
    }

    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            deployer: deployer(config, env, artifact_store(config, env)?)?,
            pending: pending(config, env)?,
            timers: optional_timers(config, env),
        })
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        let timers = self.timers.as_ref().map(|t| t as &dyn baton_core::ports::Timers);
        deploy::start(&self.deployer, &self.pending, timers, baton_core::stages::decode(input)?).await
    }
}

/// Manual approvals: the token parked until someone answers.
#[allow(missing_debug_implementations, reason = "holds trait objects")]
pub struct ApprovalFunction {
    pub pending: DynamoState,
    /// An approval that gives way to a newer execution at once fails its own token.
    pub callbacks: Arc<dyn TaskCallbacks>,
}

impl ApprovalFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        self.pending.warm().await;
    }

    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            pending: pending(config, env)?,
            callbacks: callbacks(config),
        })
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        approval::start(&self.pending, self.callbacks.as_ref(), baton_core::stages::decode(input)?).await
    }
}

/// Bakes: alarms checked now, their changes watched through EventBridge, the window's end a
/// one-time schedule.
#[derive(Debug)]
pub struct BakeFunction {
    pub alarms: CloudWatchAlarms,
    pub pending: DynamoState,
    pub timers: SchedulerTimers,
}

impl BakeFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        self.pending.warm().await;
    }

    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            alarms: alarms(config, env),
            pending: pending(config, env)?,
            timers: timers(config, env)?,
        })
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        bake::start(&self.alarms, &self.pending, &self.timers, baton_core::stages::decode(input)?).await
    }
}

/// Rollbacks: a new deployment of the group's last-good version.
#[allow(missing_debug_implementations, reason = "holds trait objects")]
pub struct RollbackFunction {
    pub store: S3ArtifactStore,
    pub deployer: CodeDeployer,
    pub pending: DynamoState,
    pub callbacks: Arc<dyn TaskCallbacks>,
    pub metrics: Arc<dyn MetricsSink>,
}

impl RollbackFunction {
    /// Opens the connections its first invocation needs.
    pub async fn warm(&self) {
        tokio::join!(self.pending.warm(), self.store.warm());
    }

    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        let store = artifact_store(config, env)?;
        Ok(Self {
            deployer: deployer(config, env, store.clone())?,
            store,
            pending: pending(config, env)?,
            callbacks: callbacks(config),
            metrics: Arc::new(EmfMetricsSink::stdout()),
        })
    }

    pub async fn handle(&self, input: Value) -> Result<Value, StageError> {
        let ports = rollback::RollbackPorts {
            artifacts: &self.store,
            deployer: &self.deployer,
            pending: &self.pending,
            callbacks: self.callbacks.as_ref(),
            metrics: self.metrics.as_ref(),
        };
        rollback::start(ports, baton_core::stages::decode(input)?).await
    }
}
