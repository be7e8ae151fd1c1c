//! The gate function: the state machine's gate Tasks (SUPERSEDED and QUEUED pipelines) and
//! EventBridge's `Step Functions Execution Status Change` events for its state machine.
//! Configuration: BATON_PIPELINE_YAML (the pipeline.yml text), BATON_TABLE,
//! BATON_STATE_MACHINE_ARN.

use baton_aws::entrypoints::gate::{GateFunction, GateRequest};
use baton_aws::entrypoints::{config::Env, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = GateFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|request: GateRequest| function.handle(request)).await
}
