//! `baton artifacts`: the stored versions of a pipeline's artifacts — list, show, get, diff, gc.

use std::path::Path;
use std::sync::Arc;

use baton_local::artifacts::FsArtifactStore;
use baton_local::artifacts::diff::Change;
use baton_local::db::Db;

use crate::Usage;
use crate::cli::ArtifactsCommand;
use crate::locate::stored_version;
use crate::out::println;

pub(crate) fn run(command: ArtifactsCommand, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let name = baton_core::load_pipeline(&file)?.name;
    let dir = crate::locate::state_dir(&file, state_dir);
    let db_file = dir.join("baton.db");
    if !db_file.exists() {
        anyhow::bail!(Usage(format!(
            "no artifacts yet in {}; start a run with `baton run`",
            dir.display()
        )));
    }
    let store = FsArtifactStore::new(&dir, Arc::new(Db::open(&db_file)?));
    match command {
        ArtifactsCommand::List { name: artifact, json } => {
            let all = store.list(&name, artifact.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for m in &all {
                    println!(
                        "{:<16} {:>9}  {:>5} files  {}  {}  {}",
                        m.artifact.to_string(),
                        human(m.size),
                        m.file_count,
                        &m.artifact.digest[..m.artifact.digest.len().min(19)],
                        m.provenance.action,
                        m.created_at
                    );
                }
            }
        }
        ArtifactsCommand::Show { artifact, json } => {
            let m = stored_version(&store, &name, &artifact)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                let p = &m.provenance;
                let inputs: Vec<String> = p.inputs.iter().map(ToString::to_string).collect();
                println!("{}  {}", m.artifact, m.artifact.digest);
                println!(
                    "  {} files, {}, stored {}",
                    m.file_count,
                    human(m.size),
                    crate::style::when(&m.created_at)
                );
                println!(
                    "  made by {} in execution {}{}",
                    p.action,
                    p.execution_id,
                    p.build_id.as_ref().map(|b| format!(" (build {b})")).unwrap_or_default()
                );
                println!("  commit {}", p.commit_id.as_deref().unwrap_or("-"));
                if !inputs.is_empty() {
                    println!("  from {}", inputs.join(", "));
                }
            }
        }
        ArtifactsCommand::Get { artifact, output } if output.extension().is_some_and(|e| e == "zip") => {
            let m = stored_version(&store, &name, &artifact)?;
            let b = store.bundle(&name, &m.artifact, &output)?;
            let size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or_default();
            println!(
                "{} ({} files, {}, digest verified) → {} ({}, reproducible)",
                m.artifact,
                b.files,
                human(b.bytes),
                output.display(),
                human(size)
            );
        }
        ArtifactsCommand::Get { artifact, output } => {
            let m = stored_version(&store, &name, &artifact)?;
            if output.exists() && std::fs::read_dir(&output)?.next().is_some() {
                anyhow::bail!(Usage(format!("{} is not empty; give a new or empty directory", output.display())));
            }
            let fetching = crate::progress::spinner(format!("fetching {} and verifying its digest", m.artifact));
            store.fetch(&name, &m.artifact, &output)?;
            fetching.finish_and_clear();
            println!("{} ({} files, digest verified) → {}", m.artifact, m.file_count, output.display());
        }
        ArtifactsCommand::Gc { keep, dry_run, json } => {
            let collecting = crate::progress::spinner("finding the versions nothing needs");
            let report = store.gc(&name, keep, dry_run)?;
            collecting.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let verb = if dry_run { "would remove" } else { "removed" };
                for a in &report.removed {
                    println!("{verb} {a}");
                }
                for (a, why) in &report.pinned {
                    println!("kept {a}: {why}");
                }
                println!(
                    "{verb} {} version(s), {}{}",
                    report.removed.len(),
                    human(report.freed_bytes),
                    if report.orphans > 0 {
                        format!(", and {} orphaned director(ies) left by a crash", report.orphans)
                    } else {
                        String::new()
                    }
                );
            }
        }
        ArtifactsCommand::Diff { before, after, json } => {
            let (a, b) = (stored_version(&store, &name, &before)?, stored_version(&store, &name, &after)?);
            let changes = store.diff(&name, &a.artifact, &b.artifact)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&changes)?);
            } else if changes.is_empty() {
                println!("{} and {} hold the same files", a.artifact, b.artifact);
            } else {
                for c in &changes {
                    let (mark, sizes) = match c.change {
                        Change::Added => ("+", human(c.size_after.unwrap_or_default())),
                        Change::Removed => ("-", human(c.size_before.unwrap_or_default())),
                        Change::Changed => (
                            "~",
                            format!(
                                "{} → {}",
                                human(c.size_before.unwrap_or_default()),
                                human(c.size_after.unwrap_or_default())
                            ),
                        ),
                    };
                    println!("{mark} {:<48} {sizes}", c.path);
                }
            }
        }
    }
    Ok(0)
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}
