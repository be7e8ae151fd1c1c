//! Batch builds, as CodeBuild runs them (StartBuildBatch; "Batch builds in CodeBuild"): each
//! build of the list, graph or matrix in a workspace of its own with its own buildspec and
//! variables; a list's and a matrix's builds side by side, a graph's as their dependencies
//! finish; `ignore-failure` builds fail without failing the batch; `fast-fail` stops the rest at
//! the first failure. The artifacts are combined as CodeBuild's `combine-artifacts` does: each
//! build's under a directory named for its identifier.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use baton_core::events::BuildStatus;
use baton_core::ports::{BuildRequest, StagedArtifact};
use baton_core::spec::batch::{BatchBuild, BatchPlan};
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::oneshot;

use crate::build::driver::PhaseReport;
use crate::build::log::note_in_log;
use crate::build::reports::Reports;
use crate::build::{Finished, ShellBuildRunner};
use crate::sys::tree;

/// What a build of a batch asks for that a local build does not do, for its log.
pub(crate) fn differences(build: &BatchBuild) -> Vec<String> {
    let mut notes = vec![format!(
        "build `{}` of a batch (CODEBUILD_BATCH_BUILD_IDENTIFIER)",
        build.identifier
    )];
    if !build.environment.is_empty() {
        notes.push(format!(
            "env {} chooses CodeBuild's container; a local build runs on this host",
            build.environment.join(", ")
        ));
    }
    for key in &build.ignored {
        notes.push(format!(
            "env.{key} is not a build-environment setting and CodeBuild ignores it: variables go under env.variables"
        ));
    }
    notes
}

/// How one build of the batch ended, for the batch's log and reason.
struct Outcome {
    finished: Finished,
    ignore_failure: bool,
}

impl Outcome {
    /// Whether the batch goes on as if it had succeeded: it did, or its failure is ignored.
    fn counts_as_done(&self) -> bool {
        self.finished.status == BuildStatus::Succeeded || self.ignore_failure
    }
}

pub(crate) async fn run(
    runner: &ShellBuildRunner,
    id: &str,
    number: u64,
    dir: &Path,
    req: &BuildRequest,
    plan: &BatchPlan,
    mut stop: oneshot::Receiver<()>,
) -> Finished {
    let log = dir.join("build.log");
    let started = Utc::now().timestamp_millis();
    note_in_log(
        &log,
        &format!(
            "batch ({}{}): {} builds: {}",
            plan.kind,
            if plan.fast_fail { ", fast-fail" } else { "" },
            plan.builds.len(),
            plan.builds.iter().map(|b| b.identifier.as_str()).collect::<Vec<_>>().join(", ")
        ),
    );
    tracing::info!(build_id = id, kind = plan.kind, builds = plan.builds.len(), "batch running");
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    let mut stops: HashMap<String, oneshot::Sender<()>> = HashMap::new();
    let mut running = FuturesUnordered::new();
    let mut started_ids: BTreeSet<String> = BTreeSet::new();
    let (mut halted, mut stopped) = (false, false);
    loop {
        if !halted {
            for build in &plan.builds {
                let ready = !started_ids.contains(&build.identifier)
                    && build.depend_on.iter().all(|d| outcomes.get(d).is_some_and(Outcome::counts_as_done));
                if !ready {
                    continue;
                }
                started_ids.insert(build.identifier.clone());
                let (tx, rx) = oneshot::channel();
                stops.insert(build.identifier.clone(), tx);
                let child_dir = dir.join("batch").join(&build.identifier);
                let child_id = format!("{id}/{}", build.identifier);
                running.push(async move {
                    if let Err(e) = std::fs::create_dir_all(&child_dir) {
                        return (build, Finished::failed(BuildStatus::Fault, format!("PROVISIONING: {e}")));
                    }
                    // Boxed: a build of a batch is run by the function that runs the batch.
                    let finished = Box::pin(runner.run(&child_id, number, &child_dir, req, Some(build), rx)).await;
                    (build, finished)
                });
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((build, finished)) = running.next() => {
                stops.remove(&build.identifier);
                say_done(&log, dir, build, &finished);
                let outcome = Outcome { finished, ignore_failure: build.ignore_failure };
                if !outcome.counts_as_done() && plan.fast_fail && !halted {
                    halted = true;
                    note_in_log(&log, &format!("fast-fail: build `{}` failed; the builds still running are stopped", build.identifier));
                    for (_, tx) in stops.drain() {
                        let _ = tx.send(());
                    }
                }
                outcomes.insert(build.identifier.clone(), outcome);
            }
            _ = &mut stop, if !stopped => {
                stopped = true;
                halted = true;
                for (_, tx) in stops.drain() {
                    let _ = tx.send(());
                }
            }
        }
    }
    let in_progress = phase("IN_PROGRESS", started, true);
    combine(dir, req, plan, outcomes, stopped, in_progress, &log)
}

/// The batch's line for a finished build, then that build's log, each line under its name.
fn say_done(log: &Path, dir: &Path, build: &BatchBuild, finished: &Finished) {
    let child_log = dir.join("batch").join(&build.identifier).join("build.log");
    let text = std::fs::read_to_string(&child_log).unwrap_or_default();
    let mut block = String::new();
    for line in text.lines() {
        block.push_str(&format!("[{}] {line}\n", build.identifier));
    }
    append(log, &block);
    let ignored = if build.ignore_failure && finished.status != BuildStatus::Succeeded {
        " (ignore-failure: the batch goes on)"
    } else {
        ""
    };
    note_in_log(
        log,
        &format!(
            "batch: build `{}` {}{ignored}{}",
            build.identifier,
            finished.status.as_str(),
            finished.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
        ),
    );
}

fn append(log: &Path, text: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(log) {
        let _ = f.write_all(text.as_bytes());
    }
}

fn phase(name: &str, started: i64, ok: bool) -> PhaseReport {
    let ended = Utc::now().timestamp_millis();
    PhaseReport {
        phase_type: name.into(),
        phase_status: if ok { "SUCCEEDED" } else { "FAILED" }.into(),
        start_time_ms: started,
        end_time_ms: Some(ended),
        duration_in_seconds: Some((ended - started) / 1000),
        contexts: Vec::new(),
    }
}

/// The batch's result: its status and reason from its builds', their reports and variables
/// together, and their artifacts combined under each build's identifier.
fn combine(
    dir: &Path,
    req: &BuildRequest,
    plan: &BatchPlan,
    outcomes: BTreeMap<String, Outcome>,
    stopped: bool,
    in_progress: PhaseReport,
    log: &Path,
) -> Finished {
    let mut failures: Vec<String> = outcomes
        .iter()
        .filter(|(_, o)| !o.counts_as_done())
        .map(|(id, o)| {
            format!(
                "build `{id}` {}{}",
                o.finished.status.as_str(),
                o.finished.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            )
        })
        .collect();
    let not_run: Vec<&str> = plan
        .builds
        .iter()
        .filter(|b| !outcomes.contains_key(&b.identifier))
        .map(|b| b.identifier.as_str())
        .collect();
    if !not_run.is_empty() {
        failures.push(format!("not run: {}", not_run.join(", ")));
        note_in_log(
            log,
            &format!(
                "batch: not run, as a build they wait for failed or the batch stopped: {}",
                not_run.join(", ")
            ),
        );
    }
    let mut reports = Reports::default();
    let mut variables = BTreeMap::new();
    for (id, o) in &outcomes {
        for mut test in o.finished.reports.tests.clone() {
            test.group = format!("{id}/{}", test.group);
            reports.tests.push(test);
        }
        reports.coverage.extend(o.finished.reports.coverage.iter().cloned());
        variables.extend(o.finished.variables.clone());
    }
    let mut phases = vec![in_progress];
    let combined_at = Utc::now().timestamp_millis();
    let outputs = if failures.is_empty() && !stopped {
        match combine_artifacts(dir, req, &outcomes) {
            Ok(o) => {
                phases.push(phase("COMBINE_ARTIFACTS", combined_at, true));
                o
            }
            Err(e) => {
                phases.push(phase("COMBINE_ARTIFACTS", combined_at, false));
                failures.push(format!("phase COMBINE_ARTIFACTS: {e}"));
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    let status = if stopped {
        BuildStatus::Stopped
    } else if failures.is_empty() {
        BuildStatus::Succeeded
    } else {
        BuildStatus::Failed
    };
    let reason = (!failures.is_empty()).then(|| format!("batch {}: {}", plan.kind, failures.join("; ")));
    note_in_log(log, &format!("batch {}", status.as_str()));
    Finished {
        status,
        phases,
        outputs: if status == BuildStatus::Succeeded { outputs } else { Vec::new() },
        reports,
        variables,
        reason,
    }
}

/// Each declared output holds every build's artifact of that name under the build's
/// identifier; an output no build produced fails the batch, as a missing artifact fails a build.
fn combine_artifacts(dir: &Path, req: &BuildRequest, outcomes: &BTreeMap<String, Outcome>) -> Result<Vec<StagedArtifact>, String> {
    let mut staged = Vec::new();
    for name in &req.outputs {
        let dest = dir.join("out").join(name);
        std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        let mut found = false;
        for (id, o) in outcomes {
            for artifact in o.finished.outputs.iter().filter(|a| &a.name == name) {
                tree::copy_tree(Path::new(&artifact.location), &dest.join(id)).map_err(|e| e.to_string())?;
                found = true;
            }
        }
        if !found {
            return Err(format!("no build of the batch produced artifact `{name}`"));
        }
        staged.push(StagedArtifact {
            name: name.clone(),
            location: dest.to_string_lossy().into_owned(),
        });
    }
    Ok(staged)
}
