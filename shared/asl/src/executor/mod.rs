//! The interpreter: walks states, applies input/output processing, retries and catches errors,
//! and records history. Task work is delegated to a [`TaskInvoker`] supplied by the embedder.
//!
//! `task` holds Task states, `parallel` and `map` the states that fan out, `simple` the
//! states that call nothing outside, `run` what one flow of an execution carries; this module
//! the run loop and error recovery.

mod drive;
mod item_reader;
mod map;
mod map_batches;
mod map_entries;
mod map_iteration;
mod map_limits;
mod map_run;
mod parallel;
mod result_writer;
mod run;
mod s3_call;
mod simple;
mod stopping;
mod task;
mod task_events;

pub use stopping::StopRequest;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing::debug;

use crate::context::{Context, MapItem};
use crate::definition::{Catcher, JitterStrategy, Retrier, State, StateMachine};
use crate::error::StatesError;
use crate::history::{HISTORY_LIMIT, HistorySink};
use crate::io::{
    AssignFrom, Lang, PAYLOAD_LIMIT, Step, assign_block, check_nesting, json_text, jsonata_field, result_over_quota, result_path,
    states_doc, transition,
};
use crate::objects::Objects;
use crate::redrive::Redrive;
use crate::tokens::TaskTokens;
use run::Run;
use simple::{choose, fail, pass, succeed, wait};

/// One call from a Task state to the outside world.
#[derive(Debug, Clone)]
pub struct TaskCall {
    /// The state's `Resource`, e.g. `arn:aws:states:::lambda:invoke.waitForTaskToken`.
    pub resource: String,
    pub state_name: String,
    /// The effective parameters (after InputPath and Parameters).
    pub input: Value,
    /// Set for `.waitForTaskToken` resources: the token the task's worker must answer. A `.sync`
    /// task's token is in its context alone: its invoker answers with the job's end.
    pub task_token: Option<String>,
    /// The context object (`$$`) as the state saw it, written out (`to_value`) only by an
    /// invoker that needs it: written for every call, it copied the execution input once per
    /// task, so once per iteration of a Map of tasks.
    pub context: Context,
    /// How many times this state was retried before this call (0 on the first).
    pub retry_count: u64,
    /// The role the call assumes, from the state's `Credentials`; its `TaskScheduled` event
    /// records it. A local invoker calls with its own.
    pub role_arn: Option<String>,
}

impl TaskCall {
    /// The function and event of a call to the Lambda integration (`lambda:invoke`, in any
    /// partition and pattern), which names them in its `FunctionName` and `Payload` parameters;
    /// `None` for any other resource, such as a function's ARN called with the state's input.
    pub fn lambda_invoke(&self) -> Option<(&str, &Value)> {
        crate::resource::invokes_lambda(&self.resource)
            .then(|| (self.input["FunctionName"].as_str().unwrap_or_default(), &self.input["Payload"]))
    }
}

/// Runs Task states. For `.waitForTaskToken` resources the returned value is ignored and the
/// state waits for its token to be answered through [`TaskTokens`].
#[async_trait]
pub trait TaskInvoker: Send + Sync {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError>;
}

#[derive(Debug, Clone, Default)]
pub struct ExecutionSpec {
    pub state_machine_arn: String,
    pub execution_name: String,
    pub input: Value,
    /// The input as the caller wrote it, when it came as text. Step Functions keeps it as
    /// written: `ExecutionStarted` and the first state's entry carry it, and a cause that
    /// quotes the first state's input quotes it so (recorded causes in
    /// `tests/conformance/errors.json`). Without it, `input` is written compact, as AWS writes
    /// what it has parsed.
    pub input_text: Option<Arc<str>>,
    pub workflow: Workflow,
}

/// The kind of state machine that runs the execution (CreateStateMachine's `type`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Workflow {
    #[default]
    Standard,
    /// An Express execution, with the id its ARN ends with: Express names may be reused, so
    /// each start has an ARN of its own, `…:express:MACHINE:NAME:ID` (recorded on AWS in
    /// localstack/localstack, tests/aws/services/stepfunctions/v2/express/
    /// test_express_sync.snapshot.json, 2024-07-15).
    Express { id: String },
}

impl ExecutionSpec {
    pub fn execution_arn(&self) -> String {
        match &self.workflow {
            Workflow::Standard => {
                let machine = self.state_machine_arn.replace(":stateMachine:", ":execution:");
                format!("{machine}:{}", self.execution_name)
            }
            Workflow::Express { id } => {
                let machine = self.state_machine_arn.replace(":stateMachine:", ":express:");
                format!("{machine}:{}:{id}", self.execution_name)
            }
        }
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

impl ExecutionStatus {
    /// The name Step Functions gives it (`SUCCEEDED`, `TIMED_OUT`, …), as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }
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
    /// Where an ItemReader reads its dataset; without it, a Map with one fails saying so.
    objects: Option<Arc<dyn Objects>>,
}

impl std::fmt::Debug for Interpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interpreter")
            .field("waiting_tokens", &self.tokens.waiting())
            .finish()
    }
}

/// How an execution begins: afresh, or where an unfinished one stopped.
#[derive(Clone, Copy)]
enum Start<'a> {
    Fresh,
    /// Where `from` says it stopped: as `RedriveExecution`, a new attempt (`ExecutionRedriven`,
    /// `RedriveCount` + 1); or the same attempt carried on by another runner, whose history
    /// simply continues.
    Continue {
        from: &'a Redrive,
        new_attempt: bool,
    },
}

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Interpreter {
    pub fn new(invoker: Arc<dyn TaskInvoker>, sink: Arc<dyn HistorySink>) -> Self {
        Self::with_tokens(invoker, sink, TaskTokens::default())
    }

    /// For embedders whose task workers need the token handle before the interpreter exists.
    pub fn with_tokens(invoker: Arc<dyn TaskInvoker>, sink: Arc<dyn HistorySink>, tokens: TaskTokens) -> Self {
        Self {
            invoker,
            tokens,
            sink,
            objects: None,
        }
    }

    /// Gives a Distributed Map's `ItemReader` the objects it reads.
    pub fn with_objects(mut self, objects: Arc<dyn Objects>) -> Self {
        self.objects = Some(objects);
        self
    }

    /// The handle that answers waiting tasks (`SendTaskSuccess` / `SendTaskFailure` / heartbeats).
    pub fn tokens(&self) -> TaskTokens {
        self.tokens.clone()
    }

    /// Runs one execution to its end. Time follows the calling runtime's clock, so a runtime
    /// with paused time runs Waits and backoffs instantly.
    pub async fn execute(&self, machine: &StateMachine, spec: &ExecutionSpec) -> ExecutionOutcome {
        let (_nobody, stops) = mpsc::unbounded_channel();
        self.execute_until(machine, spec, stops).await
    }

    /// [`Self::execute`], unless a [`StopRequest`] arrives first: then the execution is aborted,
    /// as `StopExecution` does, either at once or once the tasks in flight have finished (no
    /// state is entered after them). The tasks it abandons are dropped; stopping what they
    /// started outside (builds) is the embedder's part, as it is on AWS.
    pub async fn execute_until(
        &self,
        machine: &StateMachine,
        spec: &ExecutionSpec,
        stops: mpsc::UnboundedReceiver<StopRequest>,
    ) -> ExecutionOutcome {
        self.drive(machine, spec, Start::Fresh, stops).await
    }

    /// `RedriveExecution`: a new attempt of an execution that failed, timed out or was
    /// aborted, from where [`crate::redrive::plan`] says it stopped. Its history continues after
    /// an `ExecutionRedriven` event; `$$.Execution.RedriveCount` goes up by one.
    pub async fn redrive(
        &self,
        machine: &StateMachine,
        spec: &ExecutionSpec,
        from: &Redrive,
        stops: mpsc::UnboundedReceiver<StopRequest>,
    ) -> ExecutionOutcome {
        let start = Start::Continue { from, new_attempt: true };
        self.drive(machine, spec, start, stops).await
    }

    /// Carries on an execution whose runner died, in the same attempt: the state it was in runs
    /// again with the same `RetryCount` and `RedriveCount`, so the idempotency keys its tasks
    /// derive find the work the first runner started instead of starting it twice.
    pub async fn resume(
        &self,
        machine: &StateMachine,
        spec: &ExecutionSpec,
        from: &Redrive,
        stops: mpsc::UnboundedReceiver<StopRequest>,
    ) -> ExecutionOutcome {
        let start = Start::Continue { from, new_attempt: false };
        self.drive(machine, spec, start, stops).await
    }

    pub(crate) fn run_machine<'a>(
        &'a self,
        machine: &'a StateMachine,
        input: Value,
        run: &'a Run,
        map_item: Option<Arc<MapItem>>,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        self.run_flow(machine, machine.start_at.clone(), input, run, map_item)
    }

    /// Runs a flow from state `first` to its end.
    fn run_flow<'a>(
        &'a self,
        machine: &'a StateMachine,
        first: String,
        input: Value,
        run: &'a Run,
        map_item: Option<Arc<MapItem>>,
    ) -> BoxFuture<'a, Result<Value, StatesError>> {
        Box::pin(async move {
            let mut name = first;
            let mut input = input;
            loop {
                run.flight.hold().await;
                if run.recorder.full() {
                    return Err(StatesError::runtime(format!(
                        "The execution reached the maximum number of history events ({HISTORY_LIMIT})."
                    )));
                }
                let state = machine
                    .states
                    .get(&name)
                    .ok_or_else(|| StatesError::runtime(format!("no state named '{name}'")))?;
                match self.run_state(&name, state, input, run, map_item.as_ref()).await? {
                    Step::Next(next, output) => {
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
        map_item: Option<&Arc<MapItem>>,
    ) -> Result<Step, StatesError> {
        let kind = state.type_name();
        let name_arc: Arc<str> = Arc::from(name);
        let before = run.recorder.last();
        let as_given = run.take_input_as_given();
        let written = as_given.as_deref().map_or_else(|| json_text(&input), str::to_string);
        let entered = run.recorder.state_entered(kind, &name_arc, written);
        run.enter(kind, entered, before);
        debug!(state = name, kind, "state entered");
        // A Task that succeeded before the redrive is not run again. One that assigns
        // variables is, so that they are set.
        if let State::Task(s) = state
            && s.assign.is_none()
            && let Some(output) = run.take_kept(name)
        {
            debug!(state = name, "succeeded before the redrive: its output is reused");
            run.exit();
            run.recorder.state_exited(kind, &name_arc, json_text(&output), None);
            return transition(&s.transition, output);
        }
        let ctx = run
            .context(name_arc.clone(), run.clock.now(), map_item)
            .with_input_as_given(as_given);
        let ctx = match state {
            State::Task(_) | State::Parallel(_) | State::Map(_) => ctx,
            _ => ctx.without_retry_count(),
        };
        let lang = Lang::of(state.query_language(), run.lang);
        run.stage(None);
        let (step, exited, assigned) = match state {
            State::Pass(s) => pass(s, lang, input, &ctx, run),
            State::Succeed(s) => succeed(s, lang, input, &ctx),
            State::Fail(s) => match fail(s, lang, &input, &ctx) {
                // The state's own error and cause, as written: nothing is added to them.
                Ok(own) => return Err(own),
                // Its ErrorPath, CausePath or expression failed: an error of the state, located
                // and recorded as any state's.
                Err(failed) => Err(failed),
            },
            State::Choice(s) => choose(s, lang, input, &ctx, run),
            State::Wait(s) => wait(s, lang, input, &ctx, run).await,
            State::Task(s) => self.task(name, s, lang, input, run, &ctx).await,
            State::Parallel(s) => self.parallel(name, s, lang, input, run, &ctx).await,
            State::Map(s) => self.map(name, s, lang, input, run, &ctx).await,
        }
        .and_then(|step| {
            let assigned = run.take_pending();
            if let Some(assigned) = &assigned {
                run.scope.assign(assigned.clone())?;
            }
            let (Step::Next(_, output) | Step::End(output)) = &step;
            check_nesting(output)?;
            let exited = json_text(output);
            if exited.len() > PAYLOAD_LIMIT {
                return Err(result_over_quota(name));
            }
            Ok((step, exited, assigned))
        })
        .map_err(|e| run.evaluation_failed(e, name).at_state(name, entered))?;
        run.exit();
        run.recorder.state_exited(kind, &name_arc, exited, assigned);
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
        match catchers.iter().enumerate().find(|(_, c)| error.matches(&c.error_equals)) {
            Some((i, c)) => Recovery::Catch(i, c),
            None => Recovery::Fail,
        }
    }

    /// [`Self::recover`] for a Parallel or Map state, which records its failure (`record`) once
    /// no retrier takes it, not before each retry (AWS's history: localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json,
    /// PARALLEL_CATCH_ERROR_OUTPUT_WITH_RETRY, 2024-11-13; a Map's the same, by analogy).
    pub(crate) async fn recover_fan_out<'c>(
        &self,
        error: &StatesError,
        (retriers, counts): (&[Retrier], &mut [u64]),
        catchers: &'c [Catcher],
        record: impl FnOnce(),
    ) -> Recovery<'c> {
        let recovery = self.recover(error, retriers, counts, catchers).await;
        if !matches!(recovery, Recovery::Retry) {
            record();
        }
        recovery
    }
}

pub(crate) enum Recovery<'c> {
    Retry,
    /// The catcher that takes over, and its place in `Catch`.
    Catch(usize, &'c Catcher),
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

/// A catcher takes over: JSONPath puts the error output at the catcher's ResultPath; JSONata
/// makes it `$states.errorOutput` for the catcher's Output (default: the error output itself).
/// The catcher's Assign replaces the state's. AWS names a catcher's fields by its place in a
/// cause, `Catch[1]/Output` (recorded in floci-io/floci#2689).
pub(crate) fn caught(
    (i, c): (usize, &Catcher),
    lang: Lang,
    input: Value,
    error: StatesError,
    ctx: &Context,
    run: &Run,
) -> Result<Step, StatesError> {
    let error_output = json!({"Error": error.error, "Cause": error.cause});
    let (output, assigned) = match lang {
        Lang::JsonPath => {
            let assigned = assign_block(
                c.assign.as_ref(),
                &format!("Catch[{i}]/Assign"),
                AssignFrom::JsonPath(&error_output, ctx),
            )?;
            (result_path(c.result_path.as_ref(), input, error_output)?, assigned)
        }
        Lang::Jsonata => {
            let states = states_doc(&input, None, Some(&error_output), ctx);
            let assigned = assign_block(c.assign.as_ref(), &format!("Catch[{i}]/Assign"), AssignFrom::Jsonata(states))?;
            let output = match &c.output {
                Some(o) => jsonata_field(o, &format!("Catch[{i}]/Output"), &states)?,
                None => error_output,
            };
            (output, assigned)
        }
    };
    run.stage(assigned);
    Ok(Step::Next(c.next.clone(), output))
}
