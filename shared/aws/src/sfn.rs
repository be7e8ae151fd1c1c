//! Step Functions adapters on aws-sdk-sfn: `StepFunctions` starts executions of the pipeline's
//! state machine (`StartExecution`, named for idempotency) and answers waiting tasks
//! (`SendTaskSuccess` / `SendTaskFailure`).

use async_trait::async_trait;
use aws_sdk_sfn::Client;
use baton_core::ports::{ExecutionStarter, PortResult, TaskCallbacks};
use serde_json::Value;

use crate::sdk::port_error;

#[derive(Debug, Clone)]
pub struct StepFunctions {
    client: Client,
    state_machine_arn: String,
}

impl StepFunctions {
    pub fn new(client: Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }
}

#[async_trait]
impl ExecutionStarter for StepFunctions {
    async fn start(&self, name: &str, input: Value) -> PortResult<bool> {
        let sent = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(name)
            .input(input.to_string())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(true),
            // The name is taken by an execution that ended or had another input (a running one
            // with the same input is answered as if started now): this delivery was handled.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_execution_already_exists()) => Ok(false),
            Err(e) => Err(port_error("Step Functions StartExecution", &e)),
        }
    }
}

/// A task that no longer waits (it ended, timed out, or the token is unknown) is answered by
/// nobody: `false`, not an error. (The two operations' error types share these checks but no
/// trait, hence a macro.)
macro_rules! answered {
    ($sent:expr, $operation:literal) => {
        match $sent {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_task_does_not_exist() || s.is_task_timed_out() || s.is_invalid_token()) =>
            {
                Ok(false)
            }
            Err(e) => Err(port_error($operation, &e)),
        }
    };
}

#[async_trait]
impl TaskCallbacks for StepFunctions {
    async fn succeed(&self, token: &str, output: Value) -> PortResult<bool> {
        let sent = self
            .client
            .send_task_success()
            .task_token(token)
            .output(output.to_string())
            .send()
            .await;
        answered!(sent, "Step Functions SendTaskSuccess")
    }

    async fn fail(&self, token: &str, error: &str, cause: &str) -> PortResult<bool> {
        let sent = self
            .client
            .send_task_failure()
            .task_token(token)
            .error(error)
            .cause(cause)
            .send()
            .await;
        answered!(sent, "Step Functions SendTaskFailure")
    }
}
