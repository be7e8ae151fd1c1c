//! Finding the pipeline file and the state directory from what the user typed.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use baton_core::operations::Operations;
use baton_core::ports::Manifest;
use baton_local::artifacts::FsArtifactStore;
use baton_local::db::Db;
use baton_local::operations::LocalOperations;
use baton_local::query::ExecutionRow;

/// Who runs this command, as approvals and stops record it.
pub(crate) fn user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// A directory means its `pipeline.yml`.
pub(crate) fn pipeline_file(path: &Path) -> anyhow::Result<PathBuf> {
    let file = if path.is_dir() {
        path.join("pipeline.yml")
    } else {
        path.to_path_buf()
    };
    if !file.is_file() {
        bail!(crate::Usage(format!(
            "no pipeline at {}: give a pipeline.yml or a directory that holds one",
            file.display()
        )));
    }
    std::path::absolute(&file).with_context(|| format!("resolving {}", file.display()))
}

/// `baton status examples/hello-app`: a pipeline where the execution goes, as `baton run
/// examples/hello-app` takes it, means that pipeline's latest execution.
pub(crate) fn pipeline_and_execution<'a>(pipeline: &'a Path, id: Option<&'a str>) -> (&'a Path, Option<&'a str>) {
    match id {
        Some(given) if pipeline == Path::new(".") && names_a_pipeline(Path::new(given)) => (Path::new(given), None),
        _ => (pipeline, id),
    }
}

/// A directory that holds a pipeline.yml, or a YAML file: never an execution id.
fn names_a_pipeline(path: &Path) -> bool {
    path.join("pipeline.yml").is_file() || (path.is_file() && path.extension().is_some_and(|e| e == "yml" || e == "yaml"))
}

pub(crate) fn state_dir(pipeline_file: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(|| baton_local::runtime::default_state_dir(pipeline_file), Path::to_path_buf)
}

/// An execution (by id or unique id prefix; `None` is the latest), with the state directory and
/// the database that hold it. Missing state or an unknown id is a usage error that says where
/// Baton looked.
pub(crate) fn execution(pipeline: &Path, explicit: Option<&Path>, id: Option<&str>) -> anyhow::Result<(PathBuf, Db, ExecutionRow)> {
    let (pipeline, id) = pipeline_and_execution(pipeline, id);
    let dir = state_dir(&pipeline_file(pipeline)?, explicit);
    let db_file = dir.join("baton.db");
    let none_yet = || crate::Usage(format!("no executions yet in {}; start one with `baton run`", dir.display()));
    if !db_file.exists() {
        bail!(none_yet());
    }
    let db = Db::open(&db_file)?;
    // An execution whose runner died is shown as what it is, not as RUNNING forever.
    baton_local::execution::runners::reconcile(&db)?;
    // An ambiguous prefix is a usage error (exit 2), naming the executions it matches.
    let found = baton_local::query::execution(&db, id).map_err(|e| match e {
        baton_local::error::LocalError::BadRequest(why) => anyhow::Error::new(crate::Usage(why)),
        other => other.into(),
    })?;
    let Some(exec) = found else {
        match id {
            Some(id) => bail!(crate::Usage(format!(
                "no execution `{id}` in {}; `baton history` lists them",
                dir.display()
            ))),
            None => bail!(none_yet()),
        }
    };
    Ok((dir, db, exec))
}

/// A stored artifact version named `NAME@VERSION`; a usage error lists the versions there are.
pub(crate) fn stored_version(store: &FsArtifactStore, pipeline: &str, spec: &str) -> anyhow::Result<Manifest> {
    Ok(baton_local::operations::stored_version(store, pipeline, spec)?)
}

/// The operations (approve, stop, retry, roll back) on the pipeline `pipeline` names: on its
/// state directory, or on the deployed stack `stack` names.
pub(crate) async fn operations(
    pipeline: &Path,
    explicit: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
) -> anyhow::Result<Box<dyn Operations>> {
    let file = pipeline_file(pipeline)?;
    match stack {
        None => Ok(Box::new(LocalOperations::new(&file, &state_dir(&file, explicit)))),
        Some(remote) => crate::stack::operations(remote, &file).await,
    }
}
