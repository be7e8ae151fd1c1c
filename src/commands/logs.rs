//! `baton logs`: the build logs of an execution, whole or followed live as `tail -f` would,
//! locally or (`--stack`) from CodeBuild and CloudWatch Logs.

use std::collections::HashMap;
use std::path::Path;

use baton_core::operations::{BuildRef, LogCursor, Operations};
use baton_core::pipeline_status::PipelineStatus;

use crate::out::{print, println};
use crate::{Usage, style};

fn wanted(action: Option<&str>) -> impl Fn(&BuildRef) -> bool + '_ {
    move |b| action.is_none_or(|a| b.action == a || b.action.rsplit(':').next() == Some(a))
}

pub(crate) async fn run(
    execution: Option<&str>,
    action: Option<&str>,
    live: bool,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
) -> anyhow::Result<u8> {
    // `baton logs DIR` names the pipeline, as `status DIR` does.
    let (pipeline, execution) = crate::locate::pipeline_and_execution(pipeline, execution);
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let exec = ops.execution(execution).await?.execution;
    // A deploy action's log is its deployments' lifecycle events and hook output.
    if let Some(a) = action {
        let model = baton_core::load_pipeline(&crate::locate::pipeline_file(pipeline)?)?;
        if let Some((full, group)) = super::deploy_logs::deploy_action(&model, a) {
            super::deploy_logs::print(ops.as_ref(), &full, group, &exec.id).await?;
            return Ok(0);
        }
    }
    if live {
        follow(ops.as_ref(), &exec.id, action).await?;
        return Ok(0);
    }
    let all = ops.builds(&exec.id).await?;
    let builds: Vec<&BuildRef> = all.iter().filter(|b| wanted(action)(b)).collect();
    if builds.is_empty() {
        anyhow::bail!(Usage(match action {
            Some(a) if !all.is_empty() => {
                let built: std::collections::BTreeSet<&str> = all.iter().map(|b| b.action.as_str()).collect();
                let built: Vec<&str> = built.into_iter().collect();
                format!(
                    "execution {} has no build for action `{a}`; its builds: {}",
                    exec.id,
                    built.join(", ")
                )
            }
            Some(a) => format!("execution {} has no build for action `{a}`: it has run no builds", exec.id),
            None => format!("execution {} has run no builds", exec.id),
        }));
    }
    for b in builds {
        println!(
            "{}==> {} · {} · {}{}",
            style::BOLD.render(),
            b.action,
            b.status,
            b.id,
            style::BOLD.render_reset()
        );
        // A log is read to its end: locally one read, on AWS a page of events at a time.
        let mut cursor = LogCursor::default();
        loop {
            let chunk = ops.build_log(b, &cursor).await?;
            print!("{}", chunk.text);
            if chunk.text.is_empty() || chunk.next == cursor {
                break;
            }
            cursor = chunk.next;
        }
    }
    Ok(0)
}

/// Prints every build of the execution as it appears and grows, each line prefixed with its
/// action (parallel builds interleave), until the execution has ended and every log is read to
/// its end. Locally the files are read every 200 ms, as `tail -f` does; on AWS every 2 s.
pub(crate) async fn follow(ops: &dyn Operations, execution_id: &str, action: Option<&str>) -> anyhow::Result<()> {
    let mut cursors: HashMap<String, LogCursor> = HashMap::new();
    loop {
        let running = ops.status(execution_id).await? == PipelineStatus::Running;
        let mut read_any = false;
        for b in ops.builds(execution_id).await?.into_iter().filter(wanted(action)) {
            let cursor = cursors.entry(b.id.clone()).or_default();
            let chunk = ops.build_log(&b, cursor).await?;
            if !chunk.text.is_empty() {
                read_any = true;
                for line in chunk.text.lines() {
                    println!("{}{:<24}{} │ {line}", style::DIM.render(), b.action, style::DIM.render_reset());
                }
            }
            *cursor = chunk.next;
        }
        // Nobody reads on (`baton logs -f … | head`): following further would print nothing.
        if (!running && !read_any) || crate::out::closed() {
            return Ok(());
        }
        if !read_any {
            tokio::time::sleep(ops.follow_every()).await;
        }
    }
}
