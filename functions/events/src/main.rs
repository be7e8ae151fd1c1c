//! The events function: CodeBuild, CodeDeploy and CloudWatch alarm state changes from
//! EventBridge, and Baton's own timers and approval answers, answer the waiting tasks.
//! Configuration: see `baton_aws::functions`.

use baton_aws::events_function::EventsFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    baton_aws::lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = EventsFunction::from_env(&config, &baton_aws::config::Env::process())?;
    function.warm().await;
    baton_aws::lambda::serve(|input| function.handle(input)).await
}
