//! `--stack NAME`: the operations of a deployed stack instead of this machine's state directory.
//! The stack is found through CloudFormation with the standard AWS configuration (credentials,
//! `AWS_REGION`, `AWS_ENDPOINT_URL`); only a build with the `aws` feature carries the AWS SDK.

use std::path::Path;

use baton_core::operations::Operations;

#[cfg(feature = "aws")]
pub(crate) async fn operations(name: &str, pipeline_file: &Path) -> anyhow::Result<Box<dyn Operations>> {
    use baton_aws::stack::StackError;

    let config = baton_aws::sdk::load_config().await;
    if config.region().is_none() {
        anyhow::bail!(crate::Usage(format!(
            "--stack {name}: no AWS region; set AWS_REGION, or a region in your AWS profile"
        )));
    }
    let ops = baton_aws::stack::operations(&config, name, pipeline_file)
        .await
        .map_err(|e| match e {
            StackError::Unknown { .. } | StackError::NotBaton { .. } => anyhow::Error::new(crate::Usage(e.to_string())),
            StackError::Call { .. } | StackError::Config { .. } => anyhow::Error::new(e),
        })?;
    Ok(Box::new(ops))
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn operations(name: &str, _pipeline_file: &Path) -> anyhow::Result<Box<dyn Operations>> {
    anyhow::bail!(crate::Usage(format!(
        "--stack {name}: this baton was built without AWS support; build it with `cargo build --release --features aws` (or run `cargo run --features aws -- …`)"
    )))
}
