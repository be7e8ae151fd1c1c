//! # baton-aws
//!
//! Baton's AWS adapters: the same ports as `baton-local`, implemented on the AWS SDK for Rust.
//! Lambda functions build them once at init.
//!
//! ## Layout
//!
//! - [`emf`]: `EmfMetricsSink`, metrics as Embedded Metric Format log lines (the Lambda hot path).
//! - [`cloudwatch`]: `CloudWatchMetrics` (`PutMetricData`) and `CloudWatchAlarms`
//!   (`DescribeAlarms`, `DescribeAlarmHistory`, `GetMetricData`).

pub mod cloudwatch;
pub mod emf;
