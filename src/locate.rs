//! Finding the pipeline file and the state directory from what the user typed.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// A directory means its `pipeline.yml`.
pub fn pipeline_file(path: &Path) -> anyhow::Result<PathBuf> {
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

pub fn state_dir(pipeline_file: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(|| baton_local::runtime::default_state_dir(pipeline_file), Path::to_path_buf)
}
