//! Deploy actions: creates a CodeDeploy deployment of the artifact's bundle to the action's
//! deployment group, and parks the task token until the deployment's state-change event.
//! Configuration: see `baton_aws::functions`.

use baton_aws::functions::DeployFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    baton_aws::lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = DeployFunction::from_env(&config, &baton_aws::config::Env::process())?;
    function.warm().await;
    baton_aws::lambda::serve(|input| function.handle(input)).await
}
