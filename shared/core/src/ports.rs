//! The ports: what stage handlers need from the world, one small trait per capability.
//! `baton-local` and `baton-aws` implement them; only the composition roots choose which.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::alarm::AlarmState;
use crate::events::Event;

/// A failure inside an adapter. `transient` marks what a retry may fix (throttling, a dropped
/// connection); the state machine's `Retry` matches it through the `Transient` error type.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct PortError {
    pub message: String,
    pub transient: bool,
}

impl PortError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: false,
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            transient: true,
        }
    }
}

pub type PortResult<T> = Result<T, PortError>;

/// One immutable version of a named artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRef {
    pub name: String,
    pub version: u64,
    /// `sha256:<hex>` of the artifact's canonical form.
    pub digest: String,
}

impl std::fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// Where an artifact came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub pipeline: String,
    pub execution_id: String,
    /// The producing action, as a state name (`Build:Compile`), or `Source`.
    pub action: String,
    pub commit_id: Option<String>,
    pub build_id: Option<String>,
    /// The artifact versions this one was built from (lineage).
    #[serde(default)]
    pub inputs: Vec<ArtifactRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(flatten)]
    pub artifact: ArtifactRef,
    pub size: u64,
    pub file_count: u64,
    pub created_at: String,
    pub provenance: Provenance,
    /// Where the content lives when it is not beside the manifest: the S3 store's bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentLocation>,
}

/// A stored bundle: an object in a versioned bucket, pinned by its version id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentLocation {
    /// `s3://bucket/key`.
    pub uri: String,
    pub version_id: Option<String>,
    /// `sha256:<hex>` of the bundle's bytes (the tree's digest is `ArtifactRef::digest`).
    pub bundle_digest: String,
    pub bundle_size: u64,
}

/// Files an executor left for the store to version: a directory locally, an S3 key on AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedArtifact {
    pub name: String,
    pub location: String,
}

#[async_trait]
pub trait ArtifactStore: Send + Sync {
    /// Versions a staged artifact: the next version number of `name`, written completely or not
    /// at all.
    async fn put(&self, staged: &StagedArtifact, provenance: Provenance) -> PortResult<Manifest>;
    async fn manifest(&self, pipeline: &str, name: &str, version: u64) -> PortResult<Option<Manifest>>;
    /// The version that last passed deployment (and bake) on a group.
    async fn last_good(&self, pipeline: &str, group: &str) -> PortResult<Option<ArtifactRef>>;
    async fn set_last_good(&self, pipeline: &str, group: &str, artifact: &ArtifactRef) -> PortResult<()>;
}

/// A snapshot of the source at one revision, already stored as the `source` artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSnapshot {
    pub artifact: ArtifactRef,
    pub commit_id: Option<String>,
    pub revision_summary: Option<String>,
    /// When the change was made (the commit's time; for a plain directory, the snapshot's), the
    /// start of DORA's lead time for changes.
    #[serde(default)]
    pub commit_time: Option<String>,
    /// The branch the revision was taken from, when it was one (CodePipeline's source action
    /// names its branch).
    #[serde(default)]
    pub branch: Option<String>,
}

#[async_trait]
pub trait SourceProvider: Send + Sync {
    /// `revision`: a commit, branch or tag; `None` for the head of the configured source.
    async fn snapshot(&self, pipeline: &str, execution_id: &str, revision: Option<&str>) -> PortResult<SourceSnapshot>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRequest {
    /// Ties the build's completion event back to the waiting task.
    pub correlation: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub buildspec: String,
    pub source: ArtifactRef,
    pub commit_id: Option<String>,
    pub outputs: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub timeout_secs: u64,
    /// Run the buildspec's `batch:` as a batch build (CodeBuild's StartBuildBatch).
    #[serde(default)]
    pub batch: bool,
}

#[async_trait]
pub trait BuildRunner: Send + Sync {
    /// Starts a build and returns its id; completion arrives as [`Event::BuildStateChange`].
    async fn start(&self, request: BuildRequest) -> PortResult<String>;
    /// Stops a build, as CodeBuild's `StopBuild`: its process tree is ended and it finishes as
    /// `STOPPED`. A build that already finished is left as it is.
    async fn stop(&self, build_id: &str) -> PortResult<()>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRequest {
    pub correlation: String,
    pub pipeline: String,
    pub execution_id: String,
    pub group: String,
    pub artifact: ArtifactRef,
    /// A deployment that restores the last-good revision (CodeDeploy's rollback is a new
    /// deployment of the previous revision, and so is ours).
    pub rollback: bool,
    /// The pipeline's variables in this execution, for the lifecycle hooks, as a build gets
    /// them. CodeDeploy gives hooks no environment of the caller's, so on AWS they stay here.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeploymentStatus {
    Created,
    Queued,
    InProgress,
    Succeeded,
    Failed,
    Stopped,
}

impl DeploymentStatus {
    /// Succeeded, failed or stopped: the group is free for the next deployment.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Stopped)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "Created",
            Self::Queued => "Queued",
            Self::InProgress => "InProgress",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Queued,
            Self::InProgress,
            Self::Succeeded,
            Self::Failed,
            Self::Stopped,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// CodeDeploy's `ErrorInformation` codes for a stopped deployment, which open the `reason` of
/// its [`Event::DeploymentStateChange`] (`MANUAL_STOP: stopped by ada`).
pub mod stop_codes {
    /// `StopDeployment` / `baton stop-deployment`: the stop decided about the rollback.
    pub const MANUAL_STOP: &str = "MANUAL_STOP";
    /// One of the group's alarms went into ALARM.
    pub const ALARM_ACTIVE: &str = "ALARM_ACTIVE";
    /// The canary analysis judged the new revision worse than the old one (Baton's own: CodeDeploy
    /// has no analysis).
    pub const CANARY_ANALYSIS_FAILED: &str = "CANARY_ANALYSIS_FAILED";

    /// Whether a deployment's end `reason` is a stop on request.
    pub fn on_request(reason: Option<&str>) -> bool {
        reason.is_some_and(|r| r.starts_with(MANUAL_STOP))
    }

    /// Whether a deployment's end `reason` is a stop by one of its group's alarms.
    pub fn on_alarm(reason: Option<&str>) -> bool {
        reason.is_some_and(|r| r.starts_with(ALARM_ACTIVE))
    }

    /// Whether a deployment's end `reason` is a stop by its canary analysis.
    pub fn on_analysis(reason: Option<&str>) -> bool {
        reason.is_some_and(|r| r.starts_with(CANARY_ANALYSIS_FAILED))
    }
}

/// A request to stop a deployment in progress, as CodeDeploy's `StopDeployment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStop {
    /// Roll the group back to its last-good revision with a new deployment (`autoRollbackEnabled`).
    pub rollback: bool,
    /// Who stopped it and why, for the deployment's reason.
    pub cause: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentSummary {
    pub deployment_id: String,
    pub artifact: ArtifactRef,
    pub status: DeploymentStatus,
    pub rollback: bool,
}

#[async_trait]
pub trait Deployer: Send + Sync {
    /// Starts a deployment and returns its id; completion arrives as
    /// [`Event::DeploymentStateChange`].
    async fn start(&self, request: DeployRequest) -> PortResult<String>;
    /// The group's most recent deployment, whatever its outcome.
    async fn last_deployment(&self, pipeline: &str, group: &str) -> PortResult<Option<DeploymentSummary>>;
    /// Asks a deployment in progress (or queued) to stop. It ends `Stopped`, with a reason that
    /// opens with [`stop_codes::MANUAL_STOP`], as an [`Event::DeploymentStateChange`]; with
    /// `rollback`, a new deployment returns the group to its last-good revision. A deployment
    /// that has already ended is a permanent error.
    async fn stop(&self, deployment_id: &str, request: DeploymentStop) -> PortResult<()>;
}

/// A task parked on a token, with what its completion handler needs to know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingTask {
    pub token: String,
    pub context: Value,
}

/// Waiting tasks keyed by what they wait for (`build/<correlation>`, `bake/<correlation>`, …).
#[async_trait]
pub trait PendingTasks: Send + Sync {
    async fn put(&self, key: &str, task: &PendingTask) -> PortResult<()>;
    /// Removes and returns the entry; `None` if another delivery took it first.
    async fn take(&self, key: &str) -> PortResult<Option<PendingTask>>;
    async fn list(&self, prefix: &str) -> PortResult<Vec<(String, PendingTask)>>;
    /// Records the id of the job the waiting task started (a build) as `context.job_id`, so an
    /// execution that ends early can stop it. `false` when the entry is gone already (the job
    /// finished first); never re-creates it.
    async fn note_job(&self, key: &str, job_id: &str) -> PortResult<bool>;
}

/// `SendTaskSuccess` / `SendTaskFailure`.
#[async_trait]
pub trait TaskCallbacks: Send + Sync {
    /// Returns `false` when no task waits on the token any more (it finished or timed out).
    async fn succeed(&self, token: &str, output: Value) -> PortResult<bool>;
    async fn fail(&self, token: &str, error: &str, cause: &str) -> PortResult<bool>;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricDatum {
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
    pub value: f64,
    pub unit: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
}

#[async_trait]
pub trait MetricsSink: Send + Sync {
    async fn put(&self, data: &[MetricDatum]) -> PortResult<()>;
}

#[async_trait]
pub trait AlarmWatch: Send + Sync {
    async fn state(&self, alarm: &str) -> PortResult<AlarmState>;
}

/// A traffic-shifting deployment as its canary analysis reads it: the version that served before
/// (the baseline) and the one taking part of the traffic (the canary), on `target` (on AWS, a
/// Lambda function's alias, `function:alias`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryShift {
    pub target: String,
    pub baseline: String,
    pub canary: String,
    /// Still shifting: there is something to judge, and to stop.
    pub in_progress: bool,
}

/// Each version's samples of the analysis's metrics, each with its time (ms).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimedSamples {
    pub canary: BTreeMap<String, Vec<(i64, f64)>>,
    pub baseline: BTreeMap<String, Vec<(i64, f64)>>,
}

/// Where a canary analysis reads a deployment's two versions and their metrics (CodeDeploy and
/// CloudWatch on AWS; locally the front door measures both fleets itself).
#[async_trait]
pub trait CanarySource: Send + Sync {
    /// Deployment `deployment_id`'s shift; `None` when there is no such deployment.
    async fn shift(&self, deployment_id: &str) -> PortResult<Option<CanaryShift>>;
    /// The samples of `metrics` (`latency`, `errors`, or a metric with its CloudWatch source)
    /// of each version between two instants, by the metrics' names.
    async fn samples(
        &self,
        shift: &CanaryShift,
        metrics: &[crate::analysis::MetricSpec],
        from_ms: i64,
        to_ms: i64,
    ) -> PortResult<TimedSamples>;
}

/// One-shot timers that come back as events (EventBridge Scheduler on AWS).
#[async_trait]
pub trait Timers: Send + Sync {
    async fn after(&self, delay_secs: u64, event: Event) -> PortResult<()>;
}

/// An execution reaching a stage's gate.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub pipeline: &'a str,
    pub execution: &'a str,
    pub stage: &'a str,
    pub mode: crate::model::ExecutionMode,
    /// When the execution started (ms since the epoch): its place in line, where the adapter
    /// has no sequence of its own.
    pub started_ms: i64,
}

/// Stage locks ([`crate::lanes`]). The adapter keeps every lane of a pipeline and delivers what
/// [`crate::lanes::Lane::settle`] decides, for this execution and others, as events.
#[async_trait]
pub trait StageLanes: Send + Sync {
    /// The execution leaves the stage it holds and waits in front of `arrival.stage`.
    async fn arrive(&self, arrival: &Arrival<'_>) -> PortResult<()>;
    /// `execution` ended: it leaves its stage, and any queue it waits in.
    async fn leave(&self, pipeline: &str, execution: &str, mode: crate::model::ExecutionMode) -> PortResult<()>;
}

/// The files a ref change touched, relative to the pipeline's source (CodeCommit's
/// `GetDifferences` on AWS, git locally). A created ref counts every file of its tree, as
/// `GetDifferences` without a before-commit does.
#[async_trait]
pub trait ChangedFiles: Send + Sync {
    async fn changed_files(&self, change: &crate::trigger::RefChange) -> PortResult<Vec<String>>;
}

/// `StartExecution` of the pipeline's state machine.
#[async_trait]
pub trait ExecutionStarter: Send + Sync {
    /// Starts the execution called `name`. A name that exists already means this trigger was
    /// delivered before (EventBridge delivers at least once): nothing new starts. Returns `false`
    /// when the service says so; Step Functions answers a repeat of a running execution's name
    /// and input like the first call, and then this returns `true`.
    async fn start(&self, name: &str, input: Value) -> PortResult<bool>;
}
