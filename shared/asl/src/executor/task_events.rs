//! The events a Task state's call records, by what it calls: a Lambda function named by its ARN
//! has `LambdaFunction…` events, an activity `Activity…` events, and an integration `Task…`
//! events, which alone carry its `resourceType` and `resource`. Each event has the members
//! `GetExecutionHistory` gives it (the SDK's HistoryEvent shapes), and an optional member that is
//! not set is left out (recorded in localstack/localstack, tests/aws/services/stepfunctions/v2/:
//! error_handling/test_task_lambda.snapshot.json for functions, activities/
//! test_activities.snapshot.json for activities, 2024-03-03).

use serde_json::{Map, Value, json};

use super::TaskCall;
use crate::error::{StatesError, names};
use crate::history::Recorder;
use crate::resource::Pattern;

/// What a Task calls, as its events name it.
enum Called {
    Function,
    Activity,
    /// `lambda` and `invoke.waitForTaskToken` for `arn:aws:states:::lambda:invoke.waitForTaskToken`,
    /// `aws-sdk:s3` and `getObject` for an SDK call; `runs_a_job` for the `.sync` pattern.
    Integration {
        resource_type: String,
        resource: String,
        runs_a_job: bool,
    },
}

pub(super) struct TaskEvents<'a> {
    called: Called,
    rec: &'a Recorder,
}

impl<'a> TaskEvents<'a> {
    pub(super) fn new(resource: &str, rec: &'a Recorder) -> Self {
        let called = if crate::resource::is_lambda_function(resource) {
            Called::Function
        } else if let Some((resource_type, resource)) = crate::resource::resource_type(resource) {
            Called::Integration {
                resource_type: resource_type.to_string(),
                resource: resource.to_string(),
                runs_a_job: matches!(crate::resource::pattern(resource).1, Pattern::RunAJob(_)),
            }
        } else {
            Called::Activity
        };
        Self { called, rec }
    }

    /// The start of each event's type and of its details' key: `LambdaFunctionScheduled` and
    /// `lambdaFunctionScheduledEventDetails`.
    fn names(&self) -> (&'static str, &'static str) {
        match self.called {
            Called::Function => ("LambdaFunction", "lambdaFunction"),
            Called::Activity => ("Activity", "activity"),
            Called::Integration { .. } => ("Task", "task"),
        }
    }

    fn emit(&self, kind: &str, members: Value) {
        let mut members = match members {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        // An empty cause (a timeout's) is left out as well.
        members.retain(|k, v| !(v.is_null() || k == "cause" && v.as_str() == Some("")));
        if let Called::Integration {
            resource_type, resource, ..
        } = &self.called
        {
            members.insert("resourceType".into(), json!(resource_type));
            members.insert("resource".into(), json!(resource));
        }
        let (event, details) = self.names();
        self.rec.emit(
            &format!("{event}{kind}"),
            Some(&format!("{details}{kind}EventDetails")),
            Value::Object(members),
        );
    }

    /// The call is scheduled and started. A function's start has no details; an activity's
    /// names the worker that took it, which a local answer does not have (AWS records `{}` for
    /// a worker that gave no name).
    pub(super) fn scheduled(&self, call: &TaskCall, timeout: Option<u64>, heartbeat: Option<u64>) {
        let credentials = call.role_arn.as_ref().map(|arn| json!({"roleArn": arn}));
        let input = || json!({"resource": call.resource, "input": call.input.to_string(), "inputDetails": {"truncated": false}});
        match self.called {
            Called::Function => {
                let mut members = input();
                members["timeoutInSeconds"] = json!(timeout);
                members["taskCredentials"] = json!(credentials);
                self.emit("Scheduled", members);
                self.rec.emit("LambdaFunctionStarted", None, Value::Null);
            }
            Called::Activity => {
                let mut members = input();
                members["timeoutInSeconds"] = json!(timeout);
                members["heartbeatInSeconds"] = json!(heartbeat);
                self.emit("Scheduled", members);
                self.emit("Started", json!({}));
            }
            Called::Integration { .. } => {
                self.emit(
                    "Scheduled",
                    json!({"region": "local", "parameters": call.input.to_string(), "timeoutInSeconds": timeout, "heartbeatInSeconds": heartbeat, "taskCredentials": credentials}),
                );
                self.emit("Started", json!({}));
            }
        }
    }

    /// A callback task's message is sent: `returned` is what sending it answered.
    pub(super) fn submitted(&self, returned: &Value) {
        self.emit(
            "Submitted",
            json!({"output": returned.to_string(), "outputDetails": {"truncated": false}}),
        );
    }

    /// A `.sync` task's job has run: AWS records `TaskSubmitted` between the task's start and
    /// its end, its output the response of the call that started the job (localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/credentials/test_credentials_base.snapshot.json,
    /// `startExecution.sync`, 2024-12-04). An invoker answers with the job's end alone, so the
    /// event is recorded without that output, which is optional in the event. A job that started
    /// and then failed ends the task in `States.TaskFailed`, after its submission (a child
    /// execution that failed, and one that timed out: tests/aws/services/stepfunctions/v2/
    /// callback/test_callback.snapshot.json, `test_start_execution_sync_delegate_failure` and
    /// `_delegate_timeout`, 2023-07-05); any other error is the starting call's own, named by
    /// its service (`StepFunctions.StateMachineDoesNotExistException`), and submitted nothing.
    pub(super) fn job_submitted(&self, outcome: &Result<Value, StatesError>) {
        let started = match outcome {
            Ok(_) => true,
            Err(e) => e.error == names::TASK_FAILED,
        };
        if started {
            self.job_started();
        }
    }

    /// A `.sync` task's job is known to have started: its token was answered before it ended.
    pub(super) fn job_started(&self) {
        if let Called::Integration { runs_a_job: true, .. } = &self.called {
            self.emit("Submitted", json!({}));
        }
    }

    /// The call's end: its result, or its failure or timeout.
    pub(super) fn ended(&self, result: &Result<Value, StatesError>) {
        match result {
            Ok(output) => self.emit(
                "Succeeded",
                json!({"output": output.to_string(), "outputDetails": {"truncated": false}}),
            ),
            Err(e) => {
                let kind = match e.error == names::TIMEOUT || e.error == names::HEARTBEAT_TIMEOUT {
                    true => "TimedOut",
                    false => "Failed",
                };
                self.emit(kind, json!({"error": e.error, "cause": e.cause}));
            }
        }
    }
}
