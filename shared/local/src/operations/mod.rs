//! The operations of [`baton_core::operations`] on a state directory: what `baton approve`,
//! `stop`, `rollback` and `stop-deployment` do, and what the console's buttons do.
//!
//! Each operation opens only what it needs, so answering an approval or stopping an execution
//! never creates a state directory, and a group operation opens the pipeline's runtime.

mod approval;
mod deployments;
mod groups;
mod logs;
mod metrics;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use baton_asl::replay::Recording;
use baton_core::dora::Dora;
use baton_core::metrics::{MetricSeries, MetricWindow};
use baton_core::operations::{
    Answered, ApprovalAnswer, ApprovalReview, BuildRef, DeploymentEnded, DeploymentLog, DeploymentStopped, DeploymentStopping,
    ExecutionDetail, ExecutionHistory, ExecutionQuery, ExecutionRecording, ExecutionRef, ExecutionStopped, ExecutionSummary, LogChunk,
    LogCursor, OperationError, Operations, Prepared, RetryPlan, RollbackPlan, StopDeployment, StopExecution, WaitingApproval,
};
use baton_core::ports::Manifest;

use crate::artifacts::FsArtifactStore;
use crate::db::Db;
use crate::error::LocalError;
use crate::execution::continuation::Plan;
use crate::query::{self, ExecutionRow};
use crate::{Continuation, LocalRuntime, PipelineStatus, RuntimeOptions, coordination::inbox};

/// The operations on one pipeline's state directory.
#[derive(Debug, Clone)]
pub struct LocalOperations {
    pipeline_file: PathBuf,
    state_dir: PathBuf,
    /// Opened once, when first needed: a follower of a log reads it every 200 ms.
    opened: OnceLock<Arc<Db>>,
}

impl LocalOperations {
    pub fn new(pipeline_file: &Path, state_dir: &Path) -> Self {
        Self {
            pipeline_file: pipeline_file.to_path_buf(),
            state_dir: state_dir.to_path_buf(),
            opened: OnceLock::new(),
        }
    }

    /// The state database, refused as "no executions yet" when there is none (nothing is created).
    fn db(&self) -> Result<Arc<Db>, OperationError> {
        let db = match self.opened.get() {
            Some(db) => db.clone(),
            None => {
                let file = self.state_dir.join("baton.db");
                if !file.exists() {
                    return Err(OperationError::NotFound(format!(
                        "no executions yet in {}; start one with `baton run`",
                        self.state_dir.display()
                    )));
                }
                let opened = Arc::new(Db::open(&file)?);
                // Another caller may have opened it meanwhile: theirs is kept, this one closes.
                self.opened.get_or_init(|| opened).clone()
            }
        };
        // An execution whose runner died is shown as what it is, not as RUNNING forever.
        crate::execution::runners::reconcile(&db)?;
        Ok(db)
    }

    /// The execution `id` names (an id or a unique prefix of one).
    fn execution(&self, db: &Db, id: &str) -> Result<ExecutionRow, OperationError> {
        query::execution(db, Some(id))?.ok_or_else(|| {
            OperationError::NotFound(format!(
                "no execution `{id}` in {}; `baton history` lists them",
                self.state_dir.display()
            ))
        })
    }

    async fn runtime(&self) -> Result<LocalRuntime, OperationError> {
        let options = RuntimeOptions {
            state_dir: Some(self.state_dir.clone()),
            working_tree: false,
        };
        Ok(LocalRuntime::open(&self.pipeline_file, options).await?)
    }
}

/// Local failures by kind: the refusals keep theirs, the rest is the executor's own failure.
impl From<LocalError> for OperationError {
    fn from(e: LocalError) -> Self {
        match e {
            LocalError::NotFound(why) => Self::NotFound(why),
            LocalError::Conflict(why) => Self::Conflict(why),
            LocalError::BadRequest(why) => Self::Invalid(why),
            LocalError::Spec(e) => Self::Invalid(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

fn reference(exec: &ExecutionRow) -> ExecutionRef {
    ExecutionRef {
        id: exec.id.clone(),
        pipeline: exec.pipeline.clone(),
        status: exec.status,
        commit: exec.commit_id.clone(),
    }
}

/// A stored artifact version named `NAME@VERSION`; not found lists the versions there are.
pub fn stored_version(store: &FsArtifactStore, pipeline: &str, spec: &str) -> Result<Manifest, OperationError> {
    let (name, version) = spec
        .split_once('@')
        .and_then(|(n, v)| Some((n, v.parse::<u64>().ok()?)))
        .ok_or_else(|| OperationError::Invalid(format!("`{spec}` is not NAME@VERSION, e.g. app@3")))?;
    let versions = store.list(pipeline, Some(name))?;
    let known: Vec<String> = versions.iter().map(|m| m.artifact.version.to_string()).collect();
    versions.into_iter().find(|m| m.artifact.version == version).ok_or_else(|| {
        OperationError::NotFound(format!(
            "no artifact {spec} in pipeline {pipeline}; stored versions of `{name}`: {}",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        ))
    })
}

#[async_trait]
impl Operations for LocalOperations {
    async fn executions(&self, query: &ExecutionQuery, limit: usize) -> Result<Vec<ExecutionSummary>, OperationError> {
        // A pipeline never run has no executions, and nothing is created to say so.
        if !self.state_dir.join("baton.db").exists() {
            return Ok(Vec::new());
        }
        Ok(query::find_executions(&*self.db()?, query, limit)?)
    }

    async fn execution(&self, execution: Option<&str>) -> Result<ExecutionDetail, OperationError> {
        let db = self.db()?;
        let execution = match execution {
            Some(id) => self.execution(&db, id)?,
            None => query::execution(&db, None)?.ok_or_else(|| {
                OperationError::NotFound(format!(
                    "no executions yet in {}; start one with `baton run`",
                    self.state_dir.display()
                ))
            })?,
        };
        let history = query::history(&db, &execution.id)?;
        Ok(ExecutionDetail {
            execution,
            states: query::states(&history),
            transitions: baton_core::execution_states::transitions(&history),
        })
    }

    async fn history(&self, execution: &str) -> Result<ExecutionHistory, OperationError> {
        let db = self.db()?;
        let execution = self.execution(&db, execution)?;
        let events = query::history(&db, &execution.id)?;
        Ok(ExecutionHistory { execution, events })
    }

    async fn recording(&self, execution: &str) -> Result<ExecutionRecording, OperationError> {
        let db = self.db()?;
        let execution = self.execution(&db, execution)?;
        let definition = query::definition(&db, &execution.id)?.ok_or_else(|| {
            OperationError::NotFound(format!(
                "execution {} was recorded before Baton kept each execution's definition; replay a newer one",
                execution.id
            ))
        })?;
        let arn = crate::runtime::machine_arn(&execution.pipeline);
        let recording = Recording::new(&arn, &execution.id, query::history(&db, &execution.id)?);
        Ok(ExecutionRecording {
            // Kept as synthesized; the execution ran it with the local functions in place.
            definition: crate::runtime::resolved_locally(&definition.to_string()),
            execution,
            recording,
        })
    }

    async fn review_approval(&self, execution: &str, action: Option<&str>) -> Result<ApprovalReview, OperationError> {
        approval::review(self, execution, action)
    }

    async fn answer_approval(&self, answer: ApprovalAnswer) -> Result<Answered, OperationError> {
        approval::answer(self, answer).await
    }

    async fn stop(&self, request: StopExecution) -> Result<Prepared<ExecutionRef, ExecutionStopped>, OperationError> {
        let db = self.db()?;
        let exec = self.execution(&db, &request.execution)?;
        if exec.status != PipelineStatus::Running {
            return Err(OperationError::Conflict(format!(
                "execution {} is {}; there is nothing to stop",
                exec.id, exec.status
            )));
        }
        let dir = self.state_dir.clone();
        let id = exec.id.clone();
        let run = async move {
            let answer = inbox::stop(&dir, &id, &request.cause, request.abandon).await?;
            let status = PipelineStatus::parse(&answer)
                .ok_or_else(|| OperationError::Internal(format!("the runner of {id} answered the stop with `{answer}`")))?;
            let builds = query::builds(&db, &id)?
                .into_iter()
                .filter(|b| b.status == "STOPPED")
                .map(|b| (b.action, b.id))
                .collect();
            Ok(ExecutionStopped { status, builds })
        };
        Ok(Prepared {
            plan: reference(&exec),
            run: Box::pin(run),
        })
    }

    async fn retry(&self, execution: &str, failed_only: bool) -> Result<Prepared<RetryPlan, PipelineStatus>, OperationError> {
        let exec = self.execution(&*self.db()?, execution)?;
        let rt = self.runtime().await?;
        let how = Continuation::Retry { failed_only };
        let from = match rt.continuation(&exec.id, how)? {
            Plan::Continue(plan) => plan.state,
            Plan::Ended(_) => return Err(OperationError::Conflict(format!("execution {} has ended", exec.id))),
        };
        let id = exec.id.clone();
        let run = async move { Ok(rt.carry_on(&id, how).await?.status) };
        Ok(Prepared {
            plan: RetryPlan {
                execution: reference(&exec),
                stage: baton_core::synth::gate_stage(&from).map(str::to_string),
                from,
            },
            run: Box::pin(run),
        })
    }

    async fn roll_back(&self, group: &str, to: Option<&str>) -> Result<Prepared<RollbackPlan, DeploymentEnded>, OperationError> {
        groups::roll_back(self, group, to).await
    }

    async fn stop_deployment(&self, request: StopDeployment) -> Result<Prepared<DeploymentStopping, DeploymentStopped>, OperationError> {
        groups::stop_deployment(self, request).await
    }

    async fn metric_series(&self) -> Result<Vec<MetricSeries>, OperationError> {
        metrics::series(self)
    }

    async fn metric_data(&self, series: &MetricSeries, window: MetricWindow) -> Result<Vec<(i64, f64)>, OperationError> {
        metrics::data(self, series, window)
    }

    async fn dora(&self, since_ms: i64, now_ms: i64) -> Result<Dora, OperationError> {
        metrics::dora(self, since_ms, now_ms)
    }

    async fn waiting_approvals(&self, execution: &str) -> Result<Vec<WaitingApproval>, OperationError> {
        if !self.state_dir.join("baton.db").exists() {
            return Ok(Vec::new());
        }
        Ok(inbox::waiting(&*self.db()?, execution)?)
    }

    async fn builds(&self, execution: &str) -> Result<Vec<BuildRef>, OperationError> {
        logs::builds(self, execution)
    }

    async fn build_log(&self, build: &BuildRef, from: &LogCursor) -> Result<LogChunk, OperationError> {
        Ok(logs::read(build, from))
    }

    async fn deployment_logs(&self, execution: &str, group: &str) -> Result<Vec<DeploymentLog>, OperationError> {
        deployments::logs(self, execution, group)
    }

    async fn status(&self, execution: &str) -> Result<PipelineStatus, OperationError> {
        Ok(self.execution(&*self.db()?, execution)?.status)
    }
}

#[cfg(test)]
mod tests;
