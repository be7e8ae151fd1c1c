//! The gate function: the state machine's gate Tasks (SUPERSEDED and QUEUED pipelines) and
//! EventBridge's `Step Functions Execution Status Change` events for its state machine.
//! Configuration: BATON_PIPELINE (pipeline.yml bundled beside the binary), BATON_TABLE,
//! BATON_STATE_MACHINE_ARN.

use baton_aws::gate::{GateFunction, GateRequest};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = baton_aws::sdk::load_config().await;
    let function = GateFunction::from_env(&config)?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<GateRequest>| async move {
        function.handle(event.payload).await.map_err(|e| Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        })
    }))
    .await
}
