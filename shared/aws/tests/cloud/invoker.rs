//! Step Functions' half of the cloud-mode test: each Task state invokes the stack's function
//! it names, and the services' asynchronous halves (a build's end, a deployment's, an alarm, a
//! timer, an approver) follow as they would.

use std::sync::Arc;

use async_trait::async_trait;
use baton_asl::{StatesError, TaskCall, TaskInvoker};
use baton_aws::entrypoints::gate::GateRequest;
use baton_core::stages::StageError;
use serde_json::Value;

use crate::Functions;

pub(crate) struct Invoker(pub Arc<Functions>);

#[async_trait]
impl TaskInvoker for Invoker {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        let (function, payload) = if call.resource.starts_with("arn:aws:states:::lambda:invoke") {
            (
                call.input["FunctionName"].as_str().unwrap_or_default().to_string(),
                call.input["Payload"].clone(),
            )
        } else {
            (call.resource.clone(), call.input.clone())
        };
        let f = &self.0;
        // The stack names its functions `<stack>-<logical id, lower case>`.
        let stem = function
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .rsplit('-')
            .next()
            .unwrap_or_default()
            .trim_end_matches("function")
            .to_string();
        let result: Result<Value, StageError> = match stem.as_str() {
            "source" => f.source.handle(payload.clone()).await,
            "gate" => match serde_json::from_value(payload.clone()) {
                Ok(input) => f.gate.handle(GateRequest::Gate(input)).await,
                Err(e) => Err(StageError::InvalidInput(e.to_string())),
            },
            "build" => f.build.handle(payload.clone()).await,
            "deploy" => f.deploy.handle(payload.clone()).await,
            "approval" => f.approval.handle(payload.clone()).await,
            "bake" => f.bake.handle(payload.clone()).await,
            "rollback" => f.rollback.handle(payload.clone()).await,
            other => panic!("the state machine invokes no {other} function ({function})"),
        };
        let value = result.map_err(|e| StatesError::new(e.error_type(), e.cause()))?;
        // The services' asynchronous halves run after the invocation returns, as they would.
        let functions = self.0.clone();
        let output = value.clone();
        tokio::spawn(async move {
            match stem.as_str() {
                "build" => functions.finish_build(&payload, output["build_id"].as_str().unwrap()).await,
                "deploy" => {
                    functions
                        .finish_deployment(&payload, output["deployment_id"].as_str().unwrap())
                        .await
                }
                "approval" => functions.approve(&payload).await,
                "bake" if functions.alarm_in_bake.lock().unwrap().as_ref() == payload["group"].as_str().map(String::from).as_ref() => {
                    for alarm in payload["alarms"].as_array().into_iter().flatten() {
                        functions.raise_alarm(alarm.as_str().unwrap()).await;
                    }
                }
                "bake" => functions.fire_timers().await,
                // A rollback that found something to restore is a deployment like any other.
                "rollback" => {
                    if let Some(id) = output["deployment_id"].as_str() {
                        functions.finish_deployment(&payload, id).await;
                    }
                }
                _ => {}
            }
        });
        Ok(value)
    }
}
