//! Rollbacks: restores a deployment group to its last-good version with a new deployment of it,
//! when the group's rollback policy covers the failure.
//! Configuration: see `baton_aws::entrypoints::functions`.

use baton_aws::entrypoints::{config::Env, functions::RollbackFunction, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = RollbackFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|input| function.handle(input)).await
}
