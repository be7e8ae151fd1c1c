//! # baton
//!
//! The `baton` command line. It parses arguments, sets up logging and hands each command to
//! its module in [`commands`]; all the work happens in `baton-core` and `baton-local`.
//!
//! ## Layout
//!
//! - [`cli`]: the commands and flags (the command groups' subcommands in `cli/subcommands.rs`).
//! - [`commands`]: one module per command.
//! - [`locate`]: resolving the pipeline file and state directory; [`json_input`]: JSON files
//!   named on the command line, refused with file:line:column.
//! - [`style`]: colours and one-line summaries; [`out`]: stdout that outlives a closed pipe;
//!   [`progress`]: spinners for long operations.
//! - [`ui`]: `baton ui`, the local web console.
//! - [`exit`]: the exit code an error ends `baton` with.

mod cli;
mod commands;
mod exit;
mod json_input;
mod locate;
mod out;
mod progress;
mod stack;
mod style;
mod ui;

use std::io::IsTerminal;
use std::process::ExitCode;

use baton_local::Continuation;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};
pub(crate) use crate::exit::Usage;

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(color);
    if std::env::var("BATON_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let state_dir = cli.state_dir.as_deref();
    let remote = cli.remote();
    let stack = remote.as_ref();
    if let Some(remote) = stack
        && !cli.command.takes_stack()
    {
        return report(Err(anyhow::Error::new(Usage(format!(
            concat!(
                "{flag}: ",
                cli::stack_commands!(),
                " act on a deployed stack; this command reads this machine's state only"
            ),
            flag = remote.flag()
        )))));
    }
    // Said before anything else a command checks: a stack command also reads the pipeline
    // file, and a missing one is not what stands in the way.
    #[cfg(not(feature = "aws"))]
    if let Some(remote) = stack {
        return report(Err(stack::without_aws(remote)));
    }
    let result = match cli.command {
        Command::Run {
            project,
            source_revision,
            vars,
            json,
            logs,
            ..
        } if let Some(stack) = stack => {
            let args = commands::run_stack::StackRun {
                pipeline: &project.pipeline(),
                stack,
                revision: source_revision,
                vars: &vars,
                json,
                logs,
            };
            commands::run_stack::run(args).await
        }
        Command::Run {
            project,
            source_revision,
            vars,
            working_tree,
            json,
            logs,
        } => {
            let args = commands::run::RunArgs {
                pipeline: &project.pipeline(),
                state_dir,
                start: commands::run::Start::New {
                    revision: source_revision,
                    vars,
                },
                working_tree,
                json,
                logs,
            };
            commands::run::run(args).await
        }
        Command::Resume { execution, pipeline, json } => {
            commands::run::carry_on(&pipeline.path, state_dir, execution, Continuation::Resume, json).await
        }
        Command::Retry {
            execution,
            failed_only,
            pipeline,
            json,
        } => match stack {
            Some(stack) => commands::retry::on_stack(&execution, failed_only, &pipeline.path, stack).await,
            None => {
                let how = Continuation::Retry { failed_only };
                commands::run::carry_on(&pipeline.path, state_dir, Some(execution), how, json).await
            }
        },
        Command::Watch { project, vars } => commands::watch::run(&project.pipeline(), state_dir, vars).await,
        Command::Synth {
            project,
            output,
            sam: Some(dir),
            functions,
        } => {
            let _ = output; // clap refuses it beside --sam
            commands::synth::sam(&project.pipeline(), &dir, functions.as_deref())
        }
        Command::Synth { project, output, .. } => commands::synth::run(&project.pipeline(), output.as_deref()),
        Command::Validate { files, kind } => commands::validate::run(&files, kind),
        Command::History {
            project,
            limit,
            status,
            search,
            json,
        } => {
            let filter = commands::history::Filter {
                status: status.as_deref(),
                search: search.as_deref(),
            };
            commands::history::run(&project.pipeline(), state_dir, stack, filter, limit, json).await
        }
        Command::Status { execution, pipeline, json } => {
            commands::status::run(execution.as_deref(), &pipeline.path, state_dir, stack, json).await
        }
        Command::Replay { execution, pipeline, json } => commands::replay::run(&execution, &pipeline.path, state_dir, stack, json).await,
        Command::Cost {
            execution,
            pipeline,
            invocation_ms,
            json,
        } => {
            let place = commands::cost::Place { state_dir, stack };
            commands::cost::run(execution.as_deref(), &pipeline.path, place, invocation_ms, json).await
        }
        Command::Approve {
            execution,
            action,
            reject,
            comment,
            pipeline,
        } => {
            let answer = commands::approve::Answer {
                execution: &execution,
                action: action.as_deref(),
                reject,
                comment,
            };
            commands::approve::run(answer, &pipeline.path, state_dir, stack).await
        }
        Command::Stop {
            execution,
            reason,
            abandon,
            pipeline,
        } => {
            let args = commands::stop::StopArgs {
                execution: &execution,
                reason: reason.as_deref(),
                abandon,
            };
            commands::stop::run(args, &pipeline.path, state_dir, stack).await
        }
        Command::Logs {
            execution,
            action,
            follow,
            pipeline,
        } => commands::logs::run(execution.as_deref(), action.as_deref(), follow, &pipeline.path, state_dir, stack).await,
        Command::Ui {
            port,
            bind,
            token,
            hosts,
            pipeline,
        } => ui::run(&pipeline.path, state_dir, stack, ui::UiOptions { port, bind, token, hosts }).await,
        Command::StopDeployment {
            deployment,
            rollback,
            no_rollback,
            reason,
            pipeline,
        } => {
            let rollback = (rollback || no_rollback).then_some(rollback);
            commands::stop_deployment::run(&deployment, rollback, reason.as_deref(), &pipeline.path, state_dir, stack).await
        }
        Command::Rollback { group, to, pipeline } => commands::rollback::run(&group, to.as_deref(), &pipeline.path, state_dir, stack).await,
        Command::Down { project } => commands::down::run(&project.pipeline(), state_dir).await,
        Command::Asl { command } => commands::asl::run(command).await,
        Command::Artifacts { command, pipeline } => commands::artifacts::run(command, &pipeline, state_dir),
        Command::Params { command, pipeline } => commands::params::run(command, &pipeline, state_dir),
        Command::Alarm { command } => commands::alarm::run(command),
        Command::Analysis { command } => commands::analysis::run(command),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Into a buffer first: clap_complete panics on a write error, `out` does not.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "baton", &mut script);
            out::print!("{}", String::from_utf8_lossy(&script));
            Ok(0)
        }
        Command::Metrics {
            name,
            pipeline,
            dimensions,
            statistic,
            period,
            since,
            json,
        } => {
            let q = commands::metrics::Query {
                name,
                dimensions,
                statistic,
                period,
                since,
                json,
            };
            commands::metrics::run(&pipeline.path, state_dir, stack, q).await
        }
    };
    report(result)
}

/// The exit code a command's result ends `baton` with, its error said on stderr.
fn report(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            anstream::eprintln!("{}error{}: {e:#}", style::FAIL.render(), style::FAIL.render_reset());
            ExitCode::from(exit::code(&e))
        }
    }
}
