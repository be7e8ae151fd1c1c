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
//! - [`dynamodb`]: `DynamoState` (parked task tokens) and `DynamoLanes` (stage locks).
//! - [`codecommit`]: `CodeCommitChanges` (`GetDifferences`) and the repository state-change event.
//! - [`gate`]: the gate function's handler: stage gates, and executions leaving their stage.
//! - [`trigger`]: the trigger function's handler: an EventBridge event in, an execution out.
//! - [`emf`]: `EmfMetricsSink`, metrics as Embedded Metric Format log lines (the Lambda hot path).
//! - [`cloudwatch`]: `CloudWatchMetrics` (`PutMetricData`) and `CloudWatchAlarms`
//!   (`DescribeAlarms`, `DescribeAlarmHistory`, `GetMetricData`).

pub mod cloudwatch;
pub mod codecommit;
pub mod dynamodb;
pub mod emf;
pub mod gate;
pub mod s3;
pub mod sdk;
pub mod sfn;
pub mod trigger;
