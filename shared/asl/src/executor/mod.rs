//! The interpreter: walks states, applies input/output processing, retries and catches errors,
//! and records history. Task work is delegated to a [`TaskInvoker`] supplied by the embedder.
//!
//! [`task`] holds Task states, [`fanout`] Parallel and Map, [`simple`] the states that call
//! nothing outside; this module the run loop and error recovery.

mod drive;
mod fanout;
mod simple;
mod stopping;
mod task;

pub use stopping::StopRequest;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tracing::debug;

use crate::context::{Clock, Context};
use crate::definition::{Catcher, JitterStrategy, Retrier, State, StateMachine};
use crate::error::StatesError;
use crate::history::{HISTORY_LIMIT, HistorySink, Recorder};
use crate::io::{Lang, Step, assign_block, check_size, jsonata_field, result_path, states_doc, transition};
use crate::redrive::Redrive;
use crate::tokens::TaskTokens;
use crate::variables::Scope;
use simple::{choose, fail, pass, succeed, wait};
use stopping::Flight;

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

#[derive(Debug, Clone, Default)]
pub struct ExecutionSpec {
    pub state_machine_arn: String,
    pub execution_name: String,
    pub input: Value,
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
    /// The query language of the enclosing state machine (a state may set its own).
    lang: Lang,
    scope: Arc<Scope>,
    /// Variables the running state assigns, committed when it completes.
    pending: std::sync::Mutex<Option<serde_json::Map<String, Value>>>,
    flight: Flight,
    /// A redriven execution's Task states that succeeded before: their outputs, used once
    /// instead of running them again.
    kept: Arc<std::sync::Mutex<HashMap<String, Value>>>,
    /// The state the flow is in: entered, not exited.
    open: std::sync::Mutex<Option<Open>>,
}

/// A state a flow entered and has not exited.
#[derive(Debug, Clone)]
struct Open {
    kind: &'static str,
    /// Its `…StateEntered` event, and the flow's event before it.
    entered: u64,
    before: u64,
}

impl Run {
    pub(crate) fn new(
        recorder: Recorder,
        clock: Clock,
        execution: Value,
        state_machine: Value,
        lang: Lang,
        kept: HashMap<String, Value>,
    ) -> Run {
        Run {
            recorder,
            clock,
            execution: Arc::new(execution),
            state_machine: Arc::new(state_machine),
            lang,
            scope: Scope::root(),
            pending: std::sync::Mutex::new(None),
            flight: Flight::default(),
            kept: Arc::new(std::sync::Mutex::new(kept)),
            open: std::sync::Mutex::new(None),
        }
    }

    /// A branch or map iteration of this flow: its own event chain and variable scope, in the
    /// query language of the machine it runs.
    fn fork(&self, machine: &StateMachine) -> Run {
        Run {
            recorder: self.recorder.fork(),
            clock: self.clock,
            execution: self.execution.clone(),
            state_machine: self.state_machine.clone(),
            lang: Lang::of(machine.query_language.as_deref(), self.lang),
            scope: self.scope.child(),
            pending: std::sync::Mutex::new(None),
            flight: self.flight.clone(),
            kept: self.kept.clone(),
            open: std::sync::Mutex::new(None),
        }
    }

    fn set_open(&self, open: Option<Open>) {
        *self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = open;
    }

    fn open(&self) -> Option<Open> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Records that the state this flow is in was stopped: `TaskStateAborted`, and the same for
    /// a Wait, Parallel or Map (the only states with an `…Aborted` event). A branch of a
    /// Parallel state that failed is stopped so, the failing state included (recorded in
    /// localstack/localstack, tests/aws/services/stepfunctions/v2/states_variables/
    /// test_error_output.snapshot.json, PARALLEL_CATCH_ERROR_OUTPUT, 2024-11-13: `TaskFailed`,
    /// then `TaskStateAborted`).
    fn abort_open(&self) {
        let Some(open) = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() else {
            return;
        };
        if matches!(open.kind, "Task" | "Wait" | "Parallel" | "Map") {
            self.recorder.emit(&format!("{}StateAborted", open.kind), None, Value::Null);
        }
    }

    /// Records a JSONata expression's failure in the running state as Step Functions does,
    /// once, before the state's own failure events and whether or not a `Catch` takes it: an
    /// `EvaluationFailed` naming the state and the field, whose `previousEventId` is the event
    /// before the state's entry (recorded in localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json,
    /// MAP_CATCH_ERROR_OUTPUT, 2024-11-12). Other errors pass unchanged.
    pub(crate) fn evaluation_failed(&self, mut error: StatesError, state: &str) -> StatesError {
        let Some(location) = error.location.take() else { return error };
        let (entered, before) = self.open().map_or((0, 0), |o| (o.entered, o.before));
        let error = error.at_state(state, entered);
        self.recorder.emit_after(
            before,
            "EvaluationFailed",
            Some("evaluationFailedEventDetails"),
            json!({"cause": error.cause, "error": error.error, "location": location, "state": state}),
        );
        error
    }

    fn context(&self, name: Arc<str>, entered: DateTime<Utc>, map_item: Option<&Arc<Value>>) -> Context {
        Context::live(
            self.execution.clone(),
            self.state_machine.clone(),
            name,
            entered,
            map_item.cloned(),
            self.scope.clone(),
        )
    }

    /// Records what the running state assigns; it takes effect when the state completes.
    pub(crate) fn stage(&self, assigned: Option<serde_json::Map<String, Value>>) {
        *self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = assigned;
    }

    fn take_pending(&self) -> Option<serde_json::Map<String, Value>> {
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }

    fn take_kept(&self, name: &str) -> Option<Value> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name)
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
        Self { invoker, tokens, sink }
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
        map_item: Option<Arc<Value>>,
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
        map_item: Option<Arc<Value>>,
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
        map_item: Option<&Arc<Value>>,
    ) -> Result<Step, StatesError> {
        let kind = state.type_name();
        let name_arc: Arc<str> = Arc::from(name);
        let before = run.recorder.last();
        let entered = run.recorder.state_entered(kind, &name_arc, &input);
        run.set_open(Some(Open { kind, entered, before }));
        debug!(state = name, kind, "state entered");
        // A Task that succeeded before the redrive is not run again. One that assigns
        // variables is, so that they are set.
        if let State::Task(s) = state
            && s.assign.is_none()
            && let Some(output) = run.take_kept(name)
        {
            debug!(state = name, "succeeded before the redrive: its output is reused");
            run.set_open(None);
            run.recorder.state_exited(kind, &name_arc, output.to_string(), None);
            return transition(&s.transition, output);
        }
        let ctx = run.context(name_arc.clone(), run.clock.now(), map_item);
        let ctx = match state {
            State::Task(_) | State::Parallel(_) | State::Map(_) => ctx,
            _ => ctx.without_retry_count(),
        };
        let lang = Lang::of(state.query_language(), run.lang);
        run.stage(None);
        let (step, exited, assigned) = match state {
            State::Pass(s) => pass(s, lang, input, &ctx, run),
            State::Succeed(s) => succeed(s, lang, input, &ctx),
            State::Fail(s) => Err(fail(s, lang, &input, &ctx)?),
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
            let exited = output.to_string();
            check_size("state output", exited.len())?;
            Ok((step, exited, assigned))
        })
        .map_err(|e| run.evaluation_failed(e, name).at_state(name, entered))?;
        run.set_open(None);
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
                lang,
                &error_output,
                || Value::Null,
                ctx,
            )?;
            (result_path(c.result_path.as_ref(), input, error_output)?, assigned)
        }
        Lang::Jsonata => {
            let states = states_doc(&input, None, Some(&error_output), ctx);
            let assigned = assign_block(
                c.assign.as_ref(),
                &format!("Catch[{i}]/Assign"),
                lang,
                &Value::Null,
                || states.clone(),
                ctx,
            )?;
            let output = match &c.output {
                Some(o) => jsonata_field(o, &format!("Catch[{i}]/Output"), &states, ctx)?,
                None => error_output,
            };
            (output, assigned)
        }
    };
    run.stage(assigned);
    Ok(Step::Next(c.next.clone(), output))
}
