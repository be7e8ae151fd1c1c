//! Manual approvals: parks the task token until someone answers, or the state's timeout.
//! Configuration: see `baton_aws::entrypoints::functions`.

use baton_aws::entrypoints::{config::Env, functions::ApprovalFunction, lambda};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = ApprovalFunction::from_env(&config, &Env::process())?;
    function.warm().await;
    lambda::serve(|input| function.handle(input)).await
}
