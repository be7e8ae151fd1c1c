//! The events function: CodeBuild, CodeDeploy and CloudWatch alarm state changes from
//! EventBridge, and Baton's own timers and approval answers, answer the waiting tasks.
//! Configuration: see `baton_aws::entrypoints::functions`.

use baton_aws::entrypoints::{config::Env, events::EventsFunction, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = EventsFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|input| function.handle(input)).await
}
