//! Bakes: checks the group's alarms now, then waits for an alarm change or the end of the bake
//! window (a one-time EventBridge Scheduler schedule).
//! Configuration: see `baton_aws::entrypoints::functions`.

use baton_aws::entrypoints::{config::Env, functions::BakeFunction, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = BakeFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|input| function.handle(input)).await
}
