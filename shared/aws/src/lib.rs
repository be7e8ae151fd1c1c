//! # baton-aws
//!
//! Baton's AWS adapters: the same ports as `baton-local`, implemented on the AWS SDK for Rust.
//! Lambda functions build them once at init.
//!
//! ## Layout
//!
//! - [`sdk`]: the shared HTTP client, SDK errors as port errors.
//! - [`sfn`]: `StepFunctions`, executions started by name and task tokens answered.
//! - [`codecommit`]: `CodeCommitChanges` (`GetDifferences`) and the repository state-change event.
//! - [`trigger`]: the trigger function's handler: an EventBridge event in, an execution out.
//! - [`emf`]: `EmfMetricsSink`, metrics as Embedded Metric Format log lines (the Lambda hot path).
//! - [`cloudwatch`]: `CloudWatchMetrics` (`PutMetricData`) and `CloudWatchAlarms`
//!   (`DescribeAlarms`, `DescribeAlarmHistory`, `GetMetricData`).

pub mod cloudwatch;
pub mod codecommit;
pub mod emf;
pub mod sdk;
pub mod sfn;
pub mod trigger;
