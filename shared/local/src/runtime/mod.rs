//! `LocalRuntime`: the local composition root. It loads a pipeline, wires the local adapters
//! into the `baton-core` handlers, synthesizes the state machine and runs it in the embedded
//! interpreter, with the event dispatcher and local CloudWatch running in the background.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use baton_asl::{
    Context, ExecutionOutcome, ExecutionSpec, ExecutionStatus, HistoryEvent, Interpreter, Redrive, StateMachine, StatesError, TaskCall,
    TaskInvoker, TaskTokens,
};
use baton_core::events::Event;
use baton_core::model::Pipeline;
use baton_core::ports::{MetricsSink, StageLanes};
use baton_core::stages::{abandon, approval, events};
use baton_core::{metrics, synth};
use chrono::Utc;
use rusqlite::params;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::PipelineStatus;
use crate::artifacts::FsArtifactStore;
use crate::build::ShellBuildRunner;
use crate::cloudwatch::{LocalAlarms, SqliteMetrics};
use crate::coordination::bus::{EventBus, InterpreterCallbacks, SqlitePendingTasks};
use crate::coordination::lanes::SqliteLanes;
use crate::db::Db;
use crate::deploy::LocalDeployer;
use crate::error::LocalError;
use crate::execution::record::{self as execution_record, ExecutionRecord, execution_id};
use crate::execution::status;
use crate::execution::stopping::Stops;
use crate::source::LocalSource;

mod background;
mod invoker;
mod manual;

use invoker::{DbHistory, LocalInvoker};

use background::{dispatch, evaluate_alarms, probe};

#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    /// Where state lives; default `.baton/` beside `pipeline.yml`.
    pub state_dir: Option<PathBuf>,
    /// Snapshot the source directory as it is, even inside a git work tree.
    pub working_tree: bool,
}

/// How [`LocalRuntime::drive`] begins an execution.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start<'a> {
    Fresh,
    Resume(&'a Redrive),
    Redrive(&'a Redrive),
}

/// A history event as it happens, for progress displays.
#[derive(Debug, Clone)]
pub struct Progress {
    pub execution_id: String,
    pub event: HistoryEvent,
}

/// The adapters, shared by the invoker and the event dispatcher.
struct Adapters {
    pipeline: Arc<Pipeline>,
    store: Arc<FsArtifactStore>,
    source: LocalSource,
    builds: ShellBuildRunner,
    deployer: LocalDeployer,
    pending: SqlitePendingTasks,
    callbacks: InterpreterCallbacks,
    alarms: Arc<LocalAlarms>,
    metrics: SqliteMetrics,
    lanes: SqliteLanes,
    bus: EventBus,
    /// Every event once handled, for waiters outside the state machine (manual rollbacks).
    handled: broadcast::Sender<Event>,
}

pub struct LocalRuntime {
    adapters: Arc<Adapters>,
    pipeline_file: PathBuf,
    state_dir: PathBuf,
    db: Arc<Db>,
    interpreter: Interpreter,
    machine: StateMachine,
    machine_arn: String,
    progress: broadcast::Sender<Progress>,
    background: Vec<JoinHandle<()>>,
    /// Set once to stop every execution of this runtime (Ctrl-C in `baton run`).
    stop_all: Arc<watch::Sender<Option<String>>>,
}

/// Stops the executions of a [`LocalRuntime`] from another task (a Ctrl-C handler).
#[derive(Debug, Clone)]
pub struct Stopper(Arc<watch::Sender<Option<String>>>);

impl Stopper {
    /// Aborts every running execution with `cause`; their builds are stopped before the runs
    /// return.
    pub fn stop(&self, cause: impl Into<String>) {
        self.0.send_replace(Some(cause.into()));
    }
}

impl std::fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalRuntime")
            .field("pipeline_file", &self.pipeline_file)
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

impl Drop for LocalRuntime {
    fn drop(&mut self) {
        for h in &self.background {
            h.abort();
        }
    }
}

/// A local resource's ARN: AWS's form, in region `local` of account 000000000000, which no real
/// ARN names.
pub fn local_arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:local:000000000000:{resource}")
}

/// The local stand-in ARN of a stage function, what `${XFunctionArn}` resolves to.
pub fn function_arn(stem: &str) -> String {
    local_arn("lambda", &format!("function:baton-{}", stem.to_lowercase()))
}

/// A synthesized definition as a local execution runs it: its `${XFunctionArn}` placeholders
/// (which SAM's DefinitionSubstitutions fill in on AWS) resolved to the local functions.
pub fn resolved_locally(definition: &str) -> String {
    synth::FUNCTIONS.iter().fold(definition.to_string(), |text, f| {
        text.replace(&synth::placeholder(f), &function_arn(f))
    })
}

/// The state machine for a pipeline with its placeholders resolved to local functions.
pub fn local_definition(pipeline: &Pipeline) -> Result<StateMachine, LocalError> {
    StateMachine::from_json(&resolved_locally(&synth::to_json(pipeline)))
        .map_err(|e| LocalError::Internal(format!("synthesized state machine is invalid: {e}")))
}

/// The state directory for a pipeline file when none is given.
pub fn default_state_dir(pipeline_file: &Path) -> PathBuf {
    pipeline_file.parent().unwrap_or(Path::new(".")).join(".baton")
}

impl LocalRuntime {
    pub async fn open(pipeline_file: &Path, options: RuntimeOptions) -> Result<Self, LocalError> {
        let pipeline = Arc::new(baton_core::load_pipeline(pipeline_file)?);
        let state_dir = options.state_dir.clone().unwrap_or_else(|| default_state_dir(pipeline_file));
        std::fs::create_dir_all(&state_dir).map_err(LocalError::io(&state_dir))?;
        let db = Arc::new(Db::open(&state_dir.join("baton.db"))?);
        crate::execution::runners::reconcile(&db)?;

        let store = Arc::new(FsArtifactStore::new(&state_dir, db.clone()));
        let (bus, receiver) = EventBus::new();
        let tokens = TaskTokens::default();
        let metrics = SqliteMetrics::new(db.clone());
        let alarms = Arc::new(LocalAlarms::new(pipeline.clone(), db.clone(), metrics.clone()));
        let source_dir = baton_core::spec::validate::source_dir(pipeline_file, pipeline.source.repository.as_deref());
        let adapters = Arc::new(Adapters {
            pipeline: pipeline.clone(),
            store: store.clone(),
            source: LocalSource::new(source_dir, &state_dir, store.clone(), options.working_tree),
            builds: ShellBuildRunner::new(&state_dir, db.clone(), store.clone(), bus.clone()),
            deployer: LocalDeployer::new(pipeline.clone(), &state_dir, db.clone(), store, bus.clone(), alarms.clone()),
            pending: SqlitePendingTasks::new(db.clone()),
            callbacks: InterpreterCallbacks::new(tokens.clone()),
            alarms,
            metrics,
            lanes: SqliteLanes::new(db.clone(), state_dir.clone()),
            bus,
            handled: broadcast::channel(256).0,
        });
        let (progress, _) = broadcast::channel(1024);
        let sink = Arc::new(DbHistory {
            db: db.clone(),
            progress: progress.clone(),
        });
        let interpreter = Interpreter::with_tokens(
            Arc::new(LocalInvoker {
                adapters: adapters.clone(),
                db: db.clone(),
            }),
            sink,
            tokens,
        );
        let machine = local_definition(&pipeline)?;
        let background = vec![
            tokio::spawn(dispatch(adapters.clone(), receiver)),
            tokio::spawn(probe(adapters.clone())),
            tokio::spawn(evaluate_alarms(adapters.clone())),
        ];
        Ok(Self {
            machine_arn: machine_arn(&pipeline.name),
            adapters,
            pipeline_file: pipeline_file.to_path_buf(),
            state_dir,
            db,
            interpreter,
            machine,
            progress,
            background,
            stop_all: Arc::new(watch::channel(None).0),
        })
    }

    pub(crate) fn machine(&self) -> &StateMachine {
        &self.machine
    }

    pub(crate) fn machine_arn(&self) -> &str {
        &self.machine_arn
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.adapters.pipeline
    }

    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The directory (or git work tree) the source snapshots come from.
    pub fn source_dir(&self) -> &Path {
        self.adapters.source.dir()
    }

    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }

    pub fn store(&self) -> &FsArtifactStore {
        &self.adapters.store
    }

    pub fn deployer(&self) -> &LocalDeployer {
        &self.adapters.deployer
    }

    /// The local metric store (what `PutMetricData` writes to locally).
    pub fn metrics(&self) -> &SqliteMetrics {
        &self.adapters.metrics
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// Invokes a stage function with a payload as the state machine sends it, the way `aws
    /// lambda invoke` does: for tools and tests that drive one handler at a time.
    pub async fn invoke(&self, function: &str, payload: Value) -> Result<Value, StatesError> {
        let invoker = LocalInvoker {
            adapters: self.adapters.clone(),
            db: self.db.clone(),
        };
        let call = TaskCall {
            resource: function_arn(function),
            state_name: function.to_string(),
            input: payload,
            task_token: None,
            context: Context::fixed(Value::Null),
            retry_count: 0,
            role_arn: None,
        };
        invoker.invoke(call).await
    }

    pub fn stopper(&self) -> Stopper {
        Stopper(self.stop_all.clone())
    }

    /// Runs one execution to its end and records it.
    pub async fn run(&self, revision: Option<String>, variables: Map<String, Value>) -> Result<ExecutionRecord, LocalError> {
        self.run_as(execution_id(), revision, variables, None).await
    }

    /// [`Self::run`] under an id chosen beforehand ([`execution_record::execution_id`]), for
    /// callers that announce the execution before it ends, with what triggered it.
    pub async fn run_as(
        &self,
        id: String,
        revision: Option<String>,
        variables: Map<String, Value>,
        trigger: Option<Value>,
    ) -> Result<ExecutionRecord, LocalError> {
        let mut input = json!({ "revision": revision, "variables": variables });
        if let Some(t) = trigger {
            input["trigger"] = t;
        }
        let spec = ExecutionSpec {
            state_machine_arn: self.machine_arn.clone(),
            execution_name: id.clone(),
            input: input.clone(),
            // Baton builds this input itself: nobody wrote its text.
            input_text: None,
            workflow: baton_asl::Workflow::Standard,
        };
        let started = Utc::now().to_rfc3339();
        // With its runner in one transaction: another process reconciling lost runners must
        // never see this execution without it.
        let definition = synth::to_json(self.pipeline());
        let digest = hex::encode(Sha256::digest(definition.as_bytes()));
        self.db.immediate(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO definitions (digest, definition) VALUES (?1, ?2)",
                params![digest, definition],
            )
            .map_err(LocalError::sql)?;
            let record = status::Started {
                id: &id,
                pipeline: &self.pipeline().name,
                arn: &spec.execution_arn(),
                started_at: &started,
                input: &input.to_string(),
                definition: &digest,
            };
            status::start(tx, &record)?;
            crate::execution::runners::claim(tx, &id)
        })?;
        if let Err(e) = self
            .adapters
            .metrics
            .put(&[metrics::datum(
                "ExecutionStarted",
                1.0,
                "Count",
                metrics::pipeline_dims(&self.pipeline().name),
            )])
            .await
        {
            tracing::warn!(error = %e, "could not record the execution metric");
        }
        self.drive(&spec, started, Start::Fresh).await
    }

    /// Runs an execution whose row and runner are recorded (new, resumed or redriven) to its
    /// end, then records the end and what it published.
    pub(crate) async fn drive(&self, spec: &ExecutionSpec, started: String, start: Start<'_>) -> Result<ExecutionRecord, LocalError> {
        let id = spec.execution_name.clone();
        // Without an inbox the run still works; only its approvals cannot be answered.
        let (stop_requests, stops) = mpsc::unbounded_channel();
        let inbox = crate::coordination::inbox::Inbox::open(&self.state_dir, &id, self.adapters.bus.clone(), stop_requests)
            .inspect_err(|e| tracing::warn!(error = %e, "no inbox: approvals of this run cannot be answered"))
            .ok();
        let mut stops = Stops::new(stops, self.stop_all.subscribe());
        let (to_interpreter, interpreter_stops) = mpsc::unbounded_channel();
        let execution = async {
            match start {
                Start::Fresh => self.interpreter.execute_until(&self.machine, spec, interpreter_stops).await,
                Start::Resume(from) => self.interpreter.resume(&self.machine, spec, from, interpreter_stops).await,
                Start::Redrive(from) => self.interpreter.redrive(&self.machine, spec, from, interpreter_stops).await,
            }
        };
        tokio::pin!(execution);
        let outcome = loop {
            tokio::select! {
                outcome = &mut execution => break outcome,
                request = stops.next() => {
                    let error = (!request.abandon).then(|| request.error.clone());
                    let _ = to_interpreter.send(request);
                    // Waits that are not work in progress would hold a stop-and-wait up.
                    if let Some(e) = error {
                        let released = abandon::release_waits(&self.adapters.pending, &self.adapters.callbacks, &id, (&e.error, &e.cause)).await;
                        if let Err(e) = released {
                            tracing::warn!(execution_id = %id, error = %e, "could not end the execution's approvals and stage waits");
                        }
                    }
                }
            }
        };
        let record = self.conclude(&id, started, &outcome, inbox).await?;
        stops.answer(record.status.as_str());
        Ok(record)
    }

    /// What follows an execution's end: its stage lanes and waits released, what it left
    /// running stopped, its record written, its figures published.
    pub(crate) async fn conclude(
        &self,
        id: &str,
        started: String,
        outcome: &ExecutionOutcome,
        inbox: Option<crate::coordination::inbox::Inbox>,
    ) -> Result<ExecutionRecord, LocalError> {
        let id = id.to_string();
        // Its stage passes to whoever waits, before the inbox closes on anything addressed to it.
        let mode = self.pipeline().execution_mode;
        if let Err(e) = self.adapters.lanes.leave(&self.pipeline().name, &id, mode).await {
            tracing::warn!(execution_id = %id, error = %e, "could not leave the stage lanes");
        }
        drop(inbox);
        // What the execution started and no longer waits for (a build) is stopped, as the
        // events function does on AWS when Step Functions reports the execution's end.
        let ended = Event::ExecutionEnded {
            execution_id: id.clone(),
            status: outcome.status.as_str().to_string(),
        };
        if let Err(e) = events::handle(self.adapters.event_ports(), ended).await {
            tracing::warn!(execution_id = %id, error = %e, "could not stop what the execution left running");
        }
        // An approval that timed out still has its entry; nobody can answer it any more.
        for w in crate::coordination::inbox::waiting(&self.db, &id)? {
            self.db.pending_take(&approval::key(&id, &w.action))?;
        }
        let record = ExecutionRecord::finish(&id, &self.pipeline().name, started, outcome);
        let commit = outcome
            .output
            .as_ref()
            .and_then(|o| o["source"]["commit_id"].as_str().map(str::to_string));
        let ended = status::Ended {
            status: record.status,
            ended_at: &record.ended_at,
            output: outcome.output.as_ref().map(Value::to_string),
            error: record.error.as_deref(),
            cause: record.cause.as_deref(),
            commit,
        };
        if !status::end(&self.db.lock(), &id, &ended)? {
            tracing::warn!(execution_id = %id, status = %record.status, "the execution had already been ended as one whose runner was lost; its record is left as it was");
        }
        if let Err(e) = crate::execution::runners::release(&self.db, &id) {
            tracing::warn!(execution_id = %id, error = %e, "could not release the execution's runner record");
        }
        let dims = metrics::pipeline_dims(&self.pipeline().name);
        let outcome_name = match (outcome.status, record.status) {
            (ExecutionStatus::Succeeded, _) => "ExecutionSucceeded",
            (_, PipelineStatus::Superseded) => "ExecutionSuperseded",
            _ => "ExecutionFailed",
        };
        let took = chrono::DateTime::parse_from_rfc3339(&record.started_at)
            .map_or(0.0, |s| (Utc::now() - s.with_timezone(&Utc)).num_milliseconds() as f64);
        let data = [
            metrics::datum(outcome_name, 1.0, "Count", dims.clone()),
            metrics::datum("ExecutionDuration", took, "Milliseconds", dims),
        ];
        let mut data = data.to_vec();
        data.extend(execution_record::stage_datums(&self.db, &self.pipeline().name, &id));
        data.extend(execution_record::dora_datums(&self.db, &self.pipeline().name));
        if let Err(e) = self.adapters.metrics.put(&data).await {
            tracing::warn!(error = %e, "could not record the execution metric");
        }
        Ok(record)
    }

    /// Stops every process the pipeline's deployment groups run.
    pub async fn teardown(&self) -> Result<usize, LocalError> {
        let mut stopped = 0;
        for group in self.pipeline().groups.keys() {
            stopped += self.adapters.deployer.teardown(group).await?;
        }
        Ok(stopped)
    }
}

/// The ARN a local pipeline's state machine runs under (its `$$.StateMachine.Id`).
pub fn machine_arn(pipeline: &str) -> String {
    local_arn("states", &format!("stateMachine:{pipeline}"))
}
