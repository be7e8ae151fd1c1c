//! The Source stage: reads the pushed commit's tree through the CodeCommit API and versions it
//! as the execution's `source` artifact, with the commit's author, message and time.
//! Configuration: see `baton_aws::functions`.

use baton_aws::functions::SourceFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    baton_aws::lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = SourceFunction::from_env(&config, &baton_aws::config::Env::process())?;
    function.warm().await;
    baton_aws::lambda::serve(|input| function.handle(input)).await
}
