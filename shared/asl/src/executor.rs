//! The interpreter: walks states, applies input/output processing, retries and catches errors,
//! and records history. Task work is delegated to a [`TaskInvoker`] supplied by the embedder.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::{debug, info};

use crate::choice;
use crate::definition::{
    Catcher, ChoiceState, FailState, Io, JitterStrategy, MapState, ParallelState, PassState, Retrier, State, StateMachine, TaskState,
    WaitState,
};
use crate::error::{StatesError, names};
use crate::history::{HistorySink, Recorder, now, timestamp};
use crate::path::{Path, resolve};
use crate::payload;
use crate::tokens::{Registration, TaskTokens};

/// One call from a Task state to the outside world.
#[derive(Debug, Clone)]
pub struct TaskCall {
    /// The state's `Resource`, e.g. `arn:aws:states:::lambda:invoke.waitForTaskToken`.
    pub resource: String,
    pub state_name: String,
    /// The effective parameters (after InputPath and Parameters).
    pub input: Value,
    /// Set for `.waitForTaskToken` resources: the token the task's worker must answer.
    pub task_token: Option<String>,
    /// The context object (`$$`) as the state saw it.
    pub context: Value,
}

/// Runs Task states. For `.waitForTaskToken` resources the returned value is ignored and the
/// state waits for its token to be answered through [`TaskTokens`].
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError>;
}

#[derive(Debug, Clone)]
pub struct ExecutionSpec {
    pub state_machine_arn: String,
    pub execution_name: String,
    pub input: Value,
}

impl ExecutionSpec {
    pub fn execution_arn(&self) -> String {
        let machine = self.state_machine_arn.replace(":stateMachine:", ":execution:");
        format!("{machine}:{}", self.execution_name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

#[derive(Debug, Clone)]
pub struct ExecutionOutcome {
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<StatesError>,
}

/// The embedded Step Functions: cheap to clone, one per process.
#[derive(Clone)]
pub struct Interpreter {
    invoker: Arc<dyn TaskInvoker>,
    tokens: TaskTokens,
    sink: Arc<dyn HistorySink>,
}

impl std::fmt::Debug for Interpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interpreter")
            .field("waiting_tokens", &self.tokens.waiting())
            .finish()
    }
}

/// Per-execution facts that the context object exposes.
struct Run {
    recorder: Recorder,
    execution: Value,
    state_machine: Value,
}

enum Step {
    Next(String, Value),
    /// A `Catch` took over: the state does not exit normally, so no `…StateExited` event.
    Caught(String, Value),
    End(Value),
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Interpreter {
    pub fn new(invoker: Arc<dyn TaskInvoker>, sink: Arc<dyn HistorySink>) -> Self {
        Self::with_tokens(invoker, sink, TaskTokens::default())
    }

    /// For embedders whose task workers need the token handle before the interpreter exists.
    pub fn with_tokens(invoker: Arc<dyn TaskInvoker>, sink: Arc<dyn HistorySink>, tokens: TaskTokens) -> Self {
        Self { invoker, tokens, sink }
    }

    /// The handle that answers waiting tasks (`SendTaskSuccess` / `SendTaskFailure`).
    pub fn tokens(&self) -> TaskTokens {
        self.tokens.clone()
    }

    /// Runs one execution to its end.
    pub async fn execute(&self, machine: &StateMachine, spec: &ExecutionSpec) -> ExecutionOutcome {
        let arn = spec.execution_arn();
        let recorder = Recorder::new(self.sink.clone(), &arn);
        let started = now();
        recorder.emit(
            "ExecutionStarted",
            Some("executionStartedEventDetails"),
            json!({"input": spec.input.to_string(), "inputDetails": {"truncated": false}, "roleArn": "arn:aws:iam::000000000000:role/baton-local", "stateMachineArn": spec.state_machine_arn}),
        );
        let machine_name = spec.state_machine_arn.rsplit(':').next().unwrap_or_default();
        let run = Run {
            recorder: recorder.clone(),
            execution: json!({
                "Id": arn,
                "Input": spec.input,
                "Name": spec.execution_name,
                "RoleArn": "arn:aws:iam::000000000000:role/baton-local",
                "StartTime": timestamp(started),
                "RedriveCount": 0,
            }),
            state_machine: json!({"Id": spec.state_machine_arn, "Name": machine_name}),
        };
        info!(execution = %arn, "execution started");
        let body = self.run_machine(machine, spec.input.clone(), &run, None);
        let result = match machine.timeout_seconds {
            Some(secs) => match tokio::time::timeout(Duration::from_secs(secs), body).await {
                Ok(r) => r,
                Err(_) => {
                    let error = StatesError::new(names::TIMEOUT, format!("the execution ran longer than TimeoutSeconds ({secs} s)"));
                    recorder.emit(
                        "ExecutionTimedOut",
                        Some("executionTimedOutEventDetails"),
                        json!({"error": error.error, "cause": error.cause}),
                    );
                    return ExecutionOutcome {
                        status: ExecutionStatus::TimedOut,
                        output: None,
                        error: Some(error),
                    };
                }
            },
            None => body.await,
        };
        match result {
            Ok(output) => {
                recorder.emit(
                    "ExecutionSucceeded",
                    Some("executionSucceededEventDetails"),
                    json!({"output": output.to_string(), "outputDetails": {"truncated": false}}),
                );
                info!(execution = %arn, "execution succeeded");
                ExecutionOutcome {
                    status: ExecutionStatus::Succeeded,
                    output: Some(output),
                    error: None,
                }
            }
            Err(error) => {
                recorder.emit(
                    "ExecutionFailed",
                    Some("executionFailedEventDetails"),
                    json!({"error": error.error, "cause": error.cause}),
                );
                info!(execution = %arn, error = %error.error, "execution failed");
                ExecutionOutcome {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error: Some(error),
                }
            }
        }
    }

    fn run_machine<'a>(
        &'a self,
        machine: &'a StateMachine,
        input: Value,
        run: &'a Run,
        map_item: Option<Value>,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        Box::pin(async move {
            let mut name = machine.start_at.clone();
            let mut input = input;
            loop {
                let state = machine
                    .states
                    .get(&name)
                    .ok_or_else(|| StatesError::runtime(format!("no state named '{name}'")))?;
                match self.run_state(&name, state, input, run, map_item.as_ref()).await? {
                    Step::Next(next, output) | Step::Caught(next, output) => {
                        name = next;
                        input = output;
                    }
                    Step::End(output) => return Ok(output),
                }
            }
        })
    }

    fn context(&self, run: &Run, name: &str, entered: DateTime<Utc>, retry_count: u64, map_item: Option<&Value>) -> Value {
        let mut ctx = json!({
            "Execution": run.execution,
            "StateMachine": run.state_machine,
            "State": {"Name": name, "EnteredTime": timestamp(entered), "RetryCount": retry_count},
        });
        if let Some(item) = map_item {
            ctx["Map"] = item.clone();
        }
        ctx
    }

    async fn run_state(&self, name: &str, state: &State, input: Value, run: &Run, map_item: Option<&Value>) -> Result<Step, StatesError> {
        let kind = state.type_name();
        run.recorder.state_entered(kind, name, &input);
        debug!(state = name, kind, "state entered");
        let entered = now();
        let ctx = self.context(run, name, entered, 0, map_item);
        let step = match state {
            State::Pass(s) => self.pass(s, input, &ctx),
            State::Succeed(s) => apply_io(&s.io, &input, &ctx, |v| Ok(v.clone())).map(Step::End),
            State::Fail(s) => Err(fail(s, &input, &ctx)?),
            State::Choice(s) => self.choose(s, input, &ctx),
            State::Wait(s) => self.wait(s, input, &ctx, run).await,
            State::Task(s) => self.task(name, s, input, run, entered, map_item).await,
            State::Parallel(s) => self.parallel(name, s, input, run, &ctx).await,
            State::Map(s) => self.map(name, s, input, run, &ctx).await,
        };
        if let Ok(Step::Next(_, output) | Step::End(output)) = &step {
            run.recorder.state_exited(kind, name, output);
        }
        step
    }

    fn pass(&self, s: &PassState, input: Value, ctx: &Value) -> Result<Step, StatesError> {
        let effective = input_path(&s.io, &input, ctx)?;
        let result = match (&s.result, &s.parameters) {
            (Some(result), _) => result.clone(),
            (None, Some(params)) => payload::apply(params, &effective, ctx)?,
            (None, None) => effective,
        };
        let merged = result_path(s.result_path.as_ref(), input, result)?;
        transition(&s.transition, output_path(&s.io, merged, ctx)?)
    }

    fn choose(&self, s: &ChoiceState, input: Value, ctx: &Value) -> Result<Step, StatesError> {
        let effective = input_path(&s.io, &input, ctx)?;
        for rule in &s.choices {
            if choice::matches(rule, &effective, ctx)? {
                let next = rule
                    .next
                    .clone()
                    .ok_or_else(|| StatesError::runtime("a top-level Choice rule needs Next"))?;
                return Ok(Step::Next(next, output_path(&s.io, effective, ctx)?));
            }
        }
        match &s.default {
            Some(next) => Ok(Step::Next(next.clone(), output_path(&s.io, effective, ctx)?)),
            None => Err(StatesError::new(
                "States.NoChoiceMatched",
                "no Choice rule matched and there is no Default",
            )),
        }
    }

    async fn wait(&self, s: &WaitState, input: Value, ctx: &Value, _run: &Run) -> Result<Step, StatesError> {
        let effective = input_path(&s.io, &input, ctx)?;
        let until_timestamp = |text: &str| -> Result<Duration, StatesError> {
            let at =
                DateTime::parse_from_rfc3339(text).map_err(|e| StatesError::runtime(format!("invalid Wait timestamp '{text}': {e}")))?;
            Ok((at.with_timezone(&Utc) - now()).to_std().unwrap_or_default())
        };
        let delay = if let Some(secs) = s.seconds {
            Duration::from_secs(secs)
        } else if let Some(p) = &s.seconds_path {
            let v = resolve(p, &effective, ctx)?;
            Duration::from_secs(
                v.as_u64()
                    .ok_or_else(|| StatesError::runtime(format!("SecondsPath '{p}' must select a non-negative integer")))?,
            )
        } else if let Some(t) = &s.timestamp {
            until_timestamp(t)?
        } else if let Some(p) = &s.timestamp_path {
            let v = resolve(p, &effective, ctx)?;
            until_timestamp(
                v.as_str()
                    .ok_or_else(|| StatesError::runtime(format!("TimestampPath '{p}' must select a string")))?,
            )?
        } else {
            return Err(StatesError::runtime(
                "a Wait state needs Seconds, SecondsPath, Timestamp or TimestampPath",
            ));
        };
        tokio::time::sleep(delay).await;
        transition(&s.transition, output_path(&s.io, effective, ctx)?)
    }

    async fn task(
        &self,
        name: &str,
        s: &TaskState,
        input: Value,
        run: &Run,
        entered: DateTime<Utc>,
        map_item: Option<&Value>,
    ) -> Result<Step, StatesError> {
        let mut retries = vec![0u64; s.retry.len()];
        let mut retry_count = 0;
        loop {
            let mut ctx = self.context(run, name, entered, retry_count, map_item);
            // The token exists before Parameters are evaluated so `$$.Task.Token` resolves.
            let registration = s.resource.ends_with(".waitForTaskToken").then(|| self.tokens.register());
            if let Some(reg) = &registration {
                ctx["Task"] = json!({"Token": reg.token});
            }
            let attempt = async {
                let effective = input_path(&s.io, &input, &ctx)?;
                let params = match &s.parameters {
                    Some(p) => payload::apply(p, &effective, &ctx)?,
                    None => effective,
                };
                let timeout = match (&s.timeout_seconds, &s.timeout_seconds_path) {
                    (Some(t), _) => Some(*t),
                    (None, Some(p)) => resolve(p, &input, &ctx)?.as_u64(),
                    (None, None) => None,
                };
                self.invoke(name, s, params, &ctx, timeout, registration, &run.recorder).await
            };
            match attempt.await {
                Ok(result) => {
                    let out = Outputs {
                        selector: s.result_selector.as_ref(),
                        result_path: s.result_path.as_ref(),
                        io: &s.io,
                        transition: &s.transition,
                    };
                    return out.apply(input, result, &ctx);
                }
                Err(error) => match self.handle_error(&error, &s.retry, &mut retries, &s.catch).await {
                    Recovery::Retry => retry_count += 1,
                    Recovery::Catch(c) => return caught(c, input, error),
                    Recovery::Fail => return Err(error),
                },
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn invoke(
        &self,
        name: &str,
        s: &TaskState,
        params: Value,
        ctx: &Value,
        timeout: Option<u64>,
        registration: Option<Registration>,
        rec: &Recorder,
    ) -> Result<Value, StatesError> {
        let lambda_direct = s.resource.starts_with("arn:aws:lambda:");
        let (resource_type, resource) = resource_parts(&s.resource);
        let tag = if lambda_direct { "LambdaFunction" } else { "Task" };
        let (key, details) = if lambda_direct {
            (
                "lambdaFunctionScheduledEventDetails",
                json!({"resource": s.resource, "input": params.to_string(), "timeoutInSeconds": timeout}),
            )
        } else {
            (
                "taskScheduledEventDetails",
                json!({"resourceType": resource_type, "resource": resource, "region": "local", "parameters": params.to_string(), "timeoutInSeconds": timeout}),
            )
        };
        rec.emit(&format!("{tag}Scheduled"), Some(key), details);
        if lambda_direct {
            rec.emit("LambdaFunctionStarted", None, Value::Null);
        } else {
            rec.emit(
                "TaskStarted",
                Some("taskStartedEventDetails"),
                json!({"resourceType": resource_type, "resource": resource}),
            );
        }
        let work = async {
            let call = TaskCall {
                resource: s.resource.clone(),
                state_name: name.to_string(),
                input: params,
                task_token: registration.as_ref().map(|r| r.token.clone()),
                context: ctx.clone(),
            };
            let returned = self.invoker.invoke(call).await?;
            match registration {
                Some(mut reg) => {
                    rec.emit(
                        "TaskSubmitted",
                        Some("taskSubmittedEventDetails"),
                        json!({"resourceType": resource_type, "resource": resource, "output": returned.to_string()}),
                    );
                    (&mut reg.receiver)
                        .await
                        .unwrap_or_else(|_| Err(StatesError::runtime("the task token was dropped before it was answered")))
                }
                None => Ok(returned),
            }
        };
        let result = match timeout {
            Some(secs) => tokio::time::timeout(Duration::from_secs(secs), work).await.unwrap_or_else(|_| {
                Err(StatesError::new(
                    names::TIMEOUT,
                    format!("the task did not finish within TimeoutSeconds ({secs} s)"),
                ))
            }),
            None => work.await,
        };
        let lambda = |t: &str| (format!("LambdaFunction{t}"), format!("lambdaFunction{t}EventDetails"));
        let task = |t: &str| (format!("Task{t}"), format!("task{t}EventDetails"));
        let names_for = |t: &str| if lambda_direct { lambda(t) } else { task(t) };
        let (kind, key, details) = match &result {
            Ok(output) => {
                let (k, d) = names_for("Succeeded");
                (
                    k,
                    d,
                    json!({"resourceType": resource_type, "resource": resource, "output": output.to_string()}),
                )
            }
            Err(e) => {
                let (k, d) = names_for(if e.error == names::TIMEOUT { "TimedOut" } else { "Failed" });
                (
                    k,
                    d,
                    json!({"resourceType": resource_type, "resource": resource, "error": e.error, "cause": e.cause}),
                )
            }
        };
        rec.emit(&kind, Some(&key), details);
        result
    }

    async fn parallel(&self, name: &str, s: &ParallelState, input: Value, run: &Run, ctx: &Value) -> Result<Step, StatesError> {
        let mut retries = vec![0u64; s.retry.len()];
        loop {
            let attempt = async {
                let effective = input_path(&s.io, &input, ctx)?;
                let branch_input = match &s.parameters {
                    Some(p) => payload::apply(p, &effective, ctx)?,
                    None => effective,
                };
                run.recorder.emit("ParallelStateStarted", None, Value::Null);
                let branches = s.branches.iter().map(|branch| {
                    let branch_run = Run {
                        recorder: run.recorder.fork(),
                        execution: run.execution.clone(),
                        state_machine: run.state_machine.clone(),
                    };
                    let input = branch_input.clone();
                    async move { self.run_machine(branch, input, &branch_run, None).await }
                });
                // try_join_all drops (and so cancels) the other branches as soon as one fails,
                // as Step Functions stops a Parallel state's branches on the first failure.
                futures_util::future::try_join_all(branches).await.map(Value::Array)
            };
            match attempt.await {
                Ok(results) => {
                    run.recorder.emit("ParallelStateSucceeded", None, Value::Null);
                    let out = Outputs {
                        selector: s.result_selector.as_ref(),
                        result_path: s.result_path.as_ref(),
                        io: &s.io,
                        transition: &s.transition,
                    };
                    return out.apply(input, results, ctx);
                }
                Err(error) => {
                    run.recorder.emit(
                        "ParallelStateFailed",
                        Some("parallelStateFailedEventDetails"),
                        json!({"error": error.error, "cause": error.cause}),
                    );
                    debug!(state = name, error = %error.error, "parallel state failed");
                    match self.handle_error(&error, &s.retry, &mut retries, &s.catch).await {
                        Recovery::Retry => {}
                        Recovery::Catch(c) => return caught(c, input, error),
                        Recovery::Fail => return Err(error),
                    }
                }
            }
        }
    }

    async fn map(&self, name: &str, s: &MapState, input: Value, run: &Run, ctx: &Value) -> Result<Step, StatesError> {
        let processor = s
            .item_processor
            .as_ref()
            .ok_or_else(|| StatesError::runtime(format!("Map state '{name}' has no ItemProcessor")))?;
        if processor
            .processor_config
            .as_ref()
            .and_then(|c| c.get("Mode"))
            .and_then(Value::as_str)
            == Some("DISTRIBUTED")
        {
            return Err(StatesError::runtime(
                "distributed Map is not supported by the local interpreter yet",
            ));
        }
        let mut retries = vec![0u64; s.retry.len()];
        loop {
            let attempt = async {
                let effective = input_path(&s.io, &input, ctx)?;
                let items_path = s.items_path.as_deref().unwrap_or("$");
                let items = resolve(items_path, &effective, ctx)?;
                let items = items
                    .as_array()
                    .cloned()
                    .ok_or_else(|| StatesError::runtime(format!("ItemsPath '{items_path}' must select an array")))?;
                run.recorder.emit(
                    "MapStateStarted",
                    Some("mapStateStartedEventDetails"),
                    json!({"length": items.len()}),
                );
                let limit = match s.max_concurrency {
                    Some(0) | None => items.len().max(1),
                    Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
                };
                let permits = Arc::new(tokio::sync::Semaphore::new(limit));
                let selector = s.item_selector.as_ref().or(s.parameters.as_ref());
                let iterations = items.into_iter().enumerate().map(|(index, item)| {
                    let permits = permits.clone();
                    let effective = &effective;
                    async move {
                        let _permit = permits
                            .acquire_owned()
                            .await
                            .map_err(|_| StatesError::runtime("map concurrency limiter closed"))?;
                        let map_ctx = json!({"Item": {"Index": index, "Value": item}});
                        let mut item_ctx = ctx.clone();
                        item_ctx["Map"] = map_ctx.clone();
                        let item_input = match selector {
                            Some(sel) => payload::apply(sel, effective, &item_ctx)?,
                            None => item,
                        };
                        let iter_run = Run {
                            recorder: run.recorder.fork(),
                            execution: run.execution.clone(),
                            state_machine: run.state_machine.clone(),
                        };
                        iter_run.recorder.emit(
                            "MapIterationStarted",
                            Some("mapIterationStartedEventDetails"),
                            json!({"name": name, "index": index}),
                        );
                        let out = self.run_machine(processor, item_input, &iter_run, Some(map_ctx)).await;
                        let kind = if out.is_ok() {
                            "MapIterationSucceeded"
                        } else {
                            "MapIterationFailed"
                        };
                        iter_run.recorder.emit(
                            kind,
                            Some(&format!("{}EventDetails", lower_first(kind))),
                            json!({"name": name, "index": index}),
                        );
                        out
                    }
                });
                futures_util::future::try_join_all(iterations).await.map(Value::Array)
            };
            match attempt.await {
                Ok(results) => {
                    run.recorder.emit("MapStateSucceeded", None, Value::Null);
                    let out = Outputs {
                        selector: s.result_selector.as_ref(),
                        result_path: s.result_path.as_ref(),
                        io: &s.io,
                        transition: &s.transition,
                    };
                    return out.apply(input, results, ctx);
                }
                Err(error) => {
                    run.recorder.emit("MapStateFailed", None, Value::Null);
                    match self.handle_error(&error, &s.retry, &mut retries, &s.catch).await {
                        Recovery::Retry => {}
                        Recovery::Catch(c) => return caught(c, input, error),
                        Recovery::Fail => return Err(error),
                    }
                }
            }
        }
    }

    /// Picks the first retrier whose `ErrorEquals` matches (and still has attempts left, after
    /// sleeping its backoff), otherwise the first matching catcher.
    async fn handle_error<'c>(
        &self,
        error: &StatesError,
        retriers: &[Retrier],
        counts: &mut [u64],
        catchers: &'c [Catcher],
    ) -> Recovery<'c> {
        if let Some(i) = retriers.iter().position(|r| error.matches(&r.error_equals)) {
            let r = &retriers[i];
            if counts[i] < r.max_attempts.unwrap_or(3) {
                let delay = backoff(r, counts[i]);
                counts[i] += 1;
                debug!(error = %error.error, attempt = counts[i], delay_ms = delay.as_millis() as u64, "retrying");
                tokio::time::sleep(delay).await;
                return Recovery::Retry;
            }
        }
        match catchers.iter().find(|c| error.matches(&c.error_equals)) {
            Some(c) => Recovery::Catch(c),
            None => Recovery::Fail,
        }
    }
}

enum Recovery<'c> {
    Retry,
    Catch(&'c Catcher),
    Fail,
}

/// `IntervalSeconds × BackoffRate^attempt`, capped by `MaxDelaySeconds`, with optional full jitter.
pub fn backoff(r: &Retrier, attempt: u64) -> Duration {
    let interval = r.interval_seconds.unwrap_or(1) as f64;
    let rate = r.backoff_rate.unwrap_or(2.0);
    let mut secs = interval * rate.powi(i32::try_from(attempt).unwrap_or(i32::MAX));
    if let Some(max) = r.max_delay_seconds {
        secs = secs.min(max as f64);
    }
    if r.jitter_strategy == Some(JitterStrategy::Full) {
        secs *= fastrand::f64();
    }
    Duration::from_secs_f64(secs.max(0.0))
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// The output half of a state that produces a result: ResultSelector, ResultPath, OutputPath,
/// then the transition.
struct Outputs<'a> {
    selector: Option<&'a Value>,
    result_path: Option<&'a Option<String>>,
    io: &'a Io,
    transition: &'a crate::definition::Transition,
}

impl Outputs<'_> {
    fn apply(&self, input: Value, result: Value, ctx: &Value) -> Result<Step, StatesError> {
        let selected = match self.selector {
            Some(sel) => payload::apply(sel, &result, ctx)?,
            None => result,
        };
        let merged = result_path(self.result_path, input, selected)?;
        transition(self.transition, output_path(self.io, merged, ctx)?)
    }
}

fn caught(c: &Catcher, input: Value, error: StatesError) -> Result<Step, StatesError> {
    let error_output = json!({"Error": error.error, "Cause": error.cause});
    let output = result_path(c.result_path.as_ref(), input, error_output)?;
    Ok(Step::Caught(c.next.clone(), output))
}

fn fail(s: &FailState, input: &Value, ctx: &Value) -> Result<StatesError, StatesError> {
    let pick = |fixed: &Option<String>, path: &Option<String>| -> Result<String, StatesError> {
        match (fixed, path) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(p)) => {
                let v = resolve(p, input, ctx)?;
                Ok(v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
            }
            (None, None) => Ok(String::new()),
        }
    };
    Ok(StatesError::new(pick(&s.error, &s.error_path)?, pick(&s.cause, &s.cause_path)?))
}

fn transition(t: &crate::definition::Transition, output: Value) -> Result<Step, StatesError> {
    match (&t.next, t.end) {
        (_, Some(true)) => Ok(Step::End(output)),
        (Some(next), _) => Ok(Step::Next(next.clone(), output)),
        _ => Err(StatesError::runtime("state has neither Next nor End")),
    }
}

fn input_path(io: &Io, input: &Value, ctx: &Value) -> Result<Value, StatesError> {
    match &io.input_path {
        None => Ok(input.clone()),
        Some(None) => Ok(json!({})),
        Some(Some(p)) => resolve(p, input, ctx),
    }
}

fn output_path(io: &Io, output: Value, ctx: &Value) -> Result<Value, StatesError> {
    match &io.output_path {
        None => Ok(output),
        Some(None) => Ok(json!({})),
        Some(Some(p)) => resolve(p, &output, ctx),
    }
}

fn apply_io(io: &Io, input: &Value, ctx: &Value, f: impl FnOnce(&Value) -> Result<Value, StatesError>) -> Result<Value, StatesError> {
    let effective = input_path(io, input, ctx)?;
    output_path(io, f(&effective)?, ctx)
}

/// `ResultPath`: absent means `$` (the result replaces the input), `null` discards the result.
fn result_path(path: Option<&Option<String>>, mut input: Value, result: Value) -> Result<Value, StatesError> {
    match path {
        None => Ok(result),
        Some(None) => Ok(input),
        Some(Some(p)) if p == "$" => Ok(result),
        Some(Some(p)) => {
            Path::parse(p)?.set(&mut input, result)?;
            Ok(input)
        }
    }
}

/// Splits `arn:aws:states:::lambda:invoke.waitForTaskToken` into (`lambda`, `invoke.waitForTaskToken`).
fn resource_parts(resource: &str) -> (String, String) {
    if let Some(rest) = resource.strip_prefix("arn:aws:states:::") {
        let (ty, res) = rest.split_once(':').unwrap_or((rest, ""));
        return (ty.to_string(), res.to_string());
    }
    if resource.starts_with("arn:aws:lambda:") {
        return ("lambda".into(), resource.to_string());
    }
    ("activity".into(), resource.to_string())
}
