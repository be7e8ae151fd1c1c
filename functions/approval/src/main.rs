//! Manual approvals: parks the task token until someone answers, or the state's timeout.
//! Configuration: see `baton_aws::functions`.

use baton_aws::functions::ApprovalFunction;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    baton_aws::lambda::init_logging();
    let config = baton_aws::sdk::load_config().await;
    let function = ApprovalFunction::from_env(&config, &baton_aws::config::Env::process())?;
    function.warm().await;
    baton_aws::lambda::serve(|input| function.handle(input)).await
}
