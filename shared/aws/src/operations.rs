//! The operations of [`baton_core::operations`] on a deployed stack: what `baton run`, `history`,
//! `status`, `logs`, `replay`, `cost`, `metrics`, `approve`, `stop`, `retry`, `rollback` and
//! `stop-deployment` read of and do to the executions of its state machine, its builds, its
//! metrics and its deployment groups.
//!
//! An approval is answered by the same `approval::answer` the events function runs, with the
//! caller's AWS identity (STS `GetCallerIdentity`) as the approver, never a typed name. A stop is
//! Step Functions' `StopExecution` and a retry its `RedriveExecution`; both are what Step
//! Functions offers, so the local executor's "stop and wait" and "retry the whole stage" are
//! refused with what to ask instead. A rollback is a CodeDeploy deployment of the group's
//! last-good revision (or a named version), as the rollback function makes one.

mod approvals;
mod dora;
mod executions;
mod history;
mod logs;
mod metrics;
mod recorded;
mod review;

use executions::{rfc3339, status_of};

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_types::SdkConfig;
use baton_asl::replay::Recording;
use baton_core::Pipeline;
use baton_core::dora::Dora;
use baton_core::metrics::{MetricSeries, MetricWindow};
use baton_core::operations::{
    Answered, ApprovalAnswer, ApprovalReview, BuildRef, DeploymentEnded, DeploymentLog, DeploymentStopped, DeploymentStopping,
    ExecutionDetail, ExecutionHistory, ExecutionQuery, ExecutionRecording, ExecutionRef, ExecutionStopped, ExecutionSummary, LogChunk,
    LogCursor, MAX_APPROVAL_COMMENT, OperationError, Operations, Prepared, RetryPlan, RollbackPlan, StopDeployment, StopExecution,
    WaitingApproval,
};
use baton_core::pipeline_status::PipelineStatus;
use baton_core::ports::{ArtifactStore, DeployRequest, Deployer, DeploymentStatus, DeploymentStop, MetricsSink, PortError};
use baton_core::stages::approval;

use crate::cloudwatch::CloudWatchAlarms;
use crate::codedeploy::CodeDeployer;
use crate::dynamodb::DynamoState;
use crate::entrypoints::config::{ConfigError, Env};
use crate::sfn::StepFunctions;

/// How many executions a listing describes at most (one `DescribeExecution` each), newest
/// first: a search for a rare word ends there rather than reading a long history whole.
const SEARCHED: usize = 1000;

/// How often a stop, a redrive or a deployment is looked at while the caller waits for its end.
const POLL: Duration = Duration::from_secs(2);

/// The operations on one stack's pipeline, through the clients and adapters its functions use.
#[allow(missing_debug_implementations, reason = "holds a trait object")]
pub struct AwsOperations {
    pub pipeline: Pipeline,
    pub state_machine_arn: String,
    pub sfn: aws_sdk_sfn::Client,
    /// Who answers an approval.
    pub sts: aws_sdk_sts::Client,
    /// The parked-task table, where approvals wait.
    pub pending: DynamoState,
    pub callbacks: StepFunctions,
    pub metrics: Arc<dyn MetricsSink>,
    pub deployer: CodeDeployer,
    /// The stack's metrics and alarms.
    pub cloudwatch: CloudWatchAlarms,
    /// Its builds, and their logs.
    pub codebuild: aws_sdk_codebuild::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl AwsOperations {
    /// From the environment the stack gives its functions: the pipeline (see `config::pipeline`),
    /// BATON_STATE_MACHINE_ARN, BATON_TABLE, BATON_BUCKET and BATON_APPLICATION.
    pub fn from_env(config: &SdkConfig, env: &Env, metrics: Arc<dyn MetricsSink>) -> Result<Self, ConfigError> {
        let store = crate::entrypoints::config::artifact_store(config, env)?;
        let sfn = aws_sdk_sfn::Client::new(config);
        Ok(Self {
            pipeline: crate::entrypoints::config::pipeline(env)?,
            state_machine_arn: env.require("BATON_STATE_MACHINE_ARN")?,
            callbacks: StepFunctions::new(sfn.clone(), String::new()),
            sfn,
            sts: aws_sdk_sts::Client::new(config),
            pending: crate::entrypoints::functions::pending(config, env)?,
            metrics,
            deployer: crate::entrypoints::functions::deployer(config, env, store)?,
            cloudwatch: crate::entrypoints::functions::alarms(config, env),
            codebuild: aws_sdk_codebuild::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
        })
    }

    /// An execution of this stack's state machine: `id` is its name or its whole ARN.
    fn arn(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_string()
        } else {
            format!("{}:{id}", self.state_machine_arn.replacen(":stateMachine:", ":execution:", 1))
        }
    }

    async fn execution(&self, id: &str) -> Result<ExecutionRef, OperationError> {
        let out = self.described(id).await?;
        let input: serde_json::Value = out.input().and_then(|i| serde_json::from_str(i).ok()).unwrap_or_default();
        Ok(ExecutionRef {
            id: out.name().unwrap_or(id).to_string(),
            pipeline: self.pipeline.name.clone(),
            status: status_of(out.status(), out.error()),
            commit: ExecutionSummary::commit_of(&input),
        })
    }

    /// The definition execution `id` (its name or ARN) ran: `DescribeStateMachineForExecution`,
    /// so a later deployment of the stack does not change it.
    pub async fn definition_of(&self, id: &str) -> Result<String, OperationError> {
        let machine = self
            .sfn
            .describe_state_machine_for_execution()
            .execution_arn(self.arn(id))
            .send()
            .await
            .map_err(|e| internal(crate::sdk::port_error("Step Functions DescribeStateMachineForExecution", &e)))?;
        Ok(machine.definition().to_string())
    }

    /// Who calls: the ARN of the caller's AWS identity.
    async fn caller(&self) -> Result<String, OperationError> {
        let me = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| internal(crate::sdk::port_error("STS GetCallerIdentity", &e)))?;
        me.arn()
            .map(str::to_string)
            .ok_or_else(|| OperationError::Internal("STS GetCallerIdentity named no caller".into()))
    }

    /// Waits until execution `arn` is no longer RUNNING; its status then.
    async fn ended(sfn: &aws_sdk_sfn::Client, arn: &str) -> Result<PipelineStatus, OperationError> {
        loop {
            let out = sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .map_err(|e| internal(crate::sdk::port_error("Step Functions DescribeExecution", &e)))?;
            let now = status_of(out.status(), out.error());
            if now != PipelineStatus::Running {
                return Ok(now);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

fn internal(e: PortError) -> OperationError {
    OperationError::Internal(e.message)
}

#[async_trait]
impl Operations for AwsOperations {
    async fn executions(&self, query: &ExecutionQuery, limit: usize) -> Result<Vec<ExecutionSummary>, OperationError> {
        self.list(query, limit).await
    }

    /// `DescribeExecution` and `GetExecutionHistory`, folded as a local history is.
    async fn execution(&self, execution: Option<&str>) -> Result<ExecutionDetail, OperationError> {
        let ExecutionHistory { execution, events } = self.history_of(&self.describe(execution).await?).await?;
        Ok(ExecutionDetail {
            execution,
            states: baton_core::execution_states::states(&events),
            transitions: baton_core::execution_states::transitions(&events),
        })
    }

    async fn history(&self, execution: &str) -> Result<ExecutionHistory, OperationError> {
        self.history_of(&self.describe(Some(execution)).await?).await
    }

    /// `DescribeStateMachineForExecution` (the definition this execution ran, which a later
    /// deployment may have replaced) and `GetExecutionHistory`.
    async fn recording(&self, execution: &str) -> Result<ExecutionRecording, OperationError> {
        let d = self.describe(Some(execution)).await?;
        let definition = self.definition_of(d.execution_arn()).await?;
        let ExecutionHistory { execution, events } = self.history_of(&d).await?;
        Ok(ExecutionRecording {
            recording: Recording::new(d.state_machine_arn(), &execution.id, events),
            execution,
            definition,
        })
    }

    async fn review_approval(&self, execution: &str, action: Option<&str>) -> Result<ApprovalReview, OperationError> {
        self.review(execution, action).await
    }

    async fn waiting_approvals(&self, execution: &str) -> Result<Vec<WaitingApproval>, OperationError> {
        let exec = self.execution(execution).await?;
        if exec.status != PipelineStatus::Running {
            return Ok(Vec::new());
        }
        self.parked_approvals(&exec.id).await
    }

    async fn answer_approval(&self, answer: ApprovalAnswer) -> Result<Answered, OperationError> {
        if answer.comment.as_ref().is_some_and(|c| c.chars().count() > MAX_APPROVAL_COMMENT) {
            return Err(OperationError::Invalid(format!(
                "a comment is at most {MAX_APPROVAL_COMMENT} characters"
            )));
        }
        let (exec, action, _) = self.waiting(&answer.execution, answer.action.as_deref()).await?;
        let approver = self.caller().await?;
        let answered = approval::Answer {
            execution_id: exec.id.clone(),
            action: action.clone(),
            approved: answer.approved,
            approver: approver.clone(),
            comment: answer.comment,
        };
        let waited = approval::answer(&self.pending, &self.callbacks, self.metrics.as_ref(), answered)
            .await
            .map_err(|e| OperationError::Internal(e.to_string()))?;
        if !waited {
            return Err(OperationError::Conflict(format!(
                "the approval {action} of execution {} was answered or timed out meanwhile",
                exec.id
            )));
        }
        Ok(Answered {
            execution: exec.id,
            action,
            approved: answer.approved,
            approver,
        })
    }

    async fn stop(&self, request: StopExecution) -> Result<Prepared<ExecutionRef, ExecutionStopped>, OperationError> {
        if !request.abandon {
            return Err(OperationError::Invalid(
                "on AWS a stop ends the execution where it stands (Step Functions' StopExecution), and its builds with it; ask for that with --abandon".into(),
            ));
        }
        let exec = self.execution(&request.execution).await?;
        if exec.status != PipelineStatus::Running {
            return Err(OperationError::Conflict(format!(
                "execution {} is {}; there is nothing to stop",
                exec.id, exec.status
            )));
        }
        let (sfn, arn) = (self.sfn.clone(), self.arn(&exec.id));
        let run = async move {
            sfn.stop_execution()
                .execution_arn(&arn)
                .cause(request.cause)
                .send()
                .await
                .map_err(|e| internal(crate::sdk::port_error("Step Functions StopExecution", &e)))?;
            // The events function stops the execution's builds when Step Functions reports its end.
            let status = Self::ended(&sfn, &arn).await?;
            Ok(ExecutionStopped {
                status,
                builds: Vec::new(),
            })
        };
        Ok(Prepared {
            plan: exec,
            run: Box::pin(run),
        })
    }

    async fn retry(&self, execution: &str, failed_only: bool) -> Result<Prepared<RetryPlan, PipelineStatus>, OperationError> {
        if !failed_only {
            return Err(OperationError::Invalid(
                "on AWS a retry is Step Functions' RedriveExecution, which runs again only what did not succeed; ask for that with --failed-only".into(),
            ));
        }
        let exec = self.execution(execution).await?;
        if !matches!(
            exec.status,
            PipelineStatus::Failed | PipelineStatus::Aborted | PipelineStatus::TimedOut
        ) {
            return Err(OperationError::Conflict(format!(
                "execution {} cannot be retried: it is {}",
                exec.id, exec.status
            )));
        }
        let arn = self.arn(&exec.id);
        let from = history::failed_state(&self.sfn, &arn).await.map_err(internal)?.unwrap_or_default();
        let sfn = self.sfn.clone();
        let run = async move {
            sfn.redrive_execution().execution_arn(&arn).send().await.map_err(|e| {
                match e.as_service_error().filter(|s| s.is_execution_not_redrivable()) {
                    Some(s) => OperationError::Conflict(s.to_string()),
                    None => internal(crate::sdk::port_error("Step Functions RedriveExecution", &e)),
                }
            })?;
            Self::ended(&sfn, &arn).await
        };
        Ok(Prepared {
            plan: RetryPlan {
                stage: baton_core::synth::gate_stage(&from)
                    .or_else(|| from.split_once(':').map(|(stage, _)| stage))
                    .map(str::to_string),
                execution: exec,
                from,
            },
            run: Box::pin(run),
        })
    }

    async fn roll_back(&self, group: &str, to: Option<&str>) -> Result<Prepared<RollbackPlan, DeploymentEnded>, OperationError> {
        if !self.pipeline.groups.contains_key(group) {
            let known: Vec<&str> = self.pipeline.groups.keys().map(String::as_str).collect();
            return Err(OperationError::NotFound(format!(
                "no deployment group `{group}`; the pipeline has: {}",
                known.join(", ")
            )));
        }
        let pipeline = &self.pipeline.name;
        let store = self.deployer.store();
        let target = match to {
            Some(spec) => {
                let (name, version) = spec
                    .split_once('@')
                    .and_then(|(n, v)| Some((n, v.parse::<u64>().ok()?)))
                    .ok_or_else(|| OperationError::Invalid(format!("`{spec}` is not NAME@VERSION, e.g. app@3")))?;
                store
                    .manifest(pipeline, name, version)
                    .await
                    .map_err(internal)?
                    .ok_or_else(|| OperationError::NotFound(format!("no artifact {spec} in pipeline {pipeline}")))?
                    .artifact
            }
            None => store.last_good(pipeline, group).await.map_err(internal)?.ok_or_else(|| {
                OperationError::Conflict(format!(
                    "group `{group}` has no last-good revision yet; name one with --to NAME@VERSION"
                ))
            })?,
        };
        let running = self
            .deployer
            .last_deployment(pipeline, group)
            .await
            .map_err(internal)?
            .filter(|d| d.status == DeploymentStatus::Succeeded)
            .map(|d| d.artifact)
            .into_iter()
            .collect();
        let plan = RollbackPlan {
            group: group.to_string(),
            running,
            target: target.clone(),
            chosen: to.is_some(),
        };
        let request = DeployRequest {
            correlation: format!("manual/{}", uuid_like()),
            pipeline: pipeline.clone(),
            execution_id: format!("manual-{}", uuid_like()),
            group: group.to_string(),
            artifact: target,
            rollback: to.is_none(),
            variables: self.pipeline.variables.clone(),
        };
        let deployer = self.deployer.clone();
        let run = async move {
            let id = deployer.start(request).await.map_err(internal)?;
            let (status, reason) = deployer.wait(&id, POLL).await.map_err(internal)?;
            Ok(DeploymentEnded {
                id,
                status,
                reason,
                rolled_back: None,
            })
        };
        Ok(Prepared { plan, run: Box::pin(run) })
    }

    async fn stop_deployment(&self, request: StopDeployment) -> Result<Prepared<DeploymentStopping, DeploymentStopped>, OperationError> {
        let (status, group, _) = self
            .deployer
            .state(&request.id)
            .await
            .map_err(internal)?
            .ok_or_else(|| OperationError::NotFound(format!("no deployment {} in this stack's application", request.id)))?;
        if matches!(
            status,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        ) {
            return Err(OperationError::Conflict(format!(
                "deployment {} has already ended ({}); to put group {group} back on an earlier version, use `baton rollback {group}`",
                request.id,
                status.as_str()
            )));
        }
        let rollback = request
            .rollback
            .unwrap_or_else(|| self.pipeline.groups.get(&group).is_some_and(|g| g.rollback_on_stop));
        self.deployer
            .stop(
                &request.id,
                DeploymentStop {
                    rollback,
                    cause: request.cause,
                },
            )
            .await
            .map_err(internal)?;
        let (deployer, id) = (self.deployer.clone(), request.id.clone());
        let run = async move {
            let (status, reason) = deployer.wait(&id, POLL).await.map_err(internal)?;
            Ok(DeploymentStopped {
                status: status.as_str().to_string(),
                reason,
                rollback_id: None,
            })
        };
        Ok(Prepared {
            plan: DeploymentStopping {
                id: request.id,
                group,
                rollback,
            },
            run: Box::pin(run),
        })
    }

    async fn metric_series(&self) -> Result<Vec<MetricSeries>, OperationError> {
        self.series().await
    }

    async fn metric_data(&self, series: &MetricSeries, window: MetricWindow) -> Result<Vec<(i64, f64)>, OperationError> {
        self.data(series, window).await
    }

    async fn dora(&self, since_ms: i64, now_ms: i64) -> Result<Dora, OperationError> {
        self.deploying_runs(since_ms, now_ms).await
    }

    async fn builds(&self, execution: &str) -> Result<Vec<BuildRef>, OperationError> {
        self.build_refs(execution).await
    }

    async fn build_log(&self, build: &BuildRef, from: &LogCursor) -> Result<LogChunk, OperationError> {
        self.read_log(build, from).await
    }

    fn follow_every(&self) -> Duration {
        POLL
    }

    async fn deployment_logs(&self, execution: &str, group: &str) -> Result<Vec<DeploymentLog>, OperationError> {
        self.deployment_log_entries(execution, group).await
    }

    async fn status(&self, execution: &str) -> Result<PipelineStatus, OperationError> {
        let d = self.described(execution).await?;
        Ok(status_of(d.status(), d.error()))
    }
}

/// A name for a deployment made by hand, unique enough to be its correlation.
fn uuid_like() -> String {
    format!("{:016x}", fastrand::u64(..))
}
