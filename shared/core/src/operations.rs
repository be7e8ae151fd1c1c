//! What an operator does to a pipeline's executions and deployment groups — answer an approval,
//! stop an execution, roll a group back, stop a deployment — as one contract. The CLI and the
//! console both call it, so each operation checks its request and finds its target in one place;
//! `baton_local` and `baton_aws` implement it.
//!
//! An operation that takes time (a stop, a deployment) is [`Prepared`]: checked and resolved
//! first, so the caller can say what will happen or refuse at once, then run by awaiting
//! [`Prepared::run`] — the CLI awaits it with a progress line, the console spawns it and answers
//! `202 Accepted`.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use serde::Serialize;

use crate::execution_states::StateStatus;
use crate::metrics::{MetricSeries, MetricWindow};
use crate::pipeline_status::PipelineStatus;
use crate::ports::{ArtifactRef, DeploymentStatus};

/// Why an operation was refused or failed. Each caller maps the kind to its own terms: the CLI
/// to exit codes, the console to HTTP statuses.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// The execution, approval, group, version or deployment named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It exists but is not in a state the operation applies to (a stop of an ended execution).
    #[error("{0}")]
    Conflict(String),
    /// The request itself is wrong (an ambiguous id, a malformed version, a comment too long).
    #[error("{0}")]
    Invalid(String),
    /// The executor failed while doing it.
    #[error("{0}")]
    Internal(String),
}

/// The part of an operation that runs after its checks; nothing happens until it is awaited.
pub type Completion<T> = Pin<Box<dyn Future<Output = Result<T, OperationError>> + Send>>;

/// An operation checked and ready: what it resolved to, and the work itself.
pub struct Prepared<P, T> {
    pub plan: P,
    pub run: Completion<T>,
}

impl<P: std::fmt::Debug, T> std::fmt::Debug for Prepared<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared").field("plan", &self.plan).finish_non_exhaustive()
    }
}

/// The longest comment an approver may leave (CodePipeline's limit for an approval's summary).
pub const MAX_APPROVAL_COMMENT: usize = 512;

/// An execution as an operation names it back: its full id and what it ran.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionRef {
    pub id: String,
    pub pipeline: String,
    pub status: PipelineStatus,
    pub commit: Option<String>,
}

/// An execution as a listing shows it, the same from either executor.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionSummary {
    pub id: String,
    pub pipeline: String,
    pub status: PipelineStatus,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub commit_id: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// What started it: `baton run` (manual), or a push or schedule.
    pub trigger: String,
    /// The commit's subject (with its author and time, locally), once Source has read it.
    pub revision_summary: Option<String>,
    /// The branch the commit came from, when it came from one.
    pub branch: Option<String>,
}

impl ExecutionSummary {
    /// The commit an execution's input names: `revision`, as the trigger starts one with.
    pub fn commit_of(input: &serde_json::Value) -> Option<String> {
        input["revision"].as_str().map(str::to_string)
    }

    /// The branch a push trigger's `ref` names (`refs/heads/main` is `main`).
    pub fn branch_of(input: &serde_json::Value) -> Option<String> {
        let reference = input["trigger"]["ref"].as_str()?;
        Some(reference.strip_prefix("refs/heads/").unwrap_or(reference).to_string())
    }

    /// One line for the `trigger` an execution's input records.
    pub fn trigger_of(input: &serde_json::Value) -> String {
        let t = &input["trigger"];
        match t["type"].as_str() {
            Some("push") => format!("push {}", t["ref"].as_str().unwrap_or_default()),
            Some("schedule") => format!("schedule {}", t["expression"].as_str().unwrap_or_default()),
            _ => match t["by"].as_str() {
                Some(by) => format!("manual by {by}"),
                None => "manual".into(),
            },
        }
    }
}

/// One execution as `baton status` shows it: its summary and each state it entered, folded from
/// its history by [`crate::execution_states::states`] on either executor.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionDetail {
    pub execution: ExecutionSummary,
    pub states: Vec<StateStatus>,
    /// The states entered, Parallel and Map branches included: the transitions Step Functions
    /// bills.
    pub transitions: u64,
}

/// An execution and its history so far, oldest event first.
#[derive(Debug, Clone)]
pub struct ExecutionHistory {
    pub execution: ExecutionSummary,
    pub events: Vec<baton_asl::HistoryEvent>,
}

/// An execution as recorded, to run again: what `baton replay` compares with a local run.
#[derive(Debug, Clone)]
pub struct ExecutionRecording {
    pub execution: ExecutionSummary,
    /// The definition it ran (Amazon States Language JSON).
    pub definition: String,
    pub recording: baton_asl::replay::Recording,
}

/// Which executions a listing keeps: one status, and words that must each appear (in any case)
/// in the id, commit (id and subject), branch, trigger, error or cause.
#[derive(Debug, Clone, Default)]
pub struct ExecutionQuery {
    status: Option<PipelineStatus>,
    words: Vec<String>,
}

impl ExecutionQuery {
    /// Refuses a status no execution can have, naming those it can.
    pub fn new(status: Option<&str>, words: &str) -> Result<Self, OperationError> {
        let status = match status {
            None => None,
            Some(s) => Some(PipelineStatus::parse(s).ok_or_else(|| {
                let all: Vec<&str> = PipelineStatus::ALL.iter().map(|s| s.as_str()).collect();
                OperationError::Invalid(format!("no execution is ever `{s}`; the statuses are {}", all.join(", ")))
            })?),
        };
        Ok(Self {
            status,
            words: words.split_whitespace().map(str::to_lowercase).collect(),
        })
    }

    pub fn status(&self) -> Option<PipelineStatus> {
        self.status
    }

    /// True when it keeps every execution.
    pub fn keeps_all(&self) -> bool {
        self.status.is_none() && self.words.is_empty()
    }

    pub fn matches(&self, e: &ExecutionSummary) -> bool {
        if self.status.is_some_and(|s| s != e.status) {
            return false;
        }
        let text = [
            Some(&e.id),
            e.commit_id.as_ref(),
            Some(&e.trigger),
            e.revision_summary.as_ref(),
            e.branch.as_ref(),
            e.error.as_ref(),
            e.cause.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|t| t.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
        self.words.iter().all(|w| text.contains(w.as_str()))
    }
}

/// What an approver sees before answering: the approval, what the execution produced so far and
/// how the release's artifacts differ from what each group runs.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalReview {
    pub execution: ExecutionRef,
    pub action: String,
    pub message: Option<String>,
    /// Each succeeded task's name and output, in the order they ended.
    pub produced: Vec<(String, serde_json::Value)>,
    pub groups: Vec<GroupChange>,
}

/// A deployment group's running versions and, per version of the same artifact the execution
/// built, how many files the release changes, adds and removes.
#[derive(Debug, Clone, Serialize)]
pub struct GroupChange {
    pub group: String,
    pub running: Vec<ArtifactRef>,
    pub changes: Vec<VersionChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    pub from: ArtifactRef,
    pub to: ArtifactRef,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
}

/// An approval that waits for an answer: its action (`Stage:Action`), its message and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingApproval {
    pub action: String,
    pub message: Option<String>,
    pub since_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ApprovalAnswer {
    /// An execution id or a unique prefix of one.
    pub execution: String,
    /// The approval's action (`Stage:Action` or `Action`); may be left out when only one waits.
    pub action: Option<String>,
    pub approved: bool,
    pub comment: Option<String>,
    /// Who answers, as the execution records it.
    pub by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answered {
    pub execution: String,
    pub action: String,
    pub approved: bool,
    pub approver: String,
}

#[derive(Debug, Clone)]
pub struct StopExecution {
    pub execution: String,
    pub cause: String,
    /// End it where it stands rather than let the actions in progress finish.
    pub abandon: bool,
}

/// How a stopped execution ended, and the builds the stop ended with it.
#[derive(Debug, Clone, Serialize)]
pub struct ExecutionStopped {
    pub status: PipelineStatus,
    /// Each build the stop ended: (action, build id).
    pub builds: Vec<(String, String)>,
}

/// A deployment group put back on a stored version: its last-good one unless `to` is given.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackPlan {
    pub group: String,
    /// The versions its instances run now, each once.
    pub running: Vec<ArtifactRef>,
    pub target: ArtifactRef,
    /// `target` was named (a new deployment) rather than the last-good one (a rollback).
    pub chosen: bool,
}

impl RollbackPlan {
    /// Every instance already runs the target: there is nothing to deploy.
    pub fn already_there(&self) -> bool {
        !self.running.is_empty() && self.running.iter().all(|r| *r == self.target)
    }
}

/// A deployment that ended, and the rollback the group's policy made of its failure.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentEnded {
    pub id: String,
    pub status: DeploymentStatus,
    pub reason: Option<String>,
    pub rolled_back: Option<RolledBack>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RolledBack {
    pub id: String,
    pub status: DeploymentStatus,
    pub reason: Option<String>,
    pub to: ArtifactRef,
}

/// A failed execution run again from the stage that failed (Step Functions' RedriveExecution).
#[derive(Debug, Clone, Serialize)]
pub struct RetryPlan {
    pub execution: ExecutionRef,
    /// The state it starts again at: the gate of the stage that failed.
    pub from: String,
    /// That stage, as the pipeline names it.
    pub stage: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StopDeployment {
    pub id: String,
    /// Roll back to the last-good revision afterwards; the group's `auto_rollback` when `None`.
    pub rollback: Option<bool>,
    pub cause: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentStopping {
    pub id: String,
    pub group: String,
    pub rollback: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeploymentStopped {
    pub status: String,
    pub reason: Option<String>,
    /// The rollback deployment the stop started, if any.
    pub rollback_id: Option<String>,
}

/// A build an execution ran, as its log is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildRef {
    /// The action it ran for, `Stage:Action`.
    pub action: String,
    pub id: String,
    /// The executor's word for it: `SUCCEEDED`, `FAILED`, `IN_PROGRESS`, …
    pub status: String,
    pub ended: bool,
    /// Where the executor keeps its log: a file locally, a CloudWatch Logs `group:stream` on AWS.
    pub log: String,
}

/// Where a follower of a build's log reads on: a byte offset locally, CloudWatch Logs' forward
/// token on AWS. Empty at the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCursor(pub String);

/// A build's log after a cursor: its complete lines (everything, once the build has ended) and
/// where to read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    pub text: String,
    pub next: LogCursor,
}

/// A deployment an execution made (or the rollback that replaced it), as its log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentLog {
    pub id: String,
    pub group: String,
    /// What it deployed, `name@version`, when the executor knows.
    pub revision: Option<String>,
    pub status: String,
    pub rollback: bool,
    pub reason: Option<String>,
    pub targets: Vec<TargetLog>,
    /// Each interval its canary analysis judged, when it had one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub analysis: Vec<crate::analysis::IntervalResult>,
}

/// One target of a deployment (an instance, a Lambda function): its lifecycle events in the
/// order they ran, and what its hooks printed (CodeDeploy keeps each event's last 4 KB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetLog {
    pub name: String,
    pub events: Vec<LifecycleStep>,
    pub output: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleStep {
    pub event: String,
    pub status: String,
    pub message: Option<String>,
}

#[async_trait]
pub trait Operations: Send + Sync {
    /// The newest `limit` executions that `query` keeps, newest first.
    async fn executions(&self, query: &ExecutionQuery, limit: usize) -> Result<Vec<ExecutionSummary>, OperationError>;

    /// One execution (an id or what the executor accepts for one; `None` is the newest) with its
    /// states.
    async fn execution(&self, execution: Option<&str>) -> Result<ExecutionDetail, OperationError>;

    /// An execution's summary and its history so far (`baton run --stack` follows it).
    async fn history(&self, execution: &str) -> Result<ExecutionHistory, OperationError>;

    /// An execution's definition and history, to run it again (`baton replay`).
    async fn recording(&self, execution: &str) -> Result<ExecutionRecording, OperationError>;

    /// The approval an execution waits on — the only one, or the one `action` names — and what
    /// the approver is approving.
    async fn review_approval(&self, execution: &str, action: Option<&str>) -> Result<ApprovalReview, OperationError>;

    /// The approvals a running execution waits on, in the order of their actions (none for an
    /// execution that has ended).
    async fn waiting_approvals(&self, execution: &str) -> Result<Vec<WaitingApproval>, OperationError>;

    async fn answer_approval(&self, answer: ApprovalAnswer) -> Result<Answered, OperationError>;

    /// Stops a running execution; the completion ends when the execution has.
    async fn stop(&self, request: StopExecution) -> Result<Prepared<ExecutionRef, ExecutionStopped>, OperationError>;

    /// Runs a failed, stopped or timed-out execution again from the stage that failed, every
    /// action of it or (`failed_only`) those that did not succeed; the completion ends with the
    /// execution.
    async fn retry(&self, execution: &str, failed_only: bool) -> Result<Prepared<RetryPlan, PipelineStatus>, OperationError>;

    /// Puts `group` on `to` (`NAME@VERSION`) or its last-good version; the completion ends with
    /// the deployment.
    async fn roll_back(&self, group: &str, to: Option<&str>) -> Result<Prepared<RollbackPlan, DeploymentEnded>, OperationError>;

    /// Stops a deployment in progress; the completion ends when it has.
    async fn stop_deployment(&self, request: StopDeployment) -> Result<Prepared<DeploymentStopping, DeploymentStopped>, OperationError>;

    /// The pipeline's metric series, in the `Baton` namespace (`ListMetrics`).
    async fn metric_series(&self) -> Result<Vec<MetricSeries>, OperationError>;

    /// One series' values, the window's statistic per period, oldest first (`GetMetricData`).
    async fn metric_data(&self, series: &MetricSeries, window: MetricWindow) -> Result<Vec<(i64, f64)>, OperationError>;

    /// DORA's four key metrics over the executions that ended since `since_ms`, as of `now_ms`.
    async fn dora(&self, since_ms: i64, now_ms: i64) -> Result<crate::dora::Dora, OperationError>;

    /// Where execution `execution` stands, without reading its history: what a log follower
    /// asks on every read.
    async fn status(&self, execution: &str) -> Result<PipelineStatus, OperationError>;

    /// The builds an execution ran, in the order they started.
    async fn builds(&self, execution: &str) -> Result<Vec<BuildRef>, OperationError>;

    /// What a build's log holds after `from`.
    async fn build_log(&self, build: &BuildRef, from: &LogCursor) -> Result<LogChunk, OperationError>;

    /// The deployments an execution made to `group`, and the rollbacks that replaced them.
    async fn deployment_logs(&self, execution: &str, group: &str) -> Result<Vec<DeploymentLog>, OperationError>;

    /// How often a follower reads a log again: a file is cheap to read, AWS's APIs are rate-limited.
    fn follow_every(&self) -> std::time::Duration {
        std::time::Duration::from_millis(200)
    }
}
