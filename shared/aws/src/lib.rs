//! # baton-aws
//!
//! Baton's AWS adapters: the same ports as `baton-local`, implemented on the AWS SDK for Rust.
//! Lambda functions build them once at init.
//!
//! ## Layout
//!
//! - [`sdk`]: the shared HTTP client, SDK errors as port errors.
//! - [`sfn`]: `StepFunctions`, executions started by name and task tokens answered.
//! - [`s3`]: `S3ArtifactStore`, artifact versions in a versioned bucket.
//! - [`codecommit_source`]: `CodeCommitSource`, a commit's tree read through the API and versioned.
//! - [`codedeploy`]: `CodeDeployer` (deployments of artifact bundles) and its state-change event;
//!   [`lambda_deploy`]: Lambda groups, whose deployments shift an alias to a published version.
//! - `deploy_queue`: deployments waiting for their group, started when it frees.
//! - [`dynamodb`]: `DynamoState` (parked task tokens) and `DynamoLanes` (stage locks).
//! - [`codebuild`]: `CodeBuildRunner` (one shared project, overrides per action) and its
//!   state-change event.
//! - [`codecommit`]: `CodeCommitChanges` (`GetDifferences`) and the repository state-change event.
//! - [`scheduler`]: `SchedulerTimers`, timers as one-time EventBridge Scheduler schedules.
//! - [`emf`]: `EmfMetricsSink`, metrics as Embedded Metric Format log lines (the Lambda hot path).
//! - [`cloudwatch`]: `CloudWatchMetrics` (`PutMetricData`) and `CloudWatchAlarms`
//!   (`DescribeAlarms`, `DescribeAlarmHistory`, `GetMetricData`).
//!
//! Apart from the adapters, [`entrypoints`]: what each Lambda function runs, built from its
//! environment at init ([`entrypoints::config`]) and served on the Lambda runtime
//! ([`entrypoints::lambda`]). With the `stack` feature, `stack` resolves a deployed stack's
//! resources and `operations` operates its executions for the CLI.

pub mod canary;
pub mod cloudwatch;
pub mod codebuild;
mod codebuild_batch;
pub mod codecommit;
pub mod codecommit_source;
pub mod codedeploy;
mod deploy_queue;
pub mod dynamodb;
pub mod emf;
pub mod entrypoints;
pub mod lambda_deploy;
#[cfg(feature = "stack")]
pub mod operations;
pub mod s3;
pub mod scheduler;
pub mod sdk;
pub mod sfn;
#[cfg(feature = "stack")]
pub mod stack;
