//! `baton run`: one execution with a live, line-per-event progress display; `baton resume` and
//! `baton retry` carry an unfinished one on with the same display. `baton run` first resumes
//! the pipeline's executions whose runner died, so none is left behind holding a stage.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::Path;
use std::time::Instant;

use anstream::eprintln;
use baton_asl::Owners;
use baton_core::model::{ActionKind, state_name};
use baton_core::stages::error_types;
use baton_core::stages::lambda_error::readable_cause;
use baton_local::execution::continuation::Plan;
use baton_local::operations::LocalOperations;
use baton_local::{Continuation, ExecutionRecord, LocalRuntime, PipelineStatus, Progress, RuntimeOptions};
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::out::println;
use crate::{Usage, style};

pub(crate) struct RunArgs<'a> {
    pub pipeline: &'a Path,
    pub state_dir: Option<&'a Path>,
    pub start: Start,
    pub working_tree: bool,
    pub json: bool,
    /// Stream the build logs while the pipeline runs.
    pub logs: bool,
}

/// What to run.
pub(crate) enum Start {
    New {
        revision: Option<String>,
        vars: Vec<(String, String)>,
    },
    /// One execution (an id or unique prefix), or with `None` every interrupted one.
    CarryOn { execution: Option<String>, how: Continuation },
}

pub(crate) async fn run(args: RunArgs<'_>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(args.pipeline)?;
    let options = RuntimeOptions {
        state_dir: args.state_dir.map(Path::to_path_buf),
        working_tree: args.working_tree,
    };
    let runtime = LocalRuntime::open(&file, options).await?;
    if !args.json {
        println!(
            "{}Pipeline {}{} · {} · state in {}",
            style::BOLD.render(),
            runtime.pipeline().name,
            style::BOLD.render_reset(),
            file.display(),
            runtime.state_dir().display()
        );
    }
    let carried: Vec<(String, Continuation)> = match &args.start {
        Start::CarryOn {
            execution: Some(prefix),
            how,
        } => {
            let exec = baton_local::query::execution(runtime.db(), Some(prefix))?.ok_or_else(|| {
                Usage(format!(
                    "no execution {prefix} in {}; `baton history` lists them",
                    runtime.state_dir().display()
                ))
            })?;
            // Checked before the display starts, so a refusal is one clear line.
            runtime.continuation(&exec.id, *how).map_err(|e| Usage(e.to_string()))?;
            vec![(exec.id, *how)]
        }
        Start::CarryOn { execution: None, how } => {
            let lost = runtime.interrupted()?;
            if lost.is_empty() {
                anyhow::bail!(Usage(
                    "no execution of this pipeline was interrupted; there is nothing to resume".into()
                ));
            }
            lost.into_iter().map(|id| (id, *how)).collect()
        }
        Start::New { .. } => runtime.interrupted()?.into_iter().map(|id| (id, Continuation::Resume)).collect(),
    };
    let mut code = 0;
    for (id, how) in carried {
        if !args.json {
            let verb = if how == Continuation::Resume { "Resuming" } else { "Retrying" };
            match runtime.continuation(&id, how)? {
                Plan::Continue(plan) => println!("{verb} execution {id} from {}", plan.state),
                Plan::Ended(_) => println!("{verb} execution {id}: it had ended before its runner died"),
            }
        }
        let record = one(&runtime, &args, runtime.carry_on(&id, how)).await?;
        code = code.max(summary(&runtime, &args, &record)?);
    }
    if let Start::New { revision, vars } = &args.start {
        let variables = start_variables(runtime.pipeline(), vars)?;
        // Who started it, for the history and the console's list.
        let trigger = serde_json::json!({ "type": "manual", "by": crate::locate::user() });
        let id = baton_local::execution::record::execution_id();
        let record = one(&runtime, &args, runtime.run_as(id, revision.clone(), variables, Some(trigger))).await?;
        code = summary(&runtime, &args, &record)?;
    }
    Ok(code)
}

/// The execution's variables from `--var`: as CodePipeline's given at start, each overrides a
/// declared variable; an undeclared one is a mistake, not something to pass along unseen.
pub(crate) fn start_variables(pipeline: &baton_core::Pipeline, vars: &[(String, String)]) -> anyhow::Result<Map<String, Value>> {
    let declared = &pipeline.variables;
    if let Some((name, _)) = vars.iter().find(|(name, _)| !declared.contains_key(name)) {
        let known = if declared.is_empty() {
            "pipeline.yml declares no variables".to_string()
        } else {
            format!("pipeline.yml declares {}", declared.keys().cloned().collect::<Vec<_>>().join(", "))
        };
        anyhow::bail!(Usage(format!("--var {name}: no such variable; {known}")));
    }
    Ok(vars.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

/// `baton resume` / `baton retry`.
pub(crate) async fn carry_on(
    pipeline: &Path,
    state_dir: Option<&Path>,
    execution: Option<String>,
    how: Continuation,
    json: bool,
) -> anyhow::Result<u8> {
    let args = RunArgs {
        pipeline,
        state_dir,
        start: Start::CarryOn { execution, how },
        working_tree: false,
        json,
        logs: false,
    };
    run(args).await
}

/// Runs one execution under the progress display, Ctrl-C stopping it.
async fn one(
    runtime: &LocalRuntime,
    args: &RunArgs<'_>,
    execution: impl Future<Output = Result<ExecutionRecord, baton_local::LocalError>>,
) -> anyhow::Result<ExecutionRecord> {
    let started = Instant::now();
    let approvals = approval_states(runtime.pipeline());
    let locate = reach(args);
    // No ticker beside streamed logs: their lines come from another task, and would cut into it.
    let ticker = !args.logs;
    let display = (!args.json).then(|| tokio::spawn(show_progress(runtime.subscribe(), approvals, locate, ticker)));
    let file = crate::locate::pipeline_file(args.pipeline)?;
    let logs = (args.logs && !args.json).then(|| {
        let (mut events, ops) = (runtime.subscribe(), LocalOperations::new(&file, runtime.state_dir()));
        tokio::spawn(async move {
            // The execution id is known once its first event is out.
            if let Ok(first) = events.recv().await
                && let Err(e) = crate::commands::logs::follow(&ops, &first.execution_id, None).await
            {
                eprintln!("  (build logs stopped: {e})");
            }
        })
    });
    // The first Ctrl-C stops the execution as `baton stop` does, so no build is left running
    // and the record says ABORTED; a second one quits at once.
    let stopper = runtime.stopper();
    let interrupt = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\n  stopping: the execution's builds are being stopped (Ctrl-C again quits at once)");
            stopper.stop(format!("interrupted (Ctrl-C) by {}", crate::locate::user()));
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let record = execution.await;
    interrupt.abort();
    let record = record?;
    if let Some(logs) = logs {
        // The follower ends by itself once it has read every log to its end.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), logs).await;
    }
    // The display ends at the execution's last event, its ticker cleared; the summary comes
    // after it. (A display that missed that event, lagging, is not waited for long.)
    if let Some(mut d) = display
        && tokio::time::timeout(std::time::Duration::from_secs(2), &mut d).await.is_err()
    {
        d.abort();
        let _ = d.await;
    }
    tracing::debug!(execution_id = %record.id, took_ms = started.elapsed().as_millis() as u64, "execution ended");
    Ok(record)
}

/// The states of the pipeline's approval actions: the display says how to answer each.
pub(crate) fn approval_states(pipeline: &baton_core::Pipeline) -> HashSet<String> {
    pipeline
        .actions()
        .filter(|(_, a)| matches!(a.kind, ActionKind::Approval { .. }))
        .map(|(s, a)| state_name(&s.name, &a.name))
        .collect()
}

/// The options that reach this run's state from any directory, repeated in the hints it prints
/// (a hint without the run's `--state-dir` would look elsewhere).
fn reach(args: &RunArgs<'_>) -> String {
    format!(" --pipeline {}{}", args.pipeline.display(), state_dir_option(args))
}

fn state_dir_option(args: &RunArgs<'_>) -> String {
    args.state_dir.map(|d| format!(" --state-dir {}", d.display())).unwrap_or_default()
}

/// Prints an execution's end; its exit code.
fn summary(runtime: &LocalRuntime, args: &RunArgs<'_>, record: &ExecutionRecord) -> anyhow::Result<u8> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(record)?);
    } else {
        let s = style::status(record.status.as_str());
        println!();
        println!(
            "Execution {} {}{}{} in {}",
            record.id,
            s.render(),
            record.status,
            s.render_reset(),
            style::duration(record.took_ms())
        );
        if let Some(e) = &record.error {
            let why = failure(e, record.cause.as_deref().unwrap_or_default());
            println!("  {}{e}{}{why}", style::FAIL.render(), style::FAIL.render_reset());
        }
        let running: Vec<_> = baton_local::query::instances(runtime.db(), &runtime.pipeline().name)?
            .into_iter()
            .filter(|i| i.running)
            .collect();
        if !running.is_empty() {
            println!(
                "  {} instance(s) serving: {}",
                running.len(),
                running
                    .iter()
                    .map(|i| format!("{}#{} 127.0.0.1:{}", i.group, i.index, i.port))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            println!(
                "  {}stop them with: baton down {}{}{}",
                style::DIM.render(),
                args.pipeline.display(),
                state_dir_option(args),
                style::DIM.render_reset()
            );
        }
        println!("  details: baton status {}{}", record.id, reach(args));
    }
    Ok(exit_code(record.status))
}

/// `baton run`'s exit code for how its execution ended.
pub(crate) fn exit_code(status: PipelineStatus) -> u8 {
    match status {
        PipelineStatus::Succeeded => 0,
        PipelineStatus::Superseded => 3,
        PipelineStatus::Aborted => 4,
        _ => 1,
    }
}

/// A stage wait shorter than this is not worth a word, on a line or in the ticker.
const NOTABLE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// What the ticker under the progress lines says: each state in progress and for how long.
fn in_progress(entered: &HashMap<String, Instant>, approvals: &HashSet<String>) -> String {
    let mut running: Vec<(&String, &Instant)> = entered.iter().collect();
    running.sort_by_key(|(_, since)| **since);
    let parts: Vec<String> = running
        .into_iter()
        .filter_map(|(name, since)| {
            let waited = since.elapsed();
            let took = style::duration(i64::try_from(waited.as_millis()).ok());
            Some(match baton_core::synth::gate_stage(name) {
                Some(_) if waited < NOTABLE_WAIT => return None,
                Some(stage) => format!("{stage} waits for its stage to be free {took}"),
                None if approvals.contains(name) => format!("{name} waits for approval {took}"),
                None => format!("{name} {took}"),
            })
        })
        .collect();
    parts.join(" · ")
}

pub(crate) async fn show_progress(mut events: broadcast::Receiver<Progress>, approvals: HashSet<String>, locate: String, ticker: bool) {
    // The states in progress tick under the lines on a terminal; every line is printed with the
    // ticker cleared first, so the two never mix.
    let bar = if ticker {
        crate::progress::spinner("")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(250));
    // Parallel branches interleave their events; each one is attributed to its state by
    // following `previousEventId` back to the state's `…StateEntered`.
    let mut owners: Owners<String> = Owners::default();
    let mut entered: HashMap<String, Instant> = HashMap::new();
    let mut results: HashMap<String, Value> = HashMap::new();
    // The event each action's state entered with: an exit right after it is a task that a
    // resumed or retried execution did not run again.
    let mut entered_event: HashMap<String, u64> = HashMap::new();
    // Events that are a failure: an exit right after one is a Catch's, already shown as ✖.
    let mut failures: HashSet<u64> = HashSet::new();
    let mut stage = String::new();
    // The execution this display follows: the first whose event it sees.
    let mut shown: Option<String> = None;
    macro_rules! show {
        ($($arg:tt)*) => {{
            // What runs now, before the ticker is redrawn under the new line.
            bar.set_message(in_progress(&entered, &approvals));
            bar.suspend(|| println!($($arg)*))
        }};
    }
    loop {
        let next = tokio::select! {
            next = events.recv() => next,
            _ = tick.tick() => {
                bar.set_message(in_progress(&entered, &approvals));
                continue;
            }
        };
        let p = match next {
            Ok(p) => p,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                bar.suspend(|| eprintln!("  ({n} progress events skipped)"));
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let e = &p.event;
        let execution = shown.get_or_insert_with(|| p.execution_id.clone());
        if *execution == p.execution_id
            && matches!(
                &*e.kind,
                "ExecutionSucceeded" | "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut"
            )
        {
            return;
        }
        let name = match e.state_name() {
            Some(n) if e.kind.ends_with("StateEntered") => {
                owners.enter(e, n.to_string());
                n.to_string()
            }
            _ => owners.follow(e).unwrap_or_default(),
        };
        let gate = baton_core::synth::gate_stage(&name);
        if e.is_failure() {
            failures.insert(e.id);
        }
        match &*e.kind {
            "TaskStateEntered" if gate.is_some() => {
                // The gate is the stage's header; it shows only when the stage made it wait.
                let this_stage = gate.unwrap_or_default().to_string();
                show!("{}{this_stage}{}", style::BOLD.render(), style::BOLD.render_reset());
                stage = this_stage;
                entered.insert(name, Instant::now());
            }
            "TaskStateExited" if gate.is_some() => {
                let waited = entered.remove(&name).map(|t| t.elapsed()).unwrap_or_default();
                if waited > NOTABLE_WAIT {
                    let took = style::duration(i64::try_from(waited.as_millis()).ok());
                    show!(
                        "  {}⏸ waited {took} for the stage to be free{}",
                        style::DIM.render(),
                        style::DIM.render_reset()
                    );
                }
            }
            "TaskFailed" if gate.is_some() && e.detail_text("error").as_deref() == Some(error_types::SUPERSEDED) => {
                let cause = e.detail_text("cause").unwrap_or_default();
                let cause = readable_cause(&cause);
                show!("  {}⤼ superseded{}: {cause}", style::WARN.render(), style::WARN.render_reset());
            }
            "TaskStateEntered" => {
                let this_stage = name.split(':').next().unwrap_or_default().to_string();
                if this_stage != stage && name.contains(':') {
                    show!("{}{this_stage}{}", style::BOLD.render(), style::BOLD.render_reset());
                    stage = this_stage;
                }
                show!("  {}▸ {name}{}", style::DIM.render(), style::DIM.render_reset());
                if approvals.contains(&name) {
                    show!(
                        "    {}waiting for approval: baton approve {}{locate} [--reject] [--comment TEXT]{}",
                        style::WARN.render(),
                        p.execution_id,
                        style::WARN.render_reset()
                    );
                }
                entered_event.insert(name.clone(), e.id);
                entered.insert(name, Instant::now());
            }
            "TaskStateExited" if entered_event.get(&name) == Some(&e.previous_event_id) => {
                entered.remove(&name);
                show!(
                    "  {}✔{} {name} {}succeeded before; not run again{}",
                    style::OK.render(),
                    style::OK.render_reset(),
                    style::DIM.render(),
                    style::DIM.render_reset()
                );
            }
            "TaskSucceeded" | "LambdaFunctionSucceeded" => {
                if let Some(out) = e.detail_text("output").and_then(|o| serde_json::from_str(&o).ok()) {
                    results.insert(name, out);
                }
            }
            "TaskStateExited" if failures.contains(&e.previous_event_id) => {
                entered.remove(&name);
            }
            "TaskStateExited" => {
                let took = entered
                    .remove(&name)
                    .map(|t| i64::try_from(t.elapsed().as_millis()).unwrap_or_default());
                let summary = style::result_summary(results.remove(&name).as_ref());
                show!(
                    "  {}✔{} {name} {}{}{} {summary}",
                    style::OK.render(),
                    style::OK.render_reset(),
                    style::DIM.render(),
                    style::duration(took),
                    style::DIM.render_reset()
                );
            }
            "TaskFailed" | "TaskTimedOut" | "LambdaFunctionFailed" | "LambdaFunctionTimedOut" => {
                let error = e.detail_text("error").unwrap_or_default();
                let why = failure(&error, &e.detail_text("cause").unwrap_or_default());
                show!("  {}✖ {name}{} {error}{why}", style::FAIL.render(), style::FAIL.render_reset());
            }
            "ParallelStateEntered" if name == baton_core::synth::ROLLBACK_STATE => {
                show!("{}Rollback{}", style::WARN.render(), style::WARN.render_reset());
                stage = name;
            }
            _ => {}
        }
        bar.set_message(in_progress(&entered, &approvals));
    }
}

/// What follows an error's name on a failure line: its cause, or for a timeout, which Step
/// Functions records with no cause, what the timeout means.
fn failure(error: &str, cause: &str) -> String {
    match (error, cause) {
        ("States.Timeout", "") => ": no answer within the state's TimeoutSeconds or HeartbeatSeconds".into(),
        (_, "") => String::new(),
        (_, cause) => format!(": {}", readable_cause(cause)),
    }
}
