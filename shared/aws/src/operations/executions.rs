//! Reading and starting executions of the stack's state machine: what `DescribeExecution` and
//! `GetExecutionHistory` say of one, the newest one, a listing, and a start as a push's.

use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::types::ExecutionStatus as SfnStatus;
use baton_core::operations::{ExecutionHistory, ExecutionQuery, ExecutionSummary, OperationError};
use baton_core::pipeline_status::PipelineStatus;

use super::{AwsOperations, SEARCHED, history, internal, recorded};
use crate::sfn::StepFunctions;

impl AwsOperations {
    /// What `DescribeExecution` says of an execution, and its input, as a listing shows it.
    pub(super) fn summary(&self, d: &DescribeExecutionOutput) -> ExecutionSummary {
        let input: serde_json::Value = d.input().and_then(|i| serde_json::from_str(i).ok()).unwrap_or_default();
        ExecutionSummary {
            id: d.name().unwrap_or_default().to_string(),
            pipeline: self.pipeline.name.clone(),
            status: status_of(d.status(), d.error()),
            started_at: rfc3339(d.start_date()),
            ended_at: d.stop_date().map(rfc3339),
            commit_id: ExecutionSummary::commit_of(&input),
            error: d.error().map(str::to_string),
            cause: d.cause().map(str::to_string),
            trigger: ExecutionSummary::trigger_of(&input),
            revision_summary: None,
            branch: ExecutionSummary::branch_of(&input),
        }
    }

    /// A described execution's summary and its whole history, in the interpreter's event form.
    pub(super) async fn history_of(&self, d: &DescribeExecutionOutput) -> Result<ExecutionHistory, OperationError> {
        let events = history::events(&self.sfn, d.execution_arn()).await.map_err(internal)?;
        Ok(ExecutionHistory {
            execution: self.summary(d),
            events: recorded::recorded(&events),
        })
    }

    /// Starts an execution of `commit` with `variables`, as the trigger function starts a push's
    /// (`stages::trigger`), recording the caller's AWS identity as who started it; its name.
    pub async fn start(&self, commit: String, variables: serde_json::Map<String, serde_json::Value>) -> Result<String, OperationError> {
        let by = self.caller().await?;
        let starter = StepFunctions::new(self.sfn.clone(), self.state_machine_arn.clone());
        match baton_core::stages::trigger::on_request(&starter, commit, variables, &by).await {
            Ok(baton_core::stages::trigger::TriggerOutcome::Started { execution, .. }) => Ok(execution),
            Ok(skipped) => Err(OperationError::Internal(format!("the execution did not start: {skipped:?}"))),
            Err(e) => Err(OperationError::Internal(e.to_string())),
        }
    }

    /// `DescribeExecution` of the execution `id` names, or of the newest when it names none.
    pub(super) async fn describe(&self, id: Option<&str>) -> Result<DescribeExecutionOutput, OperationError> {
        let arn = match id {
            Some(id) => return self.described(id).await,
            None => {
                let newest = self
                    .sfn
                    .list_executions()
                    .state_machine_arn(&self.state_machine_arn)
                    .max_results(1)
                    .send()
                    .await
                    .map_err(|e| internal(crate::sdk::port_error("Step Functions ListExecutions", &e)))?;
                match newest.executions().first() {
                    Some(e) => e.execution_arn().to_string(),
                    None => {
                        return Err(OperationError::NotFound(format!(
                            "no executions yet of {}; a push to its repository starts one",
                            self.state_machine_arn
                        )));
                    }
                }
            }
        };
        self.sfn
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .map_err(|e| internal(crate::sdk::port_error("Step Functions DescribeExecution", &e)))
    }

    /// `DescribeExecution` of the execution `id` names (its name or whole ARN), refused when it
    /// belongs to another state machine or does not exist.
    pub(super) async fn described(&self, id: &str) -> Result<DescribeExecutionOutput, OperationError> {
        let arn = self.arn(id);
        if !arn.starts_with(&format!("{}:", self.state_machine_arn.replacen(":stateMachine:", ":execution:", 1))) {
            return Err(OperationError::Invalid(format!(
                "{id} is an execution of another state machine than this stack's {}",
                self.state_machine_arn
            )));
        }
        self.sfn.describe_execution().execution_arn(&arn).send().await.map_err(|e| {
            if e.as_service_error().is_some_and(|s| s.is_execution_does_not_exist()) {
                OperationError::NotFound(format!("no execution {id} of {}", self.state_machine_arn))
            } else {
                internal(crate::sdk::port_error("Step Functions DescribeExecution", &e))
            }
        })
    }

    /// `ListExecutions`, then `DescribeExecution` of each for what its input and end say; the
    /// query's words are looked for in what those say, among the newest [`SEARCHED`].
    pub(super) async fn list(&self, query: &ExecutionQuery, limit: usize) -> Result<Vec<ExecutionSummary>, OperationError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let filter = query.status().map(|s| match s {
            PipelineStatus::Running => SfnStatus::Running,
            PipelineStatus::Succeeded => SfnStatus::Succeeded,
            // A superseded execution is one that failed with Baton.Superseded.
            PipelineStatus::Failed | PipelineStatus::Superseded => SfnStatus::Failed,
            PipelineStatus::TimedOut => SfnStatus::TimedOut,
            PipelineStatus::Aborted => SfnStatus::Aborted,
        });
        let (mut out, mut described) = (Vec::new(), 0);
        let mut pages = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .set_status_filter(filter)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| internal(crate::sdk::port_error("Step Functions ListExecutions", &e)))?;
            for listed in page.executions() {
                if described == SEARCHED {
                    return Ok(out);
                }
                described += 1;
                let d = self
                    .sfn
                    .describe_execution()
                    .execution_arn(listed.execution_arn())
                    .send()
                    .await
                    .map_err(|e| internal(crate::sdk::port_error("Step Functions DescribeExecution", &e)))?;
                let summary = self.summary(&d);
                if query.matches(&summary) {
                    out.push(summary);
                }
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }
}

/// A Step Functions timestamp as the records write theirs.
pub(super) fn rfc3339(t: &aws_smithy_types::DateTime) -> String {
    t.fmt(aws_smithy_types::date_time::Format::DateTime).unwrap_or_default()
}

/// Step Functions' status as the record's; a `Baton.Superseded` failure is SUPERSEDED.
pub(super) fn status_of(s: &SfnStatus, error: Option<&str>) -> PipelineStatus {
    match s {
        SfnStatus::Running | SfnStatus::PendingRedrive => PipelineStatus::Running,
        SfnStatus::Succeeded => PipelineStatus::Succeeded,
        SfnStatus::Failed if error == Some(baton_core::stages::error_types::SUPERSEDED) => PipelineStatus::Superseded,
        SfnStatus::TimedOut => PipelineStatus::TimedOut,
        SfnStatus::Aborted => PipelineStatus::Aborted,
        _ => PipelineStatus::Failed,
    }
}
