//! The trigger function: EventBridge hands it `CodeCommit Repository State Change` events (a push
//! that passes the pipeline's push filters starts the state machine at the pushed commit) and
//! its schedule rules' `Scheduled Event`s (a run of the branch's tip).
//! Configuration: BATON_PIPELINE_YAML (the pipeline.yml text), BATON_REPOSITORY,
//! BATON_STATE_MACHINE_ARN.

use baton_aws::entrypoints::trigger::{TriggerFunction, TriggerRequest};
use baton_aws::entrypoints::{config::Env, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = TriggerFunction::from_env(&config, &Env::process())?;
    lambda::serve(|request: TriggerRequest| function.handle(request)).await
}
