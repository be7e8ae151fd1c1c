//! # baton-local
//!
//! Baton's embedded defaults for every service, so `baton run` needs no AWS account: real files,
//! real processes and one SQLite database under the state directory.
//!
//! ## Layout
//!
//! - [`runtime`]: the local composition root (`LocalRuntime`): wires adapters into the
//!   `baton-core` handlers and runs the synthesized state machine in `baton-asl`.
//! - [`source`]: `LocalSource`, snapshots of a directory or git commit.
//! - [`artifacts`]: `FsArtifactStore`, versioned artifacts with manifests; [`tree`] holds the
//!   digest, copy and durable-write helpers it uses; [`artifact_diff`] compares two versions;
//!   [`artifact_gc`] removes old ones that nothing needs; [`blobs`] keeps file contents once
//!   by digest, a version being a listing of them, small ones together in [`packs`].
//! - [`build`]: `ShellBuildRunner`, buildspecs run like CodeBuild; [`build_driver`] runs a
//!   buildspec's commands one process each, in the state the last left, and reads its phase
//!   report back; [`build_batch`] runs a batch's builds and combines them; [`reports`] sums the
//!   test reports a build leaves, [`coverage`] its code coverage reports; [`build_cache`]
//!   keeps the buildspec's `cache.paths` between builds.
//! - [`deploy`]: `LocalDeployer`, CodeDeploy's Server lifecycle on local instances;
//!   [`deploy_plan`] paces a fleet by deployment configuration; [`deploy_install`] copies an
//!   appspec's files onto an instance; [`traffic`] is the loopback front door that canary and
//!   linear deployments shift traffic through, [`deploy::shift`] the deployment that does it.
//! - [`cloudwatch`]: metrics in SQLite, alarm evaluation, health probes; [`dora`]: DORA's four
//!   key metrics from the execution records.
//! - [`bus`]: the in-process event bus, timers, parked tasks, task-token callbacks; [`inbox`]:
//!   the socket through which `baton approve` (and other runs' stage locks) hand events to a
//!   running execution; [`lanes`]: the stage locks of the execution modes.
//! - [`params`]: local Parameter Store / Secrets Manager values for buildspecs; `mask` keeps
//!   their values out of every log and record a build leaves.
//! - [`git`]: running git, for sources and `baton watch`.
//! - [`file_lock`]: `flock` locks shared by every process on a state directory.
//! - [`process`]: child processes in their own process groups, with timeouts; `failpoints`
//!   names the fault points of the adapters' operations.
//! - [`execution_record`]: an execution's final record and the figures published at its end;
//!   [`runners`] ends the executions whose runner died, [`continuation`] resumes or retries
//!   them; `job_ends` keeps how each build and deployment ended, for the task that resumes.
//! - [`watch`]: `baton watch`, executions started by git pushes and schedules; [`watch::git_refs`]
//!   follows a repository's refs with inotify.
//! - [`query`]: read models for `status` and `history`.
//! - [`db`]: the SQLite schema and connection.

pub mod artifact_diff;
pub mod artifact_gc;
pub mod artifacts;
pub mod blobs;
pub mod build;
mod build_artifacts;
mod build_batch;
pub mod build_cache;
pub mod build_driver;
mod build_env;
mod build_log;
pub mod bus;
pub mod cloudwatch;
pub mod continuation;
pub mod coverage;
pub mod db;
pub mod deploy;
pub mod deploy_install;
mod deploy_permissions;
pub mod deploy_plan;
pub mod dora;
pub mod error;
pub mod execution_record;
mod failpoints;
pub mod file_lock;
pub mod git;
#[cfg(test)]
mod hostile_links;
pub mod inbox;
mod job_ends;
pub mod lanes;
mod mask;
pub mod operations;
pub mod packs;
pub mod params;
pub mod pipeline_status;
pub mod process;
pub mod query;
pub mod reports;
pub mod runners;
pub mod runtime;
pub mod source;
mod stopping;
pub mod traffic;
pub mod tree;
pub mod watch;

pub use baton_core::pipeline_status::PipelineStatus;
pub use continuation::Continuation;
pub use error::LocalError;
pub use execution_record::ExecutionRecord;
pub use runtime::{LocalRuntime, Progress, RuntimeOptions, Stopper};
