//! `--stack NAME` (or `--state-machine ARN`): the operations of a deployed pipeline instead of
//! this machine's state directory. The stack is found through CloudFormation (the state machine
//! through Step Functions and Lambda) with the standard AWS configuration (credentials,
//! `AWS_REGION`, `AWS_ENDPOINT_URL`); only a build with the `aws` feature carries the AWS SDK.

use std::fmt;
use std::path::Path;

use baton_core::operations::Operations;

/// A deployed pipeline, as the command line names it.
#[derive(Debug, Clone)]
pub(crate) enum Remote {
    /// `--stack NAME`
    Stack(String),
    /// `--state-machine ARN`
    StateMachine(String),
}

impl Remote {
    /// The flag that names it, to repeat in hints and errors.
    pub(crate) fn flag(&self) -> String {
        match self {
            Self::Stack(name) => format!("--stack {name}"),
            Self::StateMachine(arn) => format!("--state-machine {arn}"),
        }
    }

    #[cfg(feature = "aws")]
    fn deployed(&self) -> baton_aws::stack::Deployed<'_> {
        match self {
            Self::Stack(name) => baton_aws::stack::Deployed::Stack(name),
            Self::StateMachine(arn) => baton_aws::stack::Deployed::StateMachine(arn),
        }
    }
}

/// "stack NAME" or "state machine ARN", for prose.
impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stack(name) => write!(f, "stack {name}"),
            Self::StateMachine(arn) => write!(f, "state machine {arn}"),
        }
    }
}

/// Starts an execution of `commit` on stack `name`, as a push would; the stack's operations
/// (to follow it) and the execution's name.
#[cfg(feature = "aws")]
pub(crate) async fn start(
    remote: &Remote,
    pipeline_file: &Path,
    commit: String,
    variables: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<(Box<dyn Operations>, String)> {
    let ops = aws(remote, pipeline_file).await?;
    let id = ops.start(commit, variables).await?;
    Ok((Box::new(ops), id))
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn start(
    remote: &Remote,
    _pipeline_file: &Path,
    _commit: String,
    _variables: serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<(Box<dyn Operations>, String)> {
    Err(without_aws(remote))
}

#[cfg(feature = "aws")]
pub(crate) async fn operations(remote: &Remote, pipeline_file: &Path) -> anyhow::Result<Box<dyn Operations>> {
    Ok(Box::new(aws(remote, pipeline_file).await?))
}

#[cfg(feature = "aws")]
pub(crate) async fn aws(remote: &Remote, pipeline_file: &Path) -> anyhow::Result<baton_aws::operations::AwsOperations> {
    use baton_aws::stack::StackError;

    let config = baton_aws::sdk::load_config().await;
    if config.region().is_none() {
        anyhow::bail!(crate::Usage(format!(
            "{}: no AWS region; set AWS_REGION, or a region in your AWS profile",
            remote.flag()
        )));
    }
    let ops = baton_aws::stack::operations(&config, remote.deployed(), pipeline_file)
        .await
        .map_err(|e| match e {
            StackError::Unknown { .. }
            | StackError::NotBaton { .. }
            | StackError::UnknownStateMachine { .. }
            | StackError::NotBatonMachine { .. }
            | StackError::OtherStateMachine { .. } => anyhow::Error::new(crate::Usage(e.to_string())),
            StackError::Call { .. } | StackError::Config { .. } => anyhow::Error::new(e),
        })?;
    Ok(ops)
}

#[cfg(not(feature = "aws"))]
pub(crate) async fn operations(remote: &Remote, _pipeline_file: &Path) -> anyhow::Result<Box<dyn Operations>> {
    Err(without_aws(remote))
}

#[cfg(not(feature = "aws"))]
pub(crate) fn without_aws(remote: &Remote) -> anyhow::Error {
    anyhow::Error::new(crate::Usage(format!(
        "{}: this baton was built without AWS support; build it with `cargo build --release --features aws` (or run `cargo run --features aws -- …`)",
        remote.flag()
    )))
}
