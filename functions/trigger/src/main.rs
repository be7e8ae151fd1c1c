//! The trigger function: EventBridge hands it `CodeCommit Repository State Change` events (a push
//! that passes the pipeline's push filters starts the state machine at the pushed commit) and
//! its schedule rules' `Scheduled Event`s (a run of the branch's tip).
//! Configuration: BATON_PIPELINE (pipeline.yml bundled beside the binary), BATON_REPOSITORY,
//! BATON_STATE_MACHINE_ARN.

use baton_aws::trigger::{TriggerFunction, TriggerRequest};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let config = baton_aws::sdk::load_config().await;
    let function = TriggerFunction::from_env(&config)?;
    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<TriggerRequest>| async move {
        function.handle(event.payload).await.map_err(|e| Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        })
    }))
    .await
}
