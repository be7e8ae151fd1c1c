//! `baton validate`: every problem in every file, each with file:line:column.

use std::path::{Path, PathBuf};

use anstream::eprintln;
use baton_core::spec::error::Diagnostic;
use baton_core::spec::{self, appspec, buildspec, lambda_appspec};

use crate::cli::FileKind;
use crate::out::println;
use crate::style;

fn kind_of(path: &Path) -> FileKind {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    if name.contains("buildspec") {
        FileKind::Buildspec
    } else if name.contains("appspec") {
        FileKind::Appspec
    } else if name.ends_with(".json") {
        FileKind::StateMachine
    } else {
        FileKind::Pipeline
    }
}

/// What a valid file leads to: more files to check, and what AWS accepts but ignores.
#[derive(Default)]
struct Checked {
    more: Vec<(PathBuf, FileKind)>,
    warnings: Vec<Diagnostic>,
}

fn check(path: &Path, kind: FileKind) -> Result<Checked, spec::SpecError> {
    let text = spec::read_text(path)?;
    match kind {
        FileKind::Buildspec => buildspec::parse_buildspec(path, &text).map(|spec| Checked {
            more: Vec::new(),
            warnings: spec
                .batch
                .map(|b| spec::batch::ignored_keys(path, &text, &b.value))
                .unwrap_or_default(),
        }),
        FileKind::Appspec if lambda_appspec::is_lambda(path, &text)? => {
            lambda_appspec::parse_lambda_appspec(path, &text).map(|_| Checked::default())
        }
        FileKind::Appspec => appspec::parse_appspec(path, &text).map(|_| Checked {
            more: Vec::new(),
            warnings: appspec::ignored_keys(path, &text),
        }),
        FileKind::StateMachine => crate::commands::asl::load(path, &text, &baton_asl::Workflow::Standard).map(|_| Checked::default()),
        FileKind::Pipeline => {
            baton_core::parse_pipeline(path, &text)?;
            // The buildspecs a pipeline names live in its source: each must be there, and is
            // checked in turn, as is an appspec its deployment groups name that is there.
            let named = spec::validate::check_source_files(path, &text)?;
            Ok(Checked {
                more: named.into_iter().map(|f| (f.path, f.kind.into())).collect(),
                warnings: spec::validate::warnings(path, &text),
            })
        }
    }
}

pub(crate) fn run(files: &[PathBuf], kind: Option<FileKind>) -> anyhow::Result<u8> {
    let mut failed = false;
    // A directory stands for its pipeline.yml, as for `baton run`.
    let files: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            if f.is_dir() {
                crate::locate::pipeline_file(f)
            } else {
                Ok(f.clone())
            }
        })
        .collect::<anyhow::Result<_>>()?;
    let mut queue: Vec<(PathBuf, FileKind)> = files.iter().map(|f| (f.clone(), kind.unwrap_or_else(|| kind_of(f)))).collect();
    let mut seen = std::collections::BTreeSet::new();
    while let Some((file, k)) = queue.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        match check(&file, k) {
            Ok(checked) => {
                for w in &checked.warnings {
                    eprintln!("{}warning{}: {w}", style::WARN.render(), style::WARN.render_reset());
                }
                println!("{}ok{} {}", style::OK.render(), style::OK.render_reset(), file.display());
                queue.extend(checked.more);
            }
            Err(e) => {
                failed = true;
                for d in &e.diagnostics {
                    eprintln!("{}error{}: {d}", style::FAIL.render(), style::FAIL.render_reset());
                }
            }
        }
    }
    Ok(if failed { 2 } else { 0 })
}
