//! # baton-core
//!
//! Baton's domain, free of any AWS SDK type: what a pipeline is, how it becomes a state
//! machine, and the stage handlers both executors call through ports.
//!
//! ## Layout
//!
//! - [`spec`]: the files users write (`pipeline.yml`, `buildspec.yml`, `appspec.yml`), parsed
//!   with file:line:column errors; [`spec::validate`] turns a pipeline spec into a [`model`].
//! - [`model`]: the validated pipeline.
//! - [`synth`]: pipeline → Amazon States Language; [`sam`]: pipeline → the SAM application
//!   that deploys it on AWS.
//! - [`ports`]: the traits adapters implement (`ArtifactStore`, `BuildRunner`, `Deployer`, …).
//! - [`operations`]: what an operator does (approve, stop, roll back), one contract for the
//!   CLI and the console.
//! - [`pipeline_status`]: an execution's status, Step Functions' and CodePipeline's SUPERSEDED.
//! - [`stages`]: the handlers, one module per Lambda function, and the `events` handler that
//!   answers waiting tasks.
//! - [`events`]: inbound notifications (build, deployment, alarm, timer).
//! - [`lanes`]: stage locks, after CodePipeline's execution modes.
//! - [`digest`]: the canonical digest of a file tree, the same in every store.
//! - [`beneath`]: paths resolved inside a tree, links followed, never above its root.
//! - [`artifact_diff`]: what changed between two versions of an artifact.
//! - [`bundle`]: artifacts as reproducible zip bundles, and their distrustful unpacking.
//! - [`dora`]: DORA's four key metrics from an executor's deploying executions.
//! - [`cost`]: an execution's AWS cost from what it did, beside CodePipeline V2's price.
//! - [`alarm`]: CloudWatch alarms: vocabulary, evaluation, composite rules.
//! - [`metrics`]: the metrics Baton publishes, and their dimensions.
//! - [`trigger`]: push filters and schedules: which pushes and times start an execution.
//! - [`variables`]: action output variables (`#{Namespace.NAME}`).

pub mod alarm;
pub mod analysis;
pub mod artifact_diff;
pub mod beneath;
pub mod bundle;
pub mod cost;
pub mod digest;
pub mod dora;
pub mod events;
pub mod execution_states;
pub mod lanes;
pub mod metrics;
pub mod model;
pub mod operations;
pub mod pipeline_status;
pub mod ports;
pub mod sam;
pub mod spec;
pub mod stages;
pub mod synth;
pub mod trigger;
pub mod variables;

pub use model::Pipeline;
pub use spec::SpecError;
pub use spec::validate::{load_pipeline, parse_pipeline};
