//! Parallel states: run the branches concurrently, collect their outputs in order, and stop
//! them all when one fails.

use serde_json::Value;
use tracing::debug;

use super::{Interpreter, Recovery, Run, caught};
use crate::context::Context;
use crate::definition::ParallelState;
use crate::error::StatesError;
use crate::io::{Lang, Step, call_template, input_path, template};

impl Interpreter {
    pub(super) async fn parallel(
        &self,
        name: &str,
        s: &ParallelState,
        lang: Lang,
        input: Value,
        run: &Run,
        ctx: &Context,
    ) -> Result<Step, StatesError> {
        let mut retries = vec![0u64; s.retry.len()];
        loop {
            let attempt = async {
                // JSONata states have no InputPath: their effective input is the input.
                let effective = input_path(&s.io, &input, ctx)?;
                let branch_input = match call_template(lang, s.parameters.as_ref(), s.arguments.as_ref()) {
                    Some((written, field)) => template(lang, written, field, (&input, &effective), ctx)?,
                    None => effective.into_owned(),
                };
                run.recorder.emit("ParallelStateStarted", None, Value::Null);
                let runs: Vec<Run> = s.branches.iter().map(|branch| run.fork(branch)).collect();
                let branches = s.branches.iter().zip(&runs).enumerate().map(|(i, (branch, branch_run))| {
                    let input = branch_input.clone();
                    async move { self.run_machine(branch, input, branch_run, None).await.map_err(|e| (i, e)) }
                });
                // try_join_all drops (and so cancels) the other branches as soon as one fails,
                // as Step Functions stops a Parallel state's branches on the first failure; the
                // state then fails with that branch's error.
                let results = match futures_util::future::try_join_all(branches).await {
                    Ok(outputs) => Value::Array(outputs),
                    Err((failed, error)) => {
                        if !error.is_terminal() {
                            stop_branches(run, &runs, failed);
                        }
                        return Err(error);
                    }
                };
                // As a Map's: the success and the exit follow the branches' last event (recorded in
                // localstack/localstack, tests/aws/services/stepfunctions/v2/scenarios/
                // test_base_scenarios.snapshot.json, test_parallel_state, 2023-07-17: the exit,
                // 19, follows 17, the last branch event).
                let last = runs.iter().map(|r| r.recorder.last()).max().unwrap_or_default();
                run.recorder.succeeded_after("ParallelStateSucceeded", last);
                s.outputs(lang).apply(input.clone(), results, ctx)
            };
            match attempt.await {
                Ok((step, assigned)) => {
                    run.stage(assigned);
                    return Ok(step);
                }
                Err(error) => {
                    let error = run.evaluation_failed(error, name);
                    // A terminal error ends the execution where it stands: AWS records no
                    // ParallelStateFailed before ExecutionFailed (floci-io/floci#2868), as no
                    // TaskFailed for a Task's own.
                    if error.is_terminal() {
                        return Err(error);
                    }
                    debug!(state = name, error = %error.error, "parallel state failed");
                    // No details: GetExecutionHistory's HistoryEvent has no member for a
                    // ParallelStateFailed's (API reference, HistoryEvent), as MapStateFailed has
                    // none; the error and cause are the catcher's or the execution's.
                    let record = || {
                        run.recorder.emit("ParallelStateFailed", None, Value::Null);
                    };
                    match self.recover_fan_out(&error, (&s.retry, &mut retries), &s.catch, record).await {
                        Recovery::Retry => {}
                        Recovery::Catch(i, c) => return caught((i, c), lang, input, error, ctx, run),
                        Recovery::Fail => return Err(error),
                    }
                }
            }
        }
    }
}

/// A branch failed, so the Parallel state stops: every state still open in its branches is
/// aborted, the failing one included, and the state goes on from the failed branch's last event
/// before that. AWS recorded it so (localstack/localstack, tests/aws/services/stepfunctions/v2/
/// states_variables/test_error_output.snapshot.json, PARALLEL_CATCH_ERROR_OUTPUT_WITH_RETRY,
/// 2024-11-13): `TaskFailed` (7), `TaskStateAborted`, then the retry's `ParallelStateStarted`
/// following 7, with no `ParallelStateFailed` until no retrier is left.
/// Each abort follows that last event too, as a Map's do (see map.rs, stop_iterations).
fn stop_branches(run: &Run, runs: &[Run], failed: usize) {
    let last = runs[failed].recorder.last();
    runs[failed].abort_open_after(last);
    for (i, other) in runs.iter().enumerate() {
        if i != failed {
            other.abort_open_after(last);
        }
    }
    run.recorder.follow(last);
}
