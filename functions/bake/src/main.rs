//! Bakes: checks the group's alarms now, then waits for an alarm change or the end of the bake
//! window (a one-time EventBridge Scheduler schedule).
//! Configuration: see `baton_aws::functions`.

use baton_aws::functions::BakeFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    baton_aws::lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = BakeFunction::from_env(&config, &baton_aws::config::Env::process())?;
    function.warm().await;
    baton_aws::lambda::serve(|input| function.handle(input)).await
}
