//! Build and test actions: starts a build of the shared CodeBuild project with the action's
//! buildspec, source and outputs as overrides, and parks the task token until the build's
//! state-change event reports its end to the events function.
//! Configuration: see `baton_aws::entrypoints::functions`.

use baton_aws::entrypoints::{config::Env, functions::BuildFunction, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = BuildFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|input| function.handle(input)).await
}
