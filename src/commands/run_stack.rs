//! `baton run --stack NAME`: an execution started on a deployed stack as a push starts one, and
//! followed with the local run's display, fed from its Step Functions history as it grows.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use baton_core::operations::Operations;
use baton_core::pipeline_status::PipelineStatus;
use baton_core::stages::lambda_error::readable_cause;
use baton_local::Progress;
use tokio::sync::broadcast;

use crate::out::println;
use crate::{Usage, style};

/// How often the history is read while the execution runs.
const POLL: Duration = Duration::from_secs(2);

/// What `--stack` runs.
pub(crate) struct StackRun<'a> {
    pub pipeline: &'a Path,
    pub stack: &'a crate::stack::Remote,
    pub revision: Option<String>,
    pub vars: &'a [(String, String)],
    pub json: bool,
    /// Stream the build logs (CloudWatch Logs) while the pipeline runs.
    pub logs: bool,
}

pub(crate) async fn run(args: StackRun<'_>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(args.pipeline)?;
    let model = baton_core::load_pipeline(&file)?;
    let Some(commit) = args.revision else {
        anyhow::bail!(Usage(format!(
            "{}: give the commit to run with --source-revision COMMIT (a push to the stack's repository starts one by itself)",
            args.stack.flag()
        )));
    };
    let variables = super::run::start_variables(&model, args.vars)?;
    let (ops, id) = crate::stack::start(args.stack, &file, commit, variables).await?;
    let ops: Arc<dyn Operations> = Arc::from(ops);
    let locate = format!(" {} --pipeline {}", args.stack.flag(), args.pipeline.display());
    if !args.json {
        println!(
            "{}Pipeline {}{} · {} · execution {id}",
            style::BOLD.render(),
            model.name,
            style::BOLD.render_reset(),
            args.stack
        );
    }
    let approvals = super::run::approval_states(&model);
    let (events, display_events) = broadcast::channel(4096);
    // No ticker beside streamed logs, as locally: their lines would cut into it.
    let ticker = !args.logs;
    let display = (!args.json).then(|| tokio::spawn(super::run::show_progress(display_events, approvals, locate.clone(), ticker)));
    let logs = (args.logs && !args.json).then(|| {
        let (ops, id) = (ops.clone(), id.clone());
        tokio::spawn(async move {
            if let Err(e) = super::logs::follow(ops.as_ref(), &id, None).await {
                eprintln!("  (build logs stopped: {e})");
            }
        })
    });
    // Ctrl-C stops following, not the execution: it runs on AWS whether this watches or not.
    let interrupted = tokio::spawn(tokio::signal::ctrl_c());
    let mut seen = 0;
    let history = loop {
        let history = ops.history(&id).await?;
        let last = seen;
        for event in history.events.iter().filter(|e| e.id > last) {
            seen = event.id;
            let _ = events.send(Progress {
                execution_id: id.clone(),
                event: event.clone(),
            });
        }
        if history.execution.status != PipelineStatus::Running {
            break history;
        }
        if interrupted.is_finished() {
            println!(
                "\n  still running on AWS; follow it with `baton status {id}{locate}`, stop it with `baton stop {id} --abandon{locate}`"
            );
            return Ok(130);
        }
        tokio::time::sleep(POLL).await;
    };
    interrupted.abort();
    drop(events);
    // The logs' last lines are read once the execution has ended.
    if let Some(l) = logs
        && tokio::time::timeout(POLL * 3, l).await.is_err()
    {
        eprintln!("  (build logs: the last lines were not read in time)");
    }
    if let Some(mut d) = display
        && tokio::time::timeout(Duration::from_secs(2), &mut d).await.is_err()
    {
        d.abort();
    }
    let exec = history.execution;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&exec)?);
    } else {
        let s = style::status(exec.status.as_str());
        println!();
        println!("Execution {} {}{}{}", exec.id, s.render(), exec.status, s.render_reset());
        if let (Some(e), Some(c)) = (&exec.error, &exec.cause) {
            println!("  {}{e}{}: {}", style::FAIL.render(), style::FAIL.render_reset(), readable_cause(c));
        }
        println!("  details: baton status {}{locate}", exec.id);
    }
    Ok(super::run::exit_code(exec.status))
}
