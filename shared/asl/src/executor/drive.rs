//! An execution from its start (or where a redrive or resume takes it up) to its end: the
//! history's execution events, the timeout over the whole run, and a stop request's way in.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing::info;

use super::{ExecutionOutcome, ExecutionSpec, ExecutionStatus, Interpreter, Run, Start, StopRequest};
use crate::context::{Clock, timestamp};
use crate::definition::StateMachine;
use crate::error::{StatesError, names};
use crate::history::Recorder;
use crate::io::{Lang, check_size, json_len, json_text};

impl Interpreter {
    pub(super) async fn drive(
        &self,
        machine: &StateMachine,
        spec: &ExecutionSpec,
        start: Start<'_>,
        mut stops: mpsc::UnboundedReceiver<StopRequest>,
    ) -> ExecutionOutcome {
        let arn = spec.execution_arn();
        let clock = Clock::start();
        let role = "arn:aws:iam::000000000000:role/baton-local";
        let (recorder, input, start_time, redrive_count) = match start {
            Start::Fresh => {
                let recorder = Recorder::new(self.sink.clone(), &arn, clock, 0);
                let input = spec.input_text.as_deref().map_or_else(|| json_text(&spec.input), str::to_string);
                recorder.emit_aside(
                    "ExecutionStarted",
                    Some("executionStartedEventDetails"),
                    started_details(input, role),
                );
                (recorder, spec.input.clone(), timestamp(clock.now()), 0)
            }
            Start::Continue { from, new_attempt } => {
                let recorder = Recorder::new(self.sink.clone(), &arn, clock, from.last_event_id);
                let count = from.redrive_count + u64::from(new_attempt);
                if new_attempt {
                    recorder.emit(
                        "ExecutionRedriven",
                        Some("executionRedrivenEventDetails"),
                        json!({ "redriveCount": count }),
                    );
                }
                info!(execution = %arn, state = %from.state, redrive_count = count, new_attempt, kept = from.kept.len(), "execution continued");
                (recorder, from.execution_input.clone(), from.start_time.clone(), count)
            }
        };
        let machine_name = spec.state_machine_arn.rsplit(':').next().unwrap_or_default();
        let (first, first_input, kept, as_given) = match start {
            Start::Fresh => (machine.start_at.clone(), input.clone(), HashMap::new(), spec.input_text.clone()),
            Start::Continue { from, .. } => (from.state.clone(), from.input.clone(), from.kept.clone(), None),
        };
        let run = Run::new(
            recorder.clone(),
            clock,
            execution_context(spec, &arn, &input, role, &start_time, redrive_count),
            json!({"Id": spec.state_machine_arn, "Name": machine_name}),
            Lang::of(machine.query_language.as_deref(), Lang::JsonPath),
            kept,
        )
        .with_input_as_given(as_given);
        info!(execution = %arn, state = %first, "execution started");
        let input_check = check_size("execution input", json_len(&input));
        let body = async {
            input_check?;
            self.run_flow(machine, first, first_input, &run, None).await
        };
        let timed = async {
            match machine.timeout_seconds {
                Some(secs) => tokio::time::timeout(Duration::from_secs(secs), body).await.map_err(|_| secs),
                None => Ok(body.await),
            }
        };
        tokio::pin!(timed);
        let mut draining: Option<StatesError> = None;
        let aborted = |abort: StatesError| {
            recorder.emit(
                "ExecutionAborted",
                Some("executionAbortedEventDetails"),
                json!({"error": abort.error, "cause": abort.cause}),
            );
            info!(execution = %arn, cause = %abort.cause, "execution aborted");
            ExecutionOutcome {
                status: ExecutionStatus::Aborted,
                output: None,
                error: Some(abort),
            }
        };
        let result = loop {
            tokio::select! {
                // A stop before the flows, so that none enters a state once it is asked not to;
                // the flows before `landed`, so that a task that just landed records its
                // state's end before the drained execution is aborted.
                biased;
                Some(stop) = stops.recv() => {
                    if stop.abandon {
                        return aborted(stop.error);
                    }
                    info!(execution = %arn, "execution stopping: the tasks in flight finish, no state starts after them");
                    run.flight.drain();
                    draining.get_or_insert(stop.error);
                }
                result = &mut timed => break result,
                () = run.flight.landed(), if draining.is_some() => {
                    return aborted(draining.take().unwrap_or_else(|| StatesError::runtime("stopped")));
                }
            }
        };
        // A wait the embedder ended with the stop's own error (an approval nobody gave) is the
        // stop, not a failure.
        if let (Some(stop), Ok(Err(e))) = (&draining, &result)
            && e.error == stop.error
        {
            return aborted(stop.clone());
        }
        let result = match result {
            Ok(r) => r,
            // Step Functions ends it TIMED_OUT with neither error nor cause, `States.Timeout`
            // in the history's `ExecutionTimedOut` alone, unlinked (recorded AWS executions,
            // tests/conformance/states.json).
            Err(secs) => {
                info!(execution = %arn, timeout_secs = secs, "execution timed out");
                recorder.emit_unlinked(
                    "ExecutionTimedOut",
                    Some("executionTimedOutEventDetails"),
                    json!({"error": names::TIMEOUT}),
                );
                return ExecutionOutcome {
                    status: ExecutionStatus::TimedOut,
                    output: None,
                    error: None,
                };
            }
        };
        match result {
            Ok(output) => {
                recorder.emit(
                    "ExecutionSucceeded",
                    Some("executionSucceededEventDetails"),
                    succeeded_details(&output),
                );
                info!(execution = %arn, "execution succeeded");
                ExecutionOutcome {
                    status: ExecutionStatus::Succeeded,
                    output: Some(output),
                    error: None,
                }
            }
            Err(error) => {
                recorder.emit("ExecutionFailed", Some("executionFailedEventDetails"), failed_details(&error));
                info!(execution = %arn, error = %error.error, "execution failed");
                ExecutionOutcome {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error: Some(error),
                }
            }
        }
    }
}

/// `$$.Execution`, its members in AWS's order, which shows wherever the object becomes text:
/// a Standard execution's are `Id, Input, StartTime, Name, RoleArn, RedriveCount`
/// (localstack/localstack, tests/aws/services/stepfunctions/v2/context_object/
/// test_context_object.snapshot.json, test_input_path[$$], 2024-09-11); an Express
/// execution's, `Id, Input, Name, RoleArn, StartTime`, without `RedriveCount`, when
/// StartSyncExecution runs it (express/test_express_sync.snapshot.json,
/// test_query_runtime_memory, 2024-07-15), the start a local run is. One that StartExecution starts
/// ends the list with `RedriveCount: 0` (express/test_express_async.snapshot.json, the same
/// test, 2024-07-03).
pub(super) fn execution_context(spec: &ExecutionSpec, arn: &str, input: &Value, role: &str, start_time: &str, redrive_count: u64) -> Value {
    if spec.workflow == super::Workflow::Standard {
        json!({
            "Id": arn,
            "Input": input,
            "StartTime": start_time,
            "Name": spec.execution_name,
            "RoleArn": role,
            "RedriveCount": redrive_count,
        })
    } else {
        json!({
            "Id": arn,
            "Input": input,
            "Name": spec.execution_name,
            "RoleArn": role,
            "StartTime": start_time,
        })
    }
}

/// `executionStartedEventDetails`: the input as the execution was given it, and its role.
pub(super) fn started_details(input: String, role: &str) -> Value {
    json!({"input": input, "inputDetails": {"truncated": false}, "roleArn": role})
}

/// `executionSucceededEventDetails`.
pub(super) fn succeeded_details(output: &Value) -> Value {
    json!({"output": json_text(output), "outputDetails": {"truncated": false}})
}

/// `executionFailedEventDetails`, as `StatesError::described` gives the two (also recorded in
/// localstack/localstack, tests/aws/services/stepfunctions/v2/assign/
/// test_assign_base.snapshot.json, test_assign_in_choice[CONDITION_FALSE], 2024-12-27:
/// `{"cause": "Condition is false"}`).
pub(super) fn failed_details(error: &StatesError) -> Value {
    let (error, cause) = error.described();
    let mut details = serde_json::Map::new();
    for (key, text) in [("error", error), ("cause", cause)] {
        if let Some(text) = text {
            details.insert(key.into(), Value::String(text.to_string()));
        }
    }
    Value::Object(details)
}
