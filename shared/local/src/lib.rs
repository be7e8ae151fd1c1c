//! # baton-local
//!
//! Baton's embedded defaults for every service, so `baton run` needs no AWS account: real files,
//! real processes and one SQLite database under the state directory.
//!
//! ## Layout
//!
//! - [`runtime`]: the local composition root (`LocalRuntime`): wires adapters into the
//!   `baton-core` handlers and runs the synthesized state machine in `baton-asl`.
//! - [`operations`]: approve, stop, retry, roll back and stop a deployment, on a state directory.
//! - `source`: `LocalSource`, snapshots of a directory or git commit.
//! - [`artifacts`]: `FsArtifactStore`, versioned artifacts with manifests; [`artifacts::diff`]
//!   compares two versions; `artifacts::gc` removes old ones that nothing needs;
//!   [`artifacts::blobs`] keeps file contents once by digest, a version being a listing of them,
//!   small ones together in `artifacts::packs`.
//! - `build`: `ShellBuildRunner`, buildspecs run like CodeBuild; `build::driver` runs a
//!   buildspec's commands one process each, in the state the last left, and reads its phase
//!   report back; `build::batch` runs a batch's builds and combines them; `build::reports`
//!   sums the test reports a build leaves, `build::coverage` its code coverage reports;
//!   `build::cache` keeps the buildspec's `cache.paths` between builds; `build::outputs` picks
//!   a build's artifacts out of its workspace.
//! - [`deploy`]: `LocalDeployer`, CodeDeploy's Server lifecycle on local instances;
//!   `deploy::plan` paces a fleet by deployment configuration; `deploy::install` copies an
//!   appspec's files onto an instance; [`deploy::traffic`] is the loopback front door that canary
//!   and linear deployments shift traffic through, `deploy::shift` the deployment that does it.
//! - [`execution`]: an execution's record ([`execution::record`]) and status
//!   (`execution::status`, every change of it); [`execution::runners`] ends the executions
//!   whose runner died, [`execution::continuation`] resumes or retries them; `job_ends` keeps how
//!   each build and deployment ended, for the task that resumes; `stopping` carries a stop out.
//! - [`coordination`]: [`coordination::bus`], the in-process event bus, timers, parked tasks,
//!   task-token callbacks; [`coordination::inbox`], the socket through which `baton approve`
//!   (and other runs' stage locks) hand events to a running execution;
//!   [`coordination::lanes`], the stage locks of the execution modes.
//! - [`cloudwatch`]: metrics in SQLite, alarm evaluation, health probes; [`dora`]: DORA's four
//!   key metrics from the execution records.
//! - [`objects`]: S3 objects in a directory, for a Distributed Map's ItemReader and
//!   ResultWriter in `baton asl run --s3-dir`.
//! - [`params`]: local Parameter Store / Secrets Manager values for buildspecs; `mask` keeps
//!   their values out of every log and record a build leaves.
//! - [`sys`]: the machine underneath: [`sys::process`] (child processes in their own process
//!   groups, with timeouts), `sys::file_lock` (`flock` locks shared by every process on a
//!   state directory), `sys::git`, [`sys::tree`] (digests, copies and durable writes);
//!   `failpoints` names the fault points of the adapters' operations.
//! - [`watch`]: `baton watch`, executions started by git pushes and schedules; `watch::git_refs`
//!   follows a repository's refs with inotify.
//! - [`query`]: read models for `status` and `history`.
//! - [`db`]: the SQLite schema and connection.

pub mod artifacts;
pub(crate) mod build;
pub mod cloudwatch;
pub mod coordination;
pub mod db;
pub mod deploy;
pub mod dora;
pub mod error;
pub mod execution;
mod failpoints;
#[cfg(test)]
mod hostile_links;
mod mask;
pub mod objects;
pub mod operations;
pub mod params;
pub mod query;
pub mod runtime;
pub(crate) mod source;
pub mod sys;
pub mod watch;

pub use baton_core::pipeline_status::PipelineStatus;
pub use error::LocalError;
pub use execution::continuation::Continuation;
pub use execution::record::ExecutionRecord;
pub use runtime::{LocalRuntime, Progress, RuntimeOptions, Stopper};
