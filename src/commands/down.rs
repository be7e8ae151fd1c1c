//! `baton down`: stop what the local deployment groups run.

use std::path::Path;

use baton_local::{LocalRuntime, RuntimeOptions};

pub async fn run(pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let runtime = LocalRuntime::open(
        &file,
        RuntimeOptions {
            state_dir: state_dir.map(Path::to_path_buf),
            working_tree: false,
        },
    )
    .await?;
    let stopped = crate::progress::during("stopping the deployed instances", runtime.teardown()).await?;
    crate::out::println!("stopped {stopped} instance(s) of pipeline {}", runtime.pipeline().name);
    Ok(0)
}
