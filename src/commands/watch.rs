//! `baton watch`: a line per trigger decision and per finished execution, until Ctrl-C.

use std::path::Path;
use std::sync::Arc;

use baton_core::stages::lambda_error::readable_cause;
use baton_local::watch::{WatchEvent, Watcher};
use baton_local::{LocalRuntime, RuntimeOptions};

use crate::out::println;
use crate::style;

pub(crate) async fn run(pipeline: &Path, state_dir: Option<&Path>, vars: Vec<(String, String)>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let options = RuntimeOptions {
        state_dir: state_dir.map(Path::to_path_buf),
        working_tree: false,
    };
    let runtime = Arc::new(LocalRuntime::open(&file, options).await?);
    let variables = crate::commands::run::start_variables(runtime.pipeline(), &vars)?;
    let watcher = Watcher::new(runtime.clone(), variables).await?;
    println!(
        "{}Watching {}{} · {} · {} mode · state in {}",
        style::BOLD.render(),
        runtime.pipeline().name,
        style::BOLD.render_reset(),
        runtime.source_dir().display(),
        runtime.pipeline().execution_mode.as_str(),
        runtime.state_dir().display()
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watching = tokio::spawn(watcher.run(tx));
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(e) => show(&e),
                None => break,
            },
            ended = &mut watching => {
                // The watcher only returns on an error it cannot get past (the repository went away).
                ended??;
                break;
            }
            _ = tokio::signal::ctrl_c() => {
                println!("stopped watching; executions still running were cut short and stay RUNNING in `baton history`");
                break;
            }
        }
    }
    Ok(0)
}

fn show(event: &WatchEvent) {
    let now = chrono::Local::now().format("%H:%M:%S");
    let dim = |s: &str| format!("{}{s}{}", style::DIM.render(), style::DIM.render_reset());
    match event {
        WatchEvent::Watching { push, schedules } => {
            println!("  push: {push}");
            for s in schedules {
                println!("  schedule: {s}");
            }
        }
        WatchEvent::Started {
            execution_id,
            trigger,
            why,
            ..
        } => println!("{now} {trigger} → execution {execution_id} {}", dim(&format!("({why})"))),
        WatchEvent::Skipped { trigger, why } => println!("{now} {trigger} → nothing {}", dim(&format!("({why})"))),
        WatchEvent::Finished(r) => {
            let s = style::status(r.status.as_str());
            let mut line = format!("{now} execution {} {}{}{}", r.id, s.render(), r.status, s.render_reset());
            if let (Some(e), Some(c)) = (&r.error, &r.cause) {
                line.push_str(&format!(": {e}: {}", readable_cause(c)));
            }
            println!("{line}");
        }
        WatchEvent::Problem(p) => println!("{now} {}{p}{}", style::FAIL.render(), style::FAIL.render_reset()),
    }
}
