//! `baton synth`: the pipeline's state machine as ASL JSON.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

pub fn run(pipeline: &Path, output: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let model = baton_core::load_pipeline(&file)?;
    let json = baton_core::synth::to_json(&model);
    match output {
        Some(out) => {
            // Write-then-rename: a reader (or an interrupted run) never sees half a file.
            let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut tmp = tempfile_in(dir)?;
            tmp.1.write_all(json.as_bytes())?;
            tmp.1.sync_all()?;
            std::fs::rename(&tmp.0, out).with_context(|| format!("writing {}", out.display()))?;
            anstream::eprintln!("wrote {}", out.display());
        }
        None => crate::out::print!("{json}"),
    }
    Ok(0)
}

fn tempfile_in(dir: &Path) -> anyhow::Result<(std::path::PathBuf, std::fs::File)> {
    let path = dir.join(format!(".baton-synth-{}.tmp", std::process::id()));
    let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    Ok((path, file))
}
