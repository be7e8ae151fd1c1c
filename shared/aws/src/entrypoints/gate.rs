//! The gate function's handler. It is handed two things: the state machine's gate Task (an
//! execution reaching a stage, see `baton_core::stages::gate`), and EventBridge's `Step Functions
//! Execution Status Change` for the pipeline's state machine, on which an execution that ended
//! leaves its stage to whoever waits.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_types::SdkConfig;
use baton_core::model::ExecutionMode;
use baton_core::ports::{StageLanes, TaskCallbacks};
use baton_core::stages::StageError;
use baton_core::stages::gate::{self, GateInput};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dynamodb::{DynamoLanes, DynamoState};
use crate::emf::EmfMetricsSink;
use crate::entrypoints::config::{ConfigError, Env, pipeline};
use crate::sfn::StepFunctions;

/// The `detail` of a `Step Functions Execution Status Change` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionStatusChange {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    /// RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
    pub status: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum GateRequest {
    Gate(GateInput),
    StatusChange(Box<EventBridgeEvent<ExecutionStatusChange>>),
}

#[allow(missing_debug_implementations, reason = "holds trait objects")]
pub struct GateFunction {
    pub pipeline: String,
    pub mode: ExecutionMode,
    pub state_machine_arn: String,
    pub state: DynamoState,
    pub lanes: DynamoLanes,
    /// Approvals superseded by an arrival are failed through it.
    pub callbacks: Arc<dyn TaskCallbacks>,
}

impl GateFunction {
    /// Opens the connection its first invocation needs.
    pub async fn warm(&self) {
        self.state.warm().await;
    }

    /// Reads the pipeline (see `config::pipeline`), BATON_TABLE and BATON_STATE_MACHINE_ARN.
    pub fn from_env(config: &SdkConfig, env: &Env) -> Result<Self, ConfigError> {
        let pipeline = pipeline(env)?;
        let state = DynamoState::new(aws_sdk_dynamodb::Client::new(config), env.require("BATON_TABLE")?);
        let state_machine_arn = env.require("BATON_STATE_MACHINE_ARN")?;
        let sfn = Arc::new(StepFunctions::new(aws_sdk_sfn::Client::new(config), state_machine_arn.clone()));
        Ok(Self {
            pipeline: pipeline.name.clone(),
            mode: pipeline.execution_mode,
            state_machine_arn,
            lanes: DynamoLanes::new(state.clone(), sfn.clone(), Arc::new(EmfMetricsSink::stdout())),
            state,
            callbacks: sfn,
        })
    }

    pub async fn handle(&self, request: GateRequest) -> Result<Value, StageError> {
        match request {
            GateRequest::Gate(input) => gate::start(&self.lanes, &self.state, self.callbacks.as_ref(), input).await,
            GateRequest::StatusChange(event) => {
                let d = &event.detail;
                if d.state_machine_arn != self.state_machine_arn || d.status == "RUNNING" {
                    return Ok(json!({ "ignored": d.status }));
                }
                self.lanes.leave(&self.pipeline, &d.name, self.mode).await?;
                tracing::info!(execution = %d.name, status = %d.status, "the execution left its stage");
                Ok(json!({ "left": d.name }))
            }
        }
    }
}
