//! The interpreter: walks states, applies input/output processing, retries and catches errors,
//! and records history. Task work is delegated to a [`TaskInvoker`] supplied by the embedder.
//!
//! [`task`] holds Task states, [`fanout`] Parallel and Map; this module the run loop, the
//! simple states and error recovery.

mod fanout;
mod task;

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
use crate::context::{Clock, Context, timestamp};
use crate::definition::{Catcher, ChoiceState, FailState, JitterStrategy, PassState, Retrier, State, StateMachine, WaitState};
use crate::error::{StatesError, names};
use crate::history::{HISTORY_LIMIT, HistorySink, Recorder};
use crate::intrinsics;
use crate::io::{Step, check_size, input_path, output_path, result_path, transition};
use crate::path::resolve;
use crate::payload;
use crate::tokens::TaskTokens;

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
    /// How many times this state was retried before this call (0 on the first).
    pub retry_count: u64,
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

/// Per-execution facts: the recorder and what the context object exposes.
pub(crate) struct Run {
    recorder: Recorder,
    clock: Clock,
    execution: Arc<Value>,
    state_machine: Arc<Value>,
}

impl Run {
    /// The same execution seen from a branch or map iteration, which chains its own events.
    fn fork(&self) -> Run {
        Run {
            recorder: self.recorder.fork(),
            clock: self.clock,
            execution: self.execution.clone(),
            state_machine: self.state_machine.clone(),
        }
    }

    fn context(&self, name: Arc<str>, entered: DateTime<Utc>, map_item: Option<&Arc<Value>>) -> Context {
        Context::live(self.execution.clone(), self.state_machine.clone(), name, entered, map_item.cloned())
    }
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Interpreter {
    pub fn new(invoker: Arc<dyn TaskInvoker>, sink: Arc<dyn HistorySink>) -> Self {
        Self::with_tokens(invoker, sink, TaskTokens::default())
    }

    /// For embedders whose task workers need the token handle before the interpreter exists.
    pub fn with_tokens(invoker: Arc<dyn TaskInvoker>, sink: Arc<dyn HistorySink>, tokens: TaskTokens) -> Self {
        Self { invoker, tokens, sink }
    }

    /// The handle that answers waiting tasks (`SendTaskSuccess` / `SendTaskFailure` / heartbeats).
    pub fn tokens(&self) -> TaskTokens {
        self.tokens.clone()
    }

    /// Runs one execution to its end. Time follows the calling runtime's clock, so a runtime
    /// with paused time runs Waits and backoffs instantly.
    pub async fn execute(&self, machine: &StateMachine, spec: &ExecutionSpec) -> ExecutionOutcome {
        let arn = spec.execution_arn();
        let clock = Clock::start();
        let recorder = Recorder::new(self.sink.clone(), &arn, clock);
        let role = "arn:aws:iam::000000000000:role/baton-local";
        recorder.emit(
            "ExecutionStarted",
            Some("executionStartedEventDetails"),
            json!({"input": spec.input.to_string(), "inputDetails": {"truncated": false}, "roleArn": role, "stateMachineArn": spec.state_machine_arn}),
        );
        let machine_name = spec.state_machine_arn.rsplit(':').next().unwrap_or_default();
        let run = Run {
            recorder: recorder.clone(),
            clock,
            execution: Arc::new(json!({
                "Id": arn,
                "Input": spec.input,
                "Name": spec.execution_name,
                "RoleArn": role,
                "StartTime": timestamp(clock.now()),
                "RedriveCount": 0,
            })),
            state_machine: Arc::new(json!({"Id": spec.state_machine_arn, "Name": machine_name})),
        };
        info!(execution = %arn, "execution started");
        let input_check = check_size("execution input", spec.input.to_string().len());
        let body = async {
            input_check?;
            self.run_machine(machine, spec.input.clone(), &run, None).await
        };
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

    pub(crate) fn run_machine<'a>(
        &'a self,
        machine: &'a StateMachine,
        input: Value,
        run: &'a Run,
        map_item: Option<Arc<Value>>,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        Box::pin(async move {
            let mut name = machine.start_at.clone();
            let mut input = input;
            loop {
                if run.recorder.full() {
                    return Err(StatesError::runtime(format!(
                        "the execution history reached Step Functions' limit of {HISTORY_LIMIT} events"
                    )));
                }
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

    async fn run_state(
        &self,
        name: &str,
        state: &State,
        input: Value,
        run: &Run,
        map_item: Option<&Arc<Value>>,
    ) -> Result<Step, StatesError> {
        let kind = state.type_name();
        let name_arc: Arc<str> = Arc::from(name);
        run.recorder.state_entered(kind, &name_arc, &input);
        debug!(state = name, kind, "state entered");
        let ctx = run.context(name_arc.clone(), run.clock.now(), map_item);
        let step = match state {
            State::Pass(s) => pass(s, input, &ctx),
            State::Succeed(s) => input_path(&s.io, &input, &ctx)
                .and_then(|v| output_path(&s.io, v, &ctx))
                .map(Step::End),
            State::Fail(s) => Err(fail(s, &input, &ctx)?),
            State::Choice(s) => choose(s, input, &ctx),
            State::Wait(s) => wait(s, input, &ctx, run.clock).await,
            State::Task(s) => self.task(name, s, input, run, &ctx).await,
            State::Parallel(s) => self.parallel(name, s, input, run, &ctx).await,
            State::Map(s) => self.map(name, s, input, run, &ctx).await,
        }?;
        if let Step::Next(_, output) | Step::End(output) = &step {
            let text = output.to_string();
            check_size("state output", text.len())?;
            run.recorder.state_exited(kind, &name_arc, text);
        }
        Ok(step)
    }

    /// Picks the first retrier whose `ErrorEquals` matches (and still has attempts left, after
    /// sleeping its backoff), otherwise the first matching catcher. Retriers and catchers are
    /// tried in order, as the specification requires.
    pub(crate) async fn recover<'c>(
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

pub(crate) enum Recovery<'c> {
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
    Duration::from_secs_f64(secs.clamp(0.0, 1e9))
}

pub(crate) fn caught(c: &Catcher, input: Value, error: StatesError) -> Result<Step, StatesError> {
    let error_output = json!({"Error": error.error, "Cause": error.cause});
    let output = result_path(c.result_path.as_ref(), input, error_output)?;
    Ok(Step::Caught(c.next.clone(), output))
}

fn pass(s: &PassState, input: Value, ctx: &Context) -> Result<Step, StatesError> {
    let effective = input_path(&s.io, &input, ctx)?;
    let result = match (&s.result, &s.parameters) {
        (Some(result), _) => result.clone(),
        (None, Some(params)) => payload::apply(params, &effective, ctx)?,
        (None, None) => effective,
    };
    let merged = result_path(s.result_path.as_ref(), input, result)?;
    transition(&s.transition, output_path(&s.io, merged, ctx)?)
}

fn choose(s: &ChoiceState, input: Value, ctx: &Context) -> Result<Step, StatesError> {
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
            names::NO_CHOICE_MATCHED,
            "no Choice rule matched and there is no Default",
        )),
    }
}

async fn wait(s: &WaitState, input: Value, ctx: &Context, clock: Clock) -> Result<Step, StatesError> {
    let effective = input_path(&s.io, &input, ctx)?;
    let until_timestamp = |text: &str| -> Result<Duration, StatesError> {
        let at = DateTime::parse_from_rfc3339(text).map_err(|e| StatesError::runtime(format!("invalid Wait timestamp '{text}': {e}")))?;
        Ok((at.with_timezone(&Utc) - clock.now()).to_std().unwrap_or_default())
    };
    let delay = if let Some(secs) = s.seconds {
        Duration::from_secs(secs)
    } else if let Some(p) = &s.seconds_path {
        let v = resolve(p, &effective, ctx)?;
        Duration::from_secs(
            v.as_u64()
                .ok_or_else(|| StatesError::runtime(format!("SecondsPath '{p}' must select a non-negative integer, got {v}")))?,
        )
    } else if let Some(t) = &s.timestamp {
        until_timestamp(t)?
    } else if let Some(p) = &s.timestamp_path {
        let v = resolve(p, &effective, ctx)?;
        until_timestamp(
            v.as_str()
                .ok_or_else(|| StatesError::runtime(format!("TimestampPath '{p}' must select a string, got {v}")))?,
        )?
    } else {
        return Err(StatesError::runtime(
            "a Wait state needs Seconds, SecondsPath, Timestamp or TimestampPath",
        ));
    };
    tokio::time::sleep(delay).await;
    transition(&s.transition, output_path(&s.io, effective, ctx)?)
}

/// A Fail state's error: fixed, from a path, or from an intrinsic function.
fn fail(s: &FailState, input: &Value, ctx: &Context) -> Result<StatesError, StatesError> {
    let pick = |fixed: &Option<String>, path: &Option<String>| -> Result<String, StatesError> {
        match (fixed, path) {
            (Some(v), _) => Ok(v.clone()),
            (None, Some(p)) => {
                let v = if intrinsics::is_intrinsic(p) {
                    intrinsics::evaluate(p, input, ctx)?
                } else {
                    resolve(p, input, ctx)?
                };
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| StatesError::runtime(format!("'{p}' must select a string, got {v}")))
            }
            (None, None) => Ok(String::new()),
        }
    };
    Ok(StatesError::new(pick(&s.error, &s.error_path)?, pick(&s.cause, &s.cause_path)?))
}
