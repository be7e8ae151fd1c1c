//! What a pipeline names in its source, checked where the source is on disk: each build's
//! buildspec must be there, resolved beneath the source directory, links and all; an appspec a
//! deployment group names is checked when the source holds it. A source that is not on this
//! machine (a CodeCommit repository on AWS) is not checked.

use std::path::{Path, PathBuf};

use crate::beneath::{self, Last};
use crate::spec::error::{Reporter, SpecError, parse_yaml};
use crate::spec::pipeline::{ActionType, PipelineSpec};

use super::pos;

/// The source directory of the pipeline in `file`: its `source.repository`, or the directory
/// that holds the file.
pub fn source_dir(file: &Path, repository: Option<&str>) -> PathBuf {
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    repository.map_or_else(|| dir.to_path_buf(), |r| dir.join(r))
}

/// A buildspec of only `batch:` runs as a batch build, which on AWS the action must ask for
/// (CodePipeline's `BatchEnabled`: without it CodeBuild's StartBuild finds no phases); an
/// action that asks for one needs a buildspec with `batch:`. A buildspec that does not parse is
/// reported when it is checked in turn.
fn batch_agrees(path: &Path, rel: &str, a: &crate::spec::pipeline::ActionSpec, at: crate::spec::Pos, r: &mut Reporter) {
    let Some(spec) = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| crate::spec::buildspec::parse_buildspec(path, &text).ok())
    else {
        return;
    };
    let asks = a.batch.as_ref().is_some_and(|b| b.value);
    match (&spec.batch, spec.has_phases(), asks) {
        (Some(_), false, false) => r.error(
            at,
            format!("buildspec `{rel}` holds only `batch:`: add `batch: true` to the action to run it as a batch build (CodePipeline's BatchEnabled)"),
        ),
        (None, _, true) => r.error(
            at,
            format!("the action runs a batch build (`batch: true`) but buildspec `{rel}` has no `batch:`"),
        ),
        _ => {}
    }
}

/// What a file the pipeline names in its source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceFileKind {
    Buildspec,
    Appspec,
}

/// A file the pipeline names, found in its source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    pub path: PathBuf,
    pub kind: SourceFileKind,
}

/// Checks that every build's buildspec is in the source, and returns where each one is, with
/// the appspecs of the server deployment groups that the source holds. An appspec is read from
/// the deployed artifact, which a build may write it into, so one missing from the source is not
/// an error; one present is the file the build most often copies there.
pub fn check_source_files(file: &Path, text: &str) -> Result<Vec<SourceFile>, SpecError> {
    let spec: PipelineSpec = parse_yaml(file, text)?;
    let source = source_dir(file, spec.source.repository.as_deref());
    if !source.is_dir() {
        return Ok(Vec::new());
    }
    let mut r = Reporter::new(file, text);
    let mut found = Vec::new();
    for a in spec.stages.iter().flat_map(|s| &s.actions) {
        if !matches!(a.kind.value, ActionType::Build | ActionType::Test) {
            continue;
        }
        let (rel, at) = match &a.buildspec {
            Some(b) if crate::spec::leaves_its_tree(&b.value) => continue, // reported by the validator
            Some(b) => (b.value.as_str(), pos(b)),
            None => ("buildspec.yml", pos(&a.name)),
        };
        match beneath::resolve(&source, rel, Last::Follow) {
            Err(e) => r.error(at, format!("buildspec `{rel}` is outside the source: {e}")),
            Ok(path) if !path.is_file() => r.error(
                at,
                format!("buildspec `{rel}` is not in the source (looked for {})", path.display()),
            ),
            Ok(path) => {
                batch_agrees(&path, rel, a, at, &mut r);
                found.push(SourceFile {
                    path,
                    kind: SourceFileKind::Buildspec,
                });
            }
        }
    }
    // A Lambda group deploys a code bundle; Baton writes its appspec.
    let appspecs = spec.deployment_groups.values().filter(|g| g.value.lambda.is_none());
    for g in appspecs {
        if let Ok(path) = beneath::resolve(&source, &g.value.appspec, Last::Follow)
            && path.is_file()
        {
            found.push(SourceFile {
                path,
                kind: SourceFileKind::Appspec,
            });
        }
    }
    r.finish()?;
    found.sort();
    found.dedup();
    Ok(found)
}
