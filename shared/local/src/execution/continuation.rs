//! `baton resume` and `baton retry`: carrying on executions that did not finish, from their
//! history ([`baton_asl::redrive`]).
//!
//! Both restart at the gate of the stage the execution stopped in, so that it takes its place
//! in the stage's lane again before it goes on.
//! - A resume continues an execution whose runner died, in the same attempt: the stage's
//!   actions that had succeeded are not run again, the one in flight is started again with the
//!   same idempotency key, so its build or deployment is looked up, not started twice.
//! - A retry (`RedriveExecution`) is a new attempt of a failed, aborted or timed-out execution:
//!   the failed stage's actions run again under new keys; with `failed_only`, only those that
//!   did not succeed.

use baton_asl::{ExecutionOutcome, ExecutionSpec, Redrive};
use baton_core::synth;
use rusqlite::params;

use super::status;
use crate::PipelineStatus;
use crate::error::LocalError;
use crate::execution::record::ExecutionRecord;
use crate::execution::runners::RUNNER_LOST;
use crate::query;
use crate::runtime::{LocalRuntime, Start};

/// Where an execution carries on.
#[derive(Debug, Clone)]
pub enum Plan {
    Continue(Redrive),
    /// Its runner died after the history recorded the end: only the record is left to write.
    Ended(ExecutionOutcome),
}

/// How an execution is carried on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuation {
    Resume,
    Retry { failed_only: bool },
}

impl LocalRuntime {
    /// This pipeline's executions whose runner died, oldest first: what `baton resume` takes.
    pub fn interrupted(&self) -> Result<Vec<String>, LocalError> {
        let conn = self.db().lock();
        let mut stmt = conn
            .prepare("SELECT id FROM executions WHERE pipeline = ?1 AND status = 'ABORTED' AND error = ?2 ORDER BY rowid")
            .map_err(LocalError::sql)?;
        stmt.query_map(params![self.pipeline().name, RUNNER_LOST], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)
    }

    /// Where `id` would continue, after checking that it may: for announcements and for
    /// [`Self::carry_on`].
    pub fn continuation(&self, id: &str, how: Continuation) -> Result<Plan, LocalError> {
        let row = query::execution(self.db(), Some(id))?
            .filter(|r| r.id == id)
            .ok_or_else(|| LocalError::NotFound(format!("no execution {id} in this state directory")))?;
        if row.pipeline != self.pipeline().name {
            return Err(LocalError::BadRequest(format!(
                "execution {id} belongs to pipeline `{}`, not `{}`",
                row.pipeline,
                self.pipeline().name
            )));
        }
        let lost = row.error.as_deref() == Some(RUNNER_LOST);
        match (how, row.status) {
            (Continuation::Resume, PipelineStatus::Aborted) if lost => {}
            (Continuation::Resume, status) => {
                return Err(LocalError::Conflict(format!(
                    "execution {id} is {status}, and only an execution whose runner died can be resumed; `baton retry {id}` runs a failed stage again"
                )));
            }
            (Continuation::Retry { .. }, PipelineStatus::Failed | PipelineStatus::Aborted | PipelineStatus::TimedOut) => {}
            (Continuation::Retry { .. }, status) => {
                let why = match status {
                    PipelineStatus::Running => "it is still running",
                    PipelineStatus::Succeeded => "it succeeded",
                    _ => "a newer execution overtook it; run the pipeline again instead",
                };
                return Err(LocalError::Conflict(format!("execution {id} cannot be retried: {why}")));
            }
        }
        let history = query::history(self.db(), id)?;
        if how == Continuation::Resume
            && let Some(end) = baton_asl::redrive::recorded_end(&history)
        {
            return Ok(Plan::Ended(end));
        }
        let mut plan = baton_asl::redrive::plan(self.machine(), &history)
            .map_err(|e| LocalError::Conflict(format!("execution {id} cannot be continued: {e}")))?;
        plan.restart_at(&history, |state| synth::gate_stage(state).is_some());
        if how == (Continuation::Retry { failed_only: false }) {
            plan.forget_successes();
        }
        Ok(Plan::Continue(plan))
    }

    /// Resumes or retries execution `id` (a full id) and runs it to its end.
    pub async fn carry_on(&self, id: &str, how: Continuation) -> Result<ExecutionRecord, LocalError> {
        let plan = self.continuation(id, how)?;
        let (status, started): (PipelineStatus, String) = self
            .db()
            .lock()
            .query_row("SELECT status, started_at FROM executions WHERE id = ?1", [id], |r| {
                Ok((status::column(r, 0)?, r.get(1)?))
            })
            .map_err(LocalError::sql)?;
        // Back to RUNNING with this process as its runner, only if nobody did so first: two
        // `baton resume`s must not both carry it on.
        self.db().immediate(|tx| {
            if !status::reopen(tx, id, status)? {
                return Err(LocalError::Conflict(format!(
                    "execution {id} was carried on by another `baton` meanwhile"
                )));
            }
            crate::execution::runners::claim(tx, id)
        })?;
        let plan = match plan {
            Plan::Continue(plan) => plan,
            Plan::Ended(outcome) => {
                tracing::info!(
                    execution_id = id,
                    status = outcome.status.as_str(),
                    "the execution had ended; its record is written"
                );
                return self.conclude(id, started, &outcome, None).await;
            }
        };
        tracing::info!(execution_id = id, state = %plan.state, kept = plan.kept.len(), ?how, "execution carried on");
        let spec = ExecutionSpec {
            state_machine_arn: self.machine_arn().to_string(),
            execution_name: id.to_string(),
            input: plan.execution_input.clone(),
            input_text: None,
            workflow: baton_asl::Workflow::Standard,
        };
        let begin = match how {
            Continuation::Resume => Start::Resume(&plan),
            Continuation::Retry { .. } => Start::Redrive(&plan),
        };
        self.drive(&spec, started, begin).await
    }
}
