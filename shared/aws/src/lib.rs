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
//! - [`config`]: a function's settings from its environment, read once at init.
//! - [`functions`]: the source, build, deploy, approval, bake and rollback functions' handlers.
//! - [`events_function`]: the events function's handler: finished work answers waiting tasks.
//! - [`scheduler`]: `SchedulerTimers`, timers as one-time EventBridge Scheduler schedules.
//! - [`lambda`]: serving a handler on the Lambda runtime, errors as stable `errorType`s.
//! - [`gate`]: the gate function's handler: stage gates, and executions leaving their stage.
//! - [`trigger`]: the trigger function's handler: an EventBridge event in, an execution out.
//! - [`emf`]: `EmfMetricsSink`, metrics as Embedded Metric Format log lines (the Lambda hot path).
//! - [`cloudwatch`]: `CloudWatchMetrics` (`PutMetricData`) and `CloudWatchAlarms`
//!   (`DescribeAlarms`, `DescribeAlarmHistory`, `GetMetricData`).

pub mod cloudwatch;
pub mod codebuild;
mod codebuild_batch;
pub mod codecommit;
pub mod codecommit_source;
pub mod codedeploy;
pub mod config;
mod deploy_queue;
pub mod dynamodb;
pub mod emf;
pub mod events_function;
pub mod functions;
pub mod gate;
pub mod lambda;
pub mod lambda_deploy;
#[cfg(feature = "stack")]
pub mod operations;
pub mod s3;
pub mod scheduler;
pub mod sdk;
pub mod sfn;
#[cfg(feature = "stack")]
pub mod stack;
pub mod trigger;
