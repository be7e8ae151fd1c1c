//! DORA's four key metrics from the state machine's executions ([`baton_core::dora`]): an
//! execution deployed when its history entered a deploy action.

use baton_core::dora::{self, Dora};
use baton_core::operations::OperationError;

use super::{AwsOperations, SEARCHED, internal};

/// How far before the window an execution that ends inside it may have started: a Standard
/// execution runs for one year at most ("Quotas related to state machine executions").
const LONGEST_EXECUTION_MS: i64 = 366 * 86_400_000;

impl AwsOperations {
    /// `ListExecutions`, newest first, until one started before any that can end in the window
    /// (or [`SEARCHED`] of them); `DescribeExecution` and `GetExecutionHistory` of each that
    /// ended since `since_ms`.
    pub(super) async fn deploying_runs(&self, since_ms: i64, now_ms: i64) -> Result<Dora, OperationError> {
        let millis = |t: &aws_smithy_types::DateTime| t.to_millis().unwrap_or(i64::MIN);
        let mut runs = Vec::new();
        let mut listed = 0;
        let mut pages = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .into_paginator()
            .send();
        'listing: while let Some(page) = pages.next().await {
            let page = page.map_err(|e| internal(crate::sdk::port_error("Step Functions ListExecutions", &e)))?;
            for item in page.executions() {
                listed += 1;
                if listed > SEARCHED || millis(item.start_date()) < since_ms - LONGEST_EXECUTION_MS {
                    break 'listing;
                }
                if item.stop_date().is_none_or(|stop| millis(stop) < since_ms) {
                    continue;
                }
                let described = self
                    .sfn
                    .describe_execution()
                    .execution_arn(item.execution_arn())
                    .send()
                    .await
                    .map_err(|e| internal(crate::sdk::port_error("Step Functions DescribeExecution", &e)))?;
                let history = self.history_of(&described).await?;
                runs.extend(dora::deploying_run(&self.pipeline, &history.execution, &history.events));
            }
        }
        Ok(dora::compute(&runs, since_ms, now_ms))
    }
}
