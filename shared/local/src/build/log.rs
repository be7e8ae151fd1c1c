//! What a build's log says besides its commands' output: what a local build does not do of
//! its buildspec, notes along the way, and the failing command's last lines for the failure.

use std::path::Path;

use baton_core::spec::buildspec::{Artifacts, Buildspec};

/// What the buildspec asks for that a local build does not do, said once at the top of the log
/// rather than silently ignored.
pub(crate) fn local_differences(spec: &Buildspec) -> Vec<String> {
    let me = std::env::var("USER").unwrap_or_else(|_| "the current user".into());
    let mut notes = Vec::new();
    let run_as = spec.run_as.iter().map(|u| ("the build", u)).chain(
        spec.phases()
            .into_iter()
            .filter_map(|(name, p)| p?.run_as.as_ref().map(|u| (name, u))),
    );
    for (scope, user) in run_as {
        notes.push(format!("run-as `{user}` ({scope}) is not applied locally: commands run as `{me}`"));
    }
    if spec.batch.is_some() {
        notes.push(
            "batch: is not run here: this build runs the buildspec's phases once, as a build CodeBuild starts on its own (StartBuild) or a build of a batch does; a buildspec of only batch: runs as a batch".into(),
        );
    }
    for key in spec.env.environment_keys() {
        notes.push(format!(
            "env.{key} is ignored: outside a batch build CodeBuild takes it from the project, and a local build runs on this host"
        ));
    }
    for (_, phase) in spec.phases() {
        for (runtime, version) in phase.map(|p| &p.runtime_versions).into_iter().flatten() {
            notes.push(format!(
                "runtime-versions: {runtime} {} requested; nothing is installed locally, the host's tools run",
                version.0
            ));
        }
    }
    let mut artifacts: Vec<(&str, &Artifacts)> = spec.artifacts.iter().map(|a| ("artifacts", a)).collect();
    artifacts.extend(
        spec.artifacts
            .iter()
            .flat_map(|a| a.secondary_artifacts.iter().map(|(n, s)| (n.as_str(), s))),
    );
    for (name, a) in artifacts {
        if let Some(packaging) = &a.packaging {
            notes.push(format!(
                "type `{packaging}` ({name}) is ignored: CodeBuild packages artifacts as its project says, Baton keeps them as a versioned tree"
            ));
        }
        if let Some(prefix) = &a.s3_prefix {
            notes.push(format!(
                "s3-prefix `{prefix}` ({name}) has no effect: Baton versions artifacts under its own content-addressed keys, locally and in S3"
            ));
        }
    }
    notes
}

/// A line of Baton's own in a build log, the way CodeBuild adds `[Container]` lines.
/// The last lines the first failing command printed (already masked in the log), so a failure
/// says why without opening the log: at most 5 lines of at most 200 characters.
pub(crate) fn failing_output(log: &Path) -> Option<String> {
    const FAILED: &str = "[Container] Command did not exit successfully";
    let text = std::fs::read_to_string(log).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let failed_at = lines.iter().position(|l| l.starts_with(FAILED))?;
    let started_at = lines[..failed_at]
        .iter()
        .rposition(|l| l.starts_with("[Container] Running command"))?;
    let printed: Vec<&str> = lines[started_at + 1..failed_at]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("[baton]"))
        .collect();
    let last: Vec<String> = printed[printed.len().saturating_sub(5)..]
        .iter()
        .map(|l| l.chars().take(200).collect())
        .collect();
    (!last.is_empty()).then(|| last.join(" / "))
}

pub(crate) fn note_in_log(log: &Path, note: &str) {
    use std::io::Write;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut f| writeln!(f, "[baton] {note}"));
    if let Err(e) = written {
        tracing::warn!(log = %log.display(), error = %e, "could not write to the build log");
    }
}
