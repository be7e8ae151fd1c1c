//! `baton synth`: the pipeline's state machine as ASL JSON, or (`--sam`) its whole SAM
//! application.

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
// Write-then-rename with fsync: a reader (or an interrupted run) never sees half a file.
use baton_local::sys::tree::write_atomic;

use crate::Usage;

pub(crate) fn run(pipeline: &Path, output: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let model = baton_core::load_pipeline(&file)?;
    let json = baton_core::synth::to_json(&model);
    match output {
        Some(out) => {
            write_atomic(out, json.as_bytes())?;
            anstream::eprintln!("wrote {}", out.display());
        }
        None => crate::out::print!("{json}"),
    }
    Ok(0)
}

/// `baton synth --sam DIR`: template.yaml, statemachine/pipeline.asl.json and (when DIR has
/// none) samconfig.toml.
pub(crate) fn sam(pipeline: &Path, dir: &Path, functions: Option<&Path>) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let text = baton_core::spec::read_text(&file)?;
    let model = baton_core::parse_pipeline(&file, &text)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let functions = match functions {
        Some(f) => f.to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("functions"),
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).with_context(|| format!("resolving {}", p.display()));
    if !functions.join("trigger").is_dir() {
        anyhow::bail!(Usage(format!(
            "{} holds no Baton function crates (trigger/, build/, …): give --functions the functions/ directory of a Baton checkout",
            functions.display()
        )));
    }
    let options = baton_core::sam::Options {
        functions_dir: relative(&canonical(dir)?, &canonical(&functions)?),
    };
    let app = baton_core::sam::application(&model, &file, &text, &options)?;
    for w in &app.warnings {
        anstream::eprintln!("{}warning{}: {w}", crate::style::WARN.render(), crate::style::WARN.render_reset());
    }
    let mut written = vec![dir.join("template.yaml"), dir.join("statemachine/pipeline.asl.json")];
    write_atomic(&written[0], app.template.as_bytes())?;
    write_atomic(&written[1], app.state_machine.as_bytes())?;
    // A project keeps one samconfig.toml, in DIR or at its root beside DIR (pointing at
    // DIR/template.yaml); it is the team's to edit, so an existing one is left alone.
    let samconfig = dir.join("samconfig.toml");
    let at_root = dir.parent().map(|p| p.join("samconfig.toml")).is_some_and(|p| p.exists());
    if !samconfig.exists() && !at_root {
        write_atomic(&samconfig, app.samconfig.as_bytes())?;
        written.push(samconfig);
    }
    for w in written {
        anstream::eprintln!("wrote {}", w.display());
    }
    Ok(0)
}

/// `to` as a path from `from` (both absolute): `../functions`.
fn relative(from: &Path, to: &Path) -> String {
    let (a, b): (Vec<Component<'_>>, Vec<Component<'_>>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out.to_string_lossy().into_owned()
}
