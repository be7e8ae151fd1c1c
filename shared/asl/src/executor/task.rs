//! Task states: parameters, the call, `.waitForTaskToken` and `.sync`, timeouts and heartbeats, retries.

use std::time::Duration;

use serde_json::Value;

use super::task_events::TaskEvents;
use super::{Interpreter, Recovery, Run, TaskCall, caught};
use crate::context::Context;
use crate::definition::TaskState;
use crate::error::StatesError;
use crate::history::Recorder;
use crate::io::{
    Lang, PAYLOAD_LIMIT, Step, call_template, check_size, filter_path, input_path, json_len, result_over_quota, seconds_field, states_doc,
    template,
};
use crate::tokens::Registration;

/// A Task's `field` (`TimeoutSeconds`, `HeartbeatSeconds`): a number or JSONata expression, or
/// its `…Path` into the input, each named in a cause as it is written.
fn seconds(fixed: Option<&Value>, path: Option<&String>, input: &Value, ctx: &Context, field: &str) -> Result<Option<u64>, StatesError> {
    match (fixed, path) {
        (Some(s), _) => Ok(Some(seconds_field(s, field, &states_doc(input, None, None, ctx))?)),
        (None, Some(p)) => {
            let v = filter_path(p, input, ctx)?;
            v.as_u64()
                .filter(|s| *s > 0)
                .map(Some)
                .ok_or_else(|| StatesError::runtime(format!("{field}Path '{p}' must select a positive integer, got {v}")))
        }
        (None, None) => Ok(None),
    }
}

/// The role a task's `Credentials` name, evaluated on each attempt as its Parameters are (over
/// the input after InputPath) or its Arguments are (`$states.input`). AWS records it in the
/// `taskCredentials` of `TaskScheduled` and `LambdaFunctionScheduled`, fixed or from a path, an
/// intrinsic or an expression alike (localstack/localstack, tests/aws/services/stepfunctions/
/// v2/credentials/test_credentials_base.snapshot.json, 2024-12-04). How AWS takes a RoleArn
/// that is not a string is not recorded: it is written as its JSON text.
fn role_arn(s: &TaskState, lang: Lang, args: (&Value, &Value), ctx: &Context) -> Result<Option<String>, StatesError> {
    let Some(credentials) = &s.credentials else { return Ok(None) };
    let evaluated = template(lang, &Value::Object(credentials.clone()), "Credentials", args, ctx)?;
    Ok(Some(match &evaluated["RoleArn"] {
        Value::String(arn) => arn.clone(),
        other => other.to_string(),
    }))
}

impl Interpreter {
    pub(super) async fn task(
        &self,
        name: &str,
        s: &TaskState,
        lang: Lang,
        input: Value,
        run: &Run,
        ctx: &Context,
    ) -> Result<Step, StatesError> {
        let mut retries = vec![0u64; s.retry.len()];
        let mut retry_count = 0;
        let holds_token = crate::integration_patterns::issues_task_token(&s.resource);
        let callback = crate::resource::waits_for_callback(&s.resource);
        loop {
            // The token exists before Parameters are evaluated so `$$.Task.Token` resolves.
            let registration = holds_token.then(|| self.tokens.register());
            let mut ctx = ctx.clone().with_retry_count(retry_count);
            if let Some(reg) = &registration {
                ctx = ctx.with_task_token(&reg.token);
            }
            let attempt = async {
                // JSONata states have no InputPath: their effective input is the input.
                let effective = input_path(&s.io, &input, &ctx)?;
                let args = (&input, effective.as_ref());
                let params = match call_template(lang, s.parameters.as_ref(), s.arguments.as_ref()) {
                    Some((written, field)) => {
                        let params = template(lang, written, field, args, &ctx)?;
                        match lang {
                            Lang::JsonPath => startable(&s.resource, params)?,
                            Lang::Jsonata => params,
                        }
                    }
                    None => effective.clone().into_owned(),
                };
                check_size("task input", json_len(&params))?;
                let timeout = seconds(
                    s.timeout_seconds.as_ref(),
                    s.timeout_seconds_path.as_ref(),
                    &input,
                    &ctx,
                    "TimeoutSeconds",
                )?;
                let heartbeat = seconds(
                    s.heartbeat_seconds.as_ref(),
                    s.heartbeat_seconds_path.as_ref(),
                    &input,
                    &ctx,
                    "HeartbeatSeconds",
                )?;
                let call = TaskCall {
                    resource: s.resource.clone(),
                    state_name: name.to_string(),
                    input: params,
                    task_token: registration.as_ref().filter(|_| callback).map(|r| r.token.clone()),
                    context: ctx.clone(),
                    retry_count,
                    role_arn: role_arn(s, lang, args, &ctx)?,
                };
                let result = self.invoke(call, timeout, heartbeat, registration, &run.recorder).await?;
                // Output processing is part of the attempt: its errors (ReferencePathConflict,
                // a bad ResultSelector path) are retried and caught like the task's own.
                s.outputs(lang).apply(input.clone(), result, &ctx)
            };
            let busy = run.flight.busy();
            let landed = attempt.await;
            drop(busy);
            match landed {
                Ok((step, assigned)) => {
                    run.stage(assigned);
                    return Ok(step);
                }
                Err(error) => {
                    let error = run.evaluation_failed(error, name);
                    match self.recover(&error, &s.retry, &mut retries, &s.catch).await {
                        Recovery::Retry => retry_count += 1,
                        Recovery::Catch(i, c) => return caught((i, c), lang, input, error, &ctx, run),
                        Recovery::Fail => return Err(error),
                    }
                }
            }
        }
    }

    async fn invoke(
        &self,
        call: TaskCall,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
        registration: Option<Registration>,
        rec: &Recorder,
    ) -> Result<Value, StatesError> {
        let events = TaskEvents::new(&call.resource, rec);
        let resource_named = call.resource.clone();
        events.scheduled(&call, timeout, heartbeat);
        let callback = call.task_token.is_some();
        let work = async {
            let mut reg = match registration {
                Some(reg) if callback => reg,
                job_token => return self.run_job(call, job_token, &events).await,
            };
            let returned = self.invoker.invoke(call).await?;
            events.submitted(&returned);
            loop {
                let beat = async {
                    match heartbeat {
                        Some(h) => tokio::time::sleep(Duration::from_secs(h)).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    result = &mut reg.receiver => return result.unwrap_or_else(|_| Err(token_dropped())),
                    () = reg.heartbeat.notified() => continue,
                    () = beat => {
                        return Err(StatesError::timeout(true));
                    }
                }
            }
        };
        let result = match timeout {
            Some(secs) => tokio::time::timeout(Duration::from_secs(secs), work)
                .await
                .unwrap_or_else(|_| Err(StatesError::timeout(false))),
            None => work.await,
        };
        let result = result.and_then(|output| match json_len(&output) > PAYLOAD_LIMIT {
            true => Err(result_too_large(&resource_named)),
            false => Ok(output),
        });
        events.ended(&result);
        result
    }

    /// A call that is not a callback: its invoker answers with its end, a job's end for a `.sync`
    /// task. A job holding a token ends at the first of its end and an answer to its token, as a
    /// child execution answering its parent's `startExecution.sync` task ends it on AWS, after
    /// the task's `TaskSubmitted` (`integration_patterns::issues_task_token`).
    async fn run_job(&self, call: TaskCall, token: Option<Registration>, events: &TaskEvents<'_>) -> Result<Value, StatesError> {
        let Some(mut reg) = token else {
            let returned = self.invoker.invoke(call).await;
            events.job_submitted(&returned);
            return returned;
        };
        tokio::select! {
            returned = self.invoker.invoke(call) => {
                events.job_submitted(&returned);
                returned
            }
            answered = &mut reg.receiver => {
                events.job_started();
                answered.unwrap_or_else(|_| Err(token_dropped()))
            }
        }
    }
}

/// What a task gets when its token goes away unanswered.
fn token_dropped() -> StatesError {
    StatesError::runtime("the task token was dropped before it was answered")
}

/// An integration reads its resolved Parameters as a template again, so a `.$` field left in
/// them (`"taskToken.$.$": "$$.Task.Token"` resolves to `"taskToken.$": "<token>"`) must hold a
/// path or an intrinsic, or the task does not start: AWS fails the execution with
/// `States.Runtime`, "The Parameters '{…}' could not be used to start the Task: [The value for
/// the field 'taskToken.$' must be a valid JSONPath or a valid intrinsic function call]"
/// (recorded with a `lambda:invoke.waitForTaskToken` task in a public companion repository of a
/// blog post on task tokens). A Lambda function or an activity called by its ARN takes any JSON.
fn startable(resource: &str, params: Value) -> Result<Value, StatesError> {
    if crate::resource::integration(resource).is_none() {
        return Ok(params);
    }
    let mut found = Vec::new();
    crate::validate::each_template_field(&params, "", &mut |key, value, _| {
        if key.ends_with(".$") && crate::validate::dollar_field_problem(value).is_some() {
            found.push(crate::validate::dollar_field_refused(key));
        }
    });
    found.extend(crate::integration_fields::problems(resource, &params));
    match found.is_empty() {
        true => Ok(params),
        false => Err(StatesError::runtime(format!(
            "The Parameters '{params}' could not be used to start the Task: [{}]",
            found.join(", ")
        ))),
    }
}

/// A task result over the payload quota fails the task (`TaskFailed`), in Step Functions'
/// words, naming the service of an integration (`lambda` for `arn:aws:states:::lambda:invoke`,
/// `aws-sdk:s3` for an SDK call to S3) or the whole resource otherwise; a `Catch` takes it,
/// `States.ALL` too (recorded in localstack/localstack, tests/aws/services/stepfunctions/v2/
/// error_handling/test_states_errors.snapshot.json, 2024-03-21; the SDK causes "The state/task
/// 'aws-sdk:cloudformation' …" quoted in jogold/cloudstructs#163 and "… 'aws-sdk:s3' …" in
/// aws-samples/improve_public_speaking_skills_using_a_genai_based_virtual_assistant_with_amazon_bedrock#2).
fn result_too_large(resource: &str) -> StatesError {
    let named = crate::resource::resource_type(resource).map_or(resource, |(named, _)| named);
    result_over_quota(named).reported_by_task()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{TaskCall, result_too_large};
    use crate::Context;

    /// The Lambda integration names its function and event in its parameters in every partition
    /// (the developer guide, "Invoke an AWS Lambda function with Step Functions"); a function's
    /// ARN as Resource is called with the state's input.
    #[test]
    fn a_lambda_invoke_names_its_function_and_payload() {
        let call = |resource: &str| TaskCall {
            resource: resource.into(),
            state_name: "T".into(),
            input: json!({"FunctionName": "baton-build", "Payload": {"a": 1}}),
            task_token: None,
            context: Context::fixed(json!({})),
            retry_count: 0,
            role_arn: None,
        };
        let payload = json!({"a": 1});
        for resource in [
            "arn:aws:states:::lambda:invoke",
            "arn:aws-cn:states:::lambda:invoke.waitForTaskToken",
        ] {
            assert_eq!(call(resource).lambda_invoke(), Some(("baton-build", &payload)), "{resource}");
        }
        assert_eq!(
            call("arn:aws:lambda:us-east-1:123456789012:function:baton-build").lambda_invoke(),
            None
        );
    }

    /// Whom AWS names for a result over the quota: a Lambda function called by its ARN, an
    /// integration's service, an SDK call's service (the causes quoted on `result_too_large`).
    #[test]
    fn a_result_over_the_quota_names_what_returned_it() {
        let named = |resource: &str| result_too_large(resource).cause;
        let words = |who: &str| {
            format!("The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit.")
        };
        let function = "arn:aws:lambda:us-east-1:123456789012:function:aft-customizations-identify-targets";
        assert_eq!(named(function), words(function));
        assert_eq!(named("arn:aws:states:::lambda:invoke"), words("lambda"));
        assert_eq!(
            named("arn:aws:states:::aws-sdk:cloudformation:getTemplate"),
            words("aws-sdk:cloudformation")
        );
        assert_eq!(named("arn:aws-us-gov:states:::aws-sdk:s3:getObject"), words("aws-sdk:s3"));
    }
}
