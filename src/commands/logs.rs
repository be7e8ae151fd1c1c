//! `baton logs`: the build logs of an execution, whole or followed live as `tail -f` would.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use baton_local::db::Db;
use baton_local::query::{self, BuildRow};

use crate::out::{print, println};
use crate::{Usage, style};

pub(crate) async fn run(
    execution: Option<&str>,
    action: Option<&str>,
    live: bool,
    pipeline: &Path,
    state_dir: Option<&Path>,
) -> anyhow::Result<u8> {
    let (dir, db, exec) = crate::locate::execution(pipeline, state_dir, execution)?;
    // A deploy action's log is its deployments' lifecycle events and hook output.
    if let Some(a) = action {
        let (pipeline, _) = crate::locate::pipeline_and_execution(pipeline, execution);
        let model = baton_core::load_pipeline(&crate::locate::pipeline_file(pipeline)?)?;
        if super::deploy_logs::print_for(&dir, &db, &model, &exec.id, a)? {
            return Ok(0);
        }
    }
    if !live {
        let wanted = |b: &BuildRow| action.is_none_or(|a| b.action == a || b.action.rsplit(':').next() == Some(a));
        let all = query::builds(&db, &exec.id)?;
        let builds: Vec<&BuildRow> = all.iter().filter(|b| wanted(b)).collect();
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
            let text = std::fs::read(&b.log_path).unwrap_or_default();
            print!("{}", String::from_utf8_lossy(&text));
        }
        return Ok(0);
    }

    follow(&db, &exec.id, action).await?;
    Ok(0)
}

/// Prints every build of the execution as it appears and grows, each line prefixed with its
/// action (parallel builds interleave), until the execution has ended and every log is read to
/// its end. Checking the files every 200 ms is what `tail -f` does too.
pub(crate) async fn follow(db: &Db, execution_id: &str, action: Option<&str>) -> anyhow::Result<()> {
    let wanted = |b: &BuildRow| action.is_none_or(|a| b.action == a || b.action.rsplit(':').next() == Some(a));
    let mut offsets: HashMap<String, u64> = HashMap::new();
    loop {
        let running = query::execution(db, Some(execution_id))?.is_some_and(|e| e.status == baton_local::PipelineStatus::Running);
        let mut read_any = false;
        for b in query::builds(db, execution_id)?.into_iter().filter(wanted) {
            let offset = offsets.entry(b.id.clone()).or_default();
            let ended = b.ended_at.is_some();
            let (text, consumed) = new_lines(Path::new(&b.log_path), *offset, ended);
            if consumed > 0 {
                read_any = true;
                *offset += consumed;
                for line in text.lines() {
                    println!("{}{:<24}{} │ {line}", style::DIM.render(), b.action, style::DIM.render_reset());
                }
            }
        }
        // Nobody reads on (`baton logs -f … | head`): following further would print nothing.
        if (!running && !read_any) || crate::out::closed() {
            return Ok(());
        }
        if !read_any {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The complete lines after `offset` (everything, once the build has ended) and how many bytes
/// they span.
fn new_lines(path: &Path, offset: u64, ended: bool) -> (String, u64) {
    let mut bytes = Vec::new();
    let Ok(mut f) = std::fs::File::open(path) else {
        return (String::new(), 0);
    };
    if f.seek(SeekFrom::Start(offset)).is_err() || f.read_to_end(&mut bytes).is_err() {
        return (String::new(), 0);
    }
    let end = if ended {
        bytes.len()
    } else {
        bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
    };
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), end as u64)
}
