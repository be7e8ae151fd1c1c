//! `--stack NAME`: the operations of a deployed stack instead of this machine's state directory.
//! The stack is found through CloudFormation with the standard AWS configuration (credentials,
//! `AWS_REGION`, `AWS_ENDPOINT_URL`); only a build with the `aws` feature carries the AWS SDK.

use std::path::Path;

use baton_core::operations::Operations;

/// Starts an execution of `commit` on stack `name`, as a push would; the stack's operations
/// (to follow it) and the execution's name.
#[cfg(feature = "aws")]
pub(crate) async fn start(
    name: &str,
    pipeline_file: &Path,
    commit: String,
    variables: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<(Box<dyn Operations>, String)> {
    let ops = aws(name, pipeline_file).await?;
    let id = ops.start(commit, variables).await?;
    Ok((Box::new(ops), id))
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn start(
    name: &str,
    _pipeline_file: &Path,
    _commit: String,
    _variables: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<(Box<dyn Operations>, String)> {
    Err(without_aws(name))
}

#[cfg(feature = "aws")]
pub(crate) async fn operations(name: &str, pipeline_file: &Path) -> anyhow::Result<Box<dyn Operations>> {
    Ok(Box::new(aws(name, pipeline_file).await?))
}

#[cfg(feature = "aws")]
async fn aws(name: &str, pipeline_file: &Path) -> anyhow::Result<baton_aws::operations::AwsOperations> {
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
    Ok(ops)
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn operations(name: &str, _pipeline_file: &Path) -> anyhow::Result<Box<dyn Operations>> {
    Err(without_aws(name))
}

#[cfg(not(feature = "aws"))]
fn without_aws(name: &str) -> anyhow::Error {
    anyhow::Error::new(crate::Usage(format!(
        "--stack {name}: this baton was built without AWS support; build it with `cargo build --release --features aws` (or run `cargo run --features aws -- …`)"
    )))
}
