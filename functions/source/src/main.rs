//! The Source stage: reads the pushed commit's tree through the CodeCommit API and versions it
//! as the execution's `source` artifact, with the commit's author, message and time.
//! Configuration: see `baton_aws::entrypoints::functions`.

use baton_aws::entrypoints::{config::Env, functions::SourceFunction, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = SourceFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|input| function.handle(input)).await
}
