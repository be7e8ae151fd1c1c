//! A deployed Baton stack found by its name: CloudFormation's `DescribeStacks` outputs become
//! the environment the stack gives its functions, so `baton --stack NAME` reaches the same
//! state machine, table, bucket and CodeDeploy application they use. Without the stack at hand,
//! `baton --state-machine ARN` reads the same environment from the functions the state machine
//! invokes (`DescribeStateMachine`, then Lambda's `GetFunctionConfiguration`).

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
    /// A call that failed; `name` is "stack `NAME`" or "state machine ARN".
    #[error("{name}: {message}")]
    Call { name: String, message: String },
    #[error("no state machine {arn} (Step Functions DescribeStateMachine); `aws stepfunctions list-state-machines` lists them")]
    UnknownStateMachine { arn: String },
    #[error(
        "state machine {arn} invokes no Baton function (none has BATON_TABLE in its environment): it was not made from `baton synth --sam`"
    )]
    NotBatonMachine { arn: String },
    #[error("state machine {arn} invokes {function}, whose pipeline runs on state machine {serves}: name that one")]
    OtherStateMachine { arn: String, function: String, serves: String },
    /// `name` as in `Call`.
    #[error("{name}: {error}")]
    Config { name: String, error: ConfigError },
}

/// Where a deployed pipeline is found.
#[derive(Debug, Clone, Copy)]
pub enum Deployed<'a> {
    /// A stack `sam deploy` made, by name: its outputs.
    Stack(&'a str),
    /// Its state machine, by ARN: the environment of the functions it invokes.
    StateMachine(&'a str),
}

/// The operations on the deployed pipeline (made from `pipeline_file`), publishing to CloudWatch.
pub async fn operations(config: &SdkConfig, deployed: Deployed<'_>, pipeline_file: &std::path::Path) -> Result<AwsOperations, StackError> {
    let (env, name) = match deployed {
        Deployed::Stack(name) => (env(config, name, pipeline_file).await?, format!("stack `{name}`")),
        Deployed::StateMachine(arn) => (
            env_of_state_machine(config, arn, pipeline_file).await?,
            format!("state machine {arn}"),
        ),
    };
    let metrics = std::sync::Arc::new(CloudWatchMetrics::new(aws_sdk_cloudwatch::Client::new(config)));
    AwsOperations::from_env(config, &env, metrics).map_err(|error| StackError::Config { name, error })
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
                name: format!("stack `{name}`"),
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
    // The template names each alarm `${AWS::StackName}-NAME` (its functions' BATON_ALARM_PREFIX).
    env.push(("BATON_ALARM_PREFIX".into(), format!("{name}-")));
    Ok(env.into_iter().collect())
}

/// The environment the functions of state machine `arn` have, as a stack's outputs give it;
/// `pipeline_file` is the pipeline.yml it was made from. Every function of a Baton stack has
/// the stack's table, bucket, application and state machine in its environment (the template's
/// `Globals`), so the first Lambda function the definition names that has them is enough.
pub async fn env_of_state_machine(config: &SdkConfig, arn: &str, pipeline_file: &std::path::Path) -> Result<Env, StackError> {
    let call = |message: String| StackError::Call {
        name: format!("state machine {arn}"),
        message,
    };
    let described = aws_sdk_sfn::Client::new(config)
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
        .map_err(|e| {
            if e.as_service_error()
                .is_some_and(|s| s.is_state_machine_does_not_exist() || s.is_invalid_arn())
            {
                StackError::UnknownStateMachine { arn: arn.to_string() }
            } else {
                call(crate::sdk::port_error("Step Functions DescribeStateMachine", &e).message)
            }
        })?;
    let lambda = aws_sdk_lambda::Client::new(config);
    for function in lambda_functions(described.definition()) {
        let out = lambda
            .get_function_configuration()
            .function_name(&function)
            .send()
            .await
            .map_err(|e| call(crate::sdk::port_error("Lambda GetFunctionConfiguration", &e).message))?;
        let Some(variables) = out
            .environment()
            .and_then(|e| e.variables())
            .filter(|v| v.contains_key("BATON_TABLE"))
        else {
            continue;
        };
        let serves = variables.get("BATON_STATE_MACHINE_ARN").cloned().unwrap_or_default();
        if serves != arn {
            return Err(StackError::OtherStateMachine {
                arn: arn.to_string(),
                function,
                serves,
            });
        }
        let mut env: Vec<(String, String)> = vec![("BATON_PIPELINE".into(), pipeline_file.display().to_string())];
        for (_, variable) in OUTPUTS {
            let value = variables
                .get(variable)
                .ok_or_else(|| StackError::NotBatonMachine { arn: arn.to_string() })?;
            env.push((variable.to_string(), value.clone()));
        }
        if let Some(prefix) = variables.get("BATON_ALARM_PREFIX") {
            env.push(("BATON_ALARM_PREFIX".into(), prefix.clone()));
        }
        return Ok(env.into_iter().collect());
    }
    Err(StackError::NotBatonMachine { arn: arn.to_string() })
}

/// The Lambda functions a definition names, in order, once each: a Baton state machine's Tasks
/// have their function's ARN as `Resource`; `lambda:invoke` Tasks name it as `FunctionName`.
fn lambda_functions(definition: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = definition;
    while let Some(at) = rest.find("arn:") {
        let tail = &rest[at..];
        let end = tail.find(['"', '\\']).unwrap_or(tail.len());
        let candidate = &tail[..end];
        if candidate.split(':').nth(2) == Some("lambda")
            && candidate.split(':').nth(5) == Some("function")
            && !found.iter().any(|f| f == candidate)
        {
            found.push(candidate.to_string());
        }
        rest = &tail[end..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::lambda_functions;

    #[test]
    fn a_definitions_functions_are_its_lambda_arns_once_each_and_nothing_else() {
        let definition = r#"{"States":{
            "Source":{"Type":"Task","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:hello-SourceFunction-AbC","Next":"Gate"},
            "Gate":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters":{"FunctionName":"arn:aws:lambda:eu-west-1:123456789012:function:hello-GateFunction-XyZ","Payload.$":"$"},"Next":"Again"},
            "Again":{"Type":"Task","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:hello-SourceFunction-AbC","End":true},
            "Other":{"Type":"Task","Resource":"arn:aws:states:::sns:publish","Parameters":{"TopicArn":"arn:aws:sns:eu-west-1:123456789012:t"},"End":true}}}"#;
        assert_eq!(
            lambda_functions(definition),
            [
                "arn:aws:lambda:eu-west-1:123456789012:function:hello-SourceFunction-AbC",
                "arn:aws:lambda:eu-west-1:123456789012:function:hello-GateFunction-XyZ",
            ]
        );
    }
}
