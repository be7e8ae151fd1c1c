//! `baton down`: stop what the local deployment groups run.

use std::path::Path;

use baton_local::{LocalError, LocalRuntime, RuntimeOptions};

pub(crate) async fn run(pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    // Opening would create the state directory: with none there, nothing was deployed from it.
    let dir = crate::locate::state_dir(&file, state_dir);
    if !dir.exists() {
        anstream::eprintln!(
            "nothing to stop: there is no state directory at {} (a run given --state-dir DIR is stopped with the same --state-dir DIR)",
            dir.display()
        );
        return Ok(0);
    }
    let opened = LocalRuntime::open(
        &file,
        RuntimeOptions {
            state_dir: state_dir.map(Path::to_path_buf),
            working_tree: false,
        },
    )
    .await;
    let runtime = match opened {
        Ok(runtime) => runtime,
        // A damaged state directory still has its instances running: stop what is recorded
        // beside them, and say why the database was not used.
        Err(LocalError::DamagedState { dir, why }) => {
            let pipeline = baton_core::load_pipeline(&file)?;
            let stopped = crate::progress::during(
                "stopping the deployed instances",
                baton_local::deploy::stop_recorded(&dir, &pipeline.name),
            )
            .await;
            tracing::warn!(dir = %dir.display(), why = %why, "the state directory is damaged: stopped the instances recorded beside them, without its database");
            crate::out::println!("stopped {stopped} instance(s) of pipeline {}", pipeline.name);
            return Ok(0);
        }
        Err(e) => return Err(e.into()),
    };
    let stopped = crate::progress::during("stopping the deployed instances", runtime.teardown()).await?;
    crate::out::println!("stopped {stopped} instance(s) of pipeline {}", runtime.pipeline().name);
    Ok(0)
}
