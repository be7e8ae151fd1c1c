//! A deployed Baton stack found by its name: CloudFormation's `DescribeStacks` outputs become
//! the environment the stack gives its functions, so `baton --stack NAME` reaches the same
//! state machine, table, bucket and CodeDeploy application they use.

use aws_sdk_cloudformation::Client;
use aws_types::SdkConfig;

use crate::cloudwatch::CloudWatchMetrics;
use crate::entrypoints::config::{ConfigError, Env};
use crate::operations::AwsOperations;

/// Each output `baton synth --sam` writes that the CLI needs, and the variable it stands for.
const OUTPUTS: [(&str, &str); 4] = [
    ("StateMachineArn", "BATON_STATE_MACHINE_ARN"),
    ("StateTableName", "BATON_TABLE"),
    ("ArtifactBucketName", "BATON_BUCKET"),
    ("DeployApplicationName", "BATON_APPLICATION"),
];

/// Why a stack could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("no stack `{name}` in {region} (CloudFormation DescribeStacks); `aws cloudformation list-stacks` lists them")]
    Unknown { name: String, region: String },
    #[error("stack `{name}` has no output {output}: it was not made from `baton synth --sam`, or by an older Baton (deploy it again)")]
    NotBaton { name: String, output: String },
    #[error("CloudFormation DescribeStacks of `{name}` failed: {message}")]
    Call { name: String, message: String },
    #[error("stack `{name}`: {error}")]
    Config { name: String, error: ConfigError },
}

/// The operations on stack `name` (made from `pipeline_file`), publishing to CloudWatch.
pub async fn operations(config: &SdkConfig, name: &str, pipeline_file: &std::path::Path) -> Result<AwsOperations, StackError> {
    let env = env(config, name, pipeline_file).await?;
    let metrics = std::sync::Arc::new(CloudWatchMetrics::new(aws_sdk_cloudwatch::Client::new(config)));
    AwsOperations::from_env(config, &env, metrics).map_err(|error| StackError::Config {
        name: name.to_string(),
        error,
    })
}

/// The environment the stack `name` gives its functions, from its outputs; `pipeline_file` is
/// the pipeline.yml it was made from.
pub async fn env(config: &SdkConfig, name: &str, pipeline_file: &std::path::Path) -> Result<Env, StackError> {
    let out = Client::new(config).describe_stacks().stack_name(name).send().await.map_err(|e| {
        // CloudFormation answers an unknown stack with a ValidationError "does not exist".
        let unknown = e
            .as_service_error()
            .and_then(aws_sdk_cloudformation::error::ProvideErrorMetadata::message)
            .is_some_and(|m| m.contains("does not exist"));
        if unknown {
            StackError::Unknown {
                name: name.to_string(),
                region: config
                    .region()
                    .map_or_else(|| "the default region".to_string(), ToString::to_string),
            }
        } else {
            StackError::Call {
                name: name.to_string(),
                message: crate::sdk::port_error("CloudFormation DescribeStacks", &e).message,
            }
        }
    })?;
    let outputs = out.stacks().first().map(|s| s.outputs()).unwrap_or_default();
    let mut env: Vec<(String, String)> = vec![("BATON_PIPELINE".into(), pipeline_file.display().to_string())];
    for (output, variable) in OUTPUTS {
        let value = outputs
            .iter()
            .find(|o| o.output_key() == Some(output))
            .and_then(|o| o.output_value())
            .ok_or_else(|| StackError::NotBaton {
                name: name.to_string(),
                output: output.to_string(),
            })?;
        env.push((variable.to_string(), value.to_string()));
    }
    Ok(env.into_iter().collect())
}
