//! Rollbacks: restores a deployment group to its last-good version with a new deployment of it,
//! when the group's rollback policy covers the failure.
//! Configuration: see `baton_aws::functions`.

use baton_aws::functions::RollbackFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    baton_aws::lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = RollbackFunction::from_env(&config, &baton_aws::config::Env::process())?;
    function.warm().await;
    baton_aws::lambda::serve(|input| function.handle(input)).await
}
