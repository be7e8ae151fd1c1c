//! `ShellBuildRunner`: runs a buildspec like CodeBuild does, without containers. Each build
//! gets a fresh workspace with the source artifact, a clean environment with CodeBuild's
//! variables, its commands run one shell process each in the state the last left, a log file, and a process group that a timeout kills whole.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baton_core::events::BuildStatus;
use baton_core::ports::{BuildRequest, StagedArtifact};
use baton_core::spec::batch::BatchBuild;
use baton_core::spec::buildspec::{Buildspec, parse_buildspec};
use chrono::Utc;
use rusqlite::params;
use tokio::sync::{oneshot, watch};

use self::driver::PhaseReport;
use crate::artifacts::FsArtifactStore;
use crate::build::log::{failing_output, local_differences, note_in_log};
use crate::build::reports::Reports;
use crate::coordination::bus::EventBus;
use crate::db::Db;
use crate::error::LocalError;
use crate::mask::Masker;
use crate::sys::process::{Exit, clean_command, run_build_shell};
use crate::sys::tree;

pub(crate) mod batch;
pub(crate) mod cache;
pub(crate) mod coverage;
pub(crate) mod driver;
pub(crate) mod env;
pub(crate) mod log;
pub(crate) mod outputs;
mod port;
pub(crate) mod reports;

/// 64 MiB: far more than a readable build log, far less than a full disk.
pub(crate) const DEFAULT_LOG_CAP: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct ShellBuildRunner {
    builds_dir: PathBuf,
    /// Buildspec caches, by pipeline and key.
    cache_dir: PathBuf,
    /// The most a build's log may hold.
    log_cap: u64,
    db: Arc<Db>,
    store: Arc<FsArtifactStore>,
    bus: EventBus,
    /// Builds in flight in this process, by id.
    running: Arc<Mutex<HashMap<String, Running>>>,
}

/// A build in flight: how to stop it, and how to learn that it has ended.
#[derive(Debug)]
struct Running {
    stop: oneshot::Sender<()>,
    ended: watch::Receiver<bool>,
}

/// The outcome of one build, before it is published.
pub(crate) struct Finished {
    pub(crate) status: BuildStatus,
    pub(crate) phases: Vec<PhaseReport>,
    pub(crate) outputs: Vec<StagedArtifact>,
    pub(crate) reports: Reports,
    /// The buildspec's exported variables, as the build left them.
    pub(crate) variables: BTreeMap<String, String>,
    pub(crate) reason: Option<String>,
}

impl Finished {
    pub(crate) fn failed(status: BuildStatus, reason: String) -> Self {
        Self {
            status,
            phases: Vec::new(),
            outputs: Vec::new(),
            reports: Reports::default(),
            variables: BTreeMap::new(),
            reason: Some(reason),
        }
    }
}

impl ShellBuildRunner {
    pub(crate) fn new(state_dir: &Path, db: Arc<Db>, store: Arc<FsArtifactStore>, bus: EventBus) -> Self {
        Self {
            builds_dir: state_dir.join("builds"),
            cache_dir: state_dir.join("cache"),
            log_cap: DEFAULT_LOG_CAP,
            db,
            store,
            bus,
            running: Arc::default(),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs one build; `child` is set for a build of a batch, which runs its own buildspec and
    /// variables and ignores the `batch:` of the file it runs, as CodeBuild does.
    pub(crate) async fn run(
        &self,
        id: &str,
        number: u64,
        dir: &Path,
        req: &BuildRequest,
        child: Option<&BatchBuild>,
        stop: oneshot::Receiver<()>,
    ) -> Finished {
        let fail = Finished::failed;
        let src = dir.join("src");
        if let Err(e) = self.store.fetch(&req.pipeline, &req.source, &src) {
            return fail(BuildStatus::Fault, format!("DOWNLOAD_SOURCE: {e}"));
        }
        let buildspec = child.and_then(|c| c.buildspec.as_deref()).unwrap_or(&req.buildspec);
        let spec_path = match tree::contained(&src, buildspec) {
            Ok(p) => p,
            Err(e) => return fail(BuildStatus::Failed, format!("DOWNLOAD_SOURCE: buildspec {e}")),
        };
        let spec = match std::fs::read_to_string(&spec_path)
            .map_err(|e| format!("YAML_FILE_ERROR: cannot read {buildspec} in the source: {e}"))
            .and_then(|text| parse_buildspec(Path::new(buildspec), &text).map_err(|e| format!("YAML_FILE_ERROR: {e}")))
        {
            Ok(s) => s,
            Err(reason) => return fail(BuildStatus::Failed, format!("DOWNLOAD_SOURCE: {reason}")),
        };
        // The action's `batch: true` (CodePipeline's BatchEnabled) runs the buildspec's
        // `batch:`, each of its builds run by this same function; so does a buildspec of only
        // `batch:`, which has nothing else to run.
        if child.is_none() && (req.batch || !spec.has_phases()) {
            let Some(batch) = &spec.batch else {
                return fail(
                    BuildStatus::Failed,
                    format!("DOWNLOAD_SOURCE: YAML_FILE_ERROR: the action runs a batch (batch: true) but {buildspec} has no `batch:`"),
                );
            };
            let _ = std::fs::remove_dir_all(&src);
            return batch::run(self, id, number, dir, req, &batch.value.plan(), stop).await;
        }
        let secrets = match crate::params::resolve(&self.db, &spec.env) {
            Ok(s) => s,
            Err(e) => return fail(BuildStatus::Failed, format!("DOWNLOAD_SOURCE: {e}")),
        };

        let log = dir.join("build.log");
        let cache_root = self.cache_dir.join(&req.pipeline);
        for note in local_differences(&spec)
            .into_iter()
            .chain(child.map(batch::differences).unwrap_or_default())
        {
            note_in_log(&log, &note);
        }
        // The key is computed from the source as checked out, before any command changes it.
        // The builds of a batch run side by side: each keeps its own cache.
        let scope = match child {
            Some(c) => format!("{}:{}", req.action, c.identifier),
            None => req.action.clone(),
        };
        let cache = spec.cache.as_ref().map(|c| cache::ForBuild::new(c, &cache_root, &scope, &src));
        if let Some(note) = cache.as_ref().and_then(|c| c.restore(&src)) {
            note_in_log(&log, &note);
        }
        let status_file = dir.join("status");
        let exported_file = dir.join("exported");
        let driver = dir.join("driver.sh");
        let in_dir = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let files = driver::DriverFiles {
            status: in_dir("status"),
            exported: in_dir("exported"),
            environment: in_dir("environment"),
            state: in_dir("state"),
        };
        let shell = match spec.env.shell.as_deref() {
            Some("/bin/sh") => driver::Shell::Sh,
            _ => driver::Shell::Bash,
        };
        if let Err(e) = std::fs::write(&driver, driver::script(&spec, shell, &files)) {
            return fail(BuildStatus::Fault, format!("PROVISIONING: {e}"));
        }
        let shell = shell.program();
        let mut cmd = clean_command(shell);
        cmd.arg(&driver).current_dir(&src);
        for (k, v) in &spec.env.variables {
            cmd.env(k, &v.0);
        }
        for (k, v) in &req.env {
            cmd.env(k, v);
        }
        // A batch build's own variables are the most specific: they win.
        for (k, v) in child.iter().flat_map(|c| &c.variables) {
            cmd.env(k, v);
        }
        if let Some(c) = child {
            cmd.env("CODEBUILD_BATCH_BUILD_IDENTIFIER", &c.identifier);
        }
        for (k, v) in &secrets {
            cmd.env(k, v);
        }
        let secrets: Vec<String> = secrets.into_values().collect();
        let source_version = req.commit_id.clone().unwrap_or_else(|| req.source.to_string());
        let codebuild_env = [
            ("CODEBUILD_BUILD_ID", id.to_string()),
            (
                "CODEBUILD_BUILD_ARN",
                crate::runtime::local_arn("codebuild", &format!("build/{id}")),
            ),
            ("CODEBUILD_BUILD_NUMBER", number.to_string()),
            ("CODEBUILD_BUILD_IMAGE", "baton/local".to_string()),
            ("CODEBUILD_SRC_DIR", src.to_string_lossy().into_owned()),
            ("CODEBUILD_RESOLVED_SOURCE_VERSION", source_version.clone()),
            ("CODEBUILD_SOURCE_VERSION", source_version),
            ("CODEBUILD_INITIATOR", format!("codepipeline/{}", req.pipeline)),
            ("CODEBUILD_START_TIME", Utc::now().timestamp_millis().to_string()),
            ("CODEBUILD_BUILD_SUCCEEDING", "1".to_string()),
            ("CODEBUILD_LOG_PATH", id.rsplit(':').next().unwrap_or(id).to_string()),
            ("CODEBUILD_CI", "true".to_string()),
        ];
        for (k, v) in codebuild_env {
            cmd.env(k, v);
        }
        let exit = match run_build_shell(cmd, &log, Duration::from_secs(req.timeout_secs), self.log_cap, &secrets, async {
            // A dropped sender is a build nobody can stop any more, not a stop.
            if stop.await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        {
            Ok(exit) => exit,
            Err(e) => return fail(BuildStatus::Fault, format!("PROVISIONING: cannot start {shell}: {e}")),
        };
        // The state holds every variable of the build, secrets among them: gone with the build.
        let _ = std::fs::remove_file(&files.state);
        let env = env::take(Path::new(&files.environment));
        let mut report = driver::parse_status(&std::fs::read_to_string(&status_file).unwrap_or_default(), &spec);
        let (mut status, mut reason) = match exit {
            Exit::TimedOut => {
                let reason = format!("build timed out after {} s; its process group was killed", req.timeout_secs);
                report.interrupted("TIMED_OUT", "BUILD_TIMED_OUT", &reason);
                (BuildStatus::TimedOut, Some(reason))
            }
            Exit::Stopped => {
                let reason = "the build was stopped; its process group was terminated".to_string();
                report.interrupted("STOPPED", "BUILD_STOPPED", &reason);
                (BuildStatus::Stopped, Some(reason))
            }
            _ if report.finished && report.succeeded => (BuildStatus::Succeeded, None),
            _ => (
                BuildStatus::Failed,
                report.first_failure.as_ref().map(|why| match failing_output(&log) {
                    Some(output) => format!("{why}; its last output: {output}"),
                    None => why.clone(),
                }),
            ),
        };
        let mut phases = report.phases.clone();
        // Killed builds (timed out, stopped) end where they stand.
        let killed = matches!(exit, Exit::TimedOut | Exit::Stopped);

        // UPLOAD_ARTIFACTS is attempted after a failed BUILD too, as CodeBuild does; only an
        // aborted INSTALL/PRE_BUILD or a killed build skips it.
        let mut outputs = Vec::new();
        // A build of a batch uploads what its buildspec declares: the batch combines them.
        let declared: Vec<(usize, &String)> = req
            .outputs
            .iter()
            .enumerate()
            .filter(|(i, name)| {
                child.is_none()
                    || spec
                        .artifacts
                        .as_ref()
                        .is_some_and(|a| *i == 0 || a.secondary_artifacts.contains_key(*name))
            })
            .collect();
        if !report.aborted && !killed && !declared.is_empty() {
            let started = Utc::now().timestamp_millis();
            let upload = self.collect_outputs(&spec, &env, &log, &src, dir, &declared);
            let ended = Utc::now().timestamp_millis();
            let (phase_status, contexts) = match &upload {
                Ok(_) => ("SUCCEEDED", Vec::new()),
                Err(e) => (
                    "FAILED",
                    vec![driver::PhaseContext {
                        status_code: "CLIENT_ERROR".into(),
                        message: e.to_string(),
                    }],
                ),
            };
            phases.push(PhaseReport {
                phase_type: "UPLOAD_ARTIFACTS".into(),
                phase_status: phase_status.into(),
                start_time_ms: started,
                end_time_ms: Some(ended),
                duration_in_seconds: Some((ended - started) / 1000),
                contexts,
            });
            match upload {
                Ok(o) => outputs = o,
                Err(e) if status == BuildStatus::Succeeded => {
                    status = BuildStatus::Failed;
                    reason = Some(format!("phase UPLOAD_ARTIFACTS: {e}"));
                }
                Err(_) => {}
            }
        }
        if status != BuildStatus::Succeeded {
            outputs.clear();
        }
        // Reports are read after a failed build too: which tests failed is what matters then.
        let reports = if killed {
            Reports::default()
        } else {
            match reports::collect(&src, &spec.reports) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(build_id = id, error = %e, "could not read test reports");
                    if status == BuildStatus::Succeeded {
                        status = BuildStatus::Failed;
                        reason = Some(format!("reports: {e}"));
                    }
                    Reports::default()
                }
            }
        };
        if status == BuildStatus::Succeeded
            && let Some(note) = cache.as_ref().and_then(|c| c.save(&src))
        {
            note_in_log(&log, &note);
        }
        // What leaves the build (its exported variables, why it failed) goes into histories and
        // `--json` output, so a secret the build echoed there is masked as in its log.
        let mut variables = std::fs::read(&exported_file)
            .map(|b| driver::parse_exported(&b))
            .unwrap_or_default();
        // The exported file was written by the build's shell, unmasked: read once, then gone.
        let _ = std::fs::remove_file(&exported_file);
        let masker = Masker::new(&secrets);
        for (name, value) in &mut variables {
            let masked = masker.text(value);
            if masked != *value {
                note_in_log(
                    &log,
                    &format!("exported variable {name} holds a secret value; it is exported masked"),
                );
                *value = masked;
            }
        }
        let reason = reason.map(|r| masker.text(&r));
        // Test names come from the build's own files, which may print a secret as well.
        let mut reports = reports;
        for test in &mut reports.tests {
            test.group = masker.text(&test.group);
            for name in &mut test.failing {
                *name = masker.text(name);
            }
        }
        let _ = std::fs::remove_dir_all(&src);
        Finished {
            status,
            phases,
            outputs,
            reports,
            variables,
            reason,
        }
    }

    /// Copies each output (with its place among the action's outputs) out of the workspace: the
    /// first from the buildspec's primary `artifacts`, the others from `secondary-artifacts` of
    /// the same name.
    fn collect_outputs(
        &self,
        spec: &Buildspec,
        env: &BTreeMap<String, String>,
        log: &Path,
        src: &Path,
        dir: &Path,
        outputs: &[(usize, &String)],
    ) -> Result<Vec<StagedArtifact>, LocalError> {
        let mut staged = Vec::new();
        for &(i, name) in outputs {
            let artifacts = if i == 0 {
                spec.artifacts.as_ref()
            } else {
                spec.artifacts.as_ref().and_then(|a| a.secondary_artifacts.get(name))
            }
            .ok_or_else(|| {
                LocalError::Action(if i == 0 {
                    format!("the action declares output `{name}` but the buildspec has no `artifacts` section")
                } else {
                    format!("the action declares output `{name}` but the buildspec has no secondary-artifacts entry `{name}`")
                })
            })?;
            let dest = dir.join("out").join(name);
            for note in outputs::collect(src, &env::expand_artifacts(artifacts, env), &dest)? {
                note_in_log(log, &note);
            }
            staged.push(StagedArtifact {
                name: name.clone(),
                location: dest.to_string_lossy().into_owned(),
            });
        }
        Ok(staged)
    }

    fn record_end(&self, id: &str, f: &Finished) -> Result<(), LocalError> {
        let phases = serde_json::to_string(&f.phases).unwrap_or_else(|_| "[]".into());
        self.db
            .lock()
            .execute(
                "UPDATE builds SET status = ?2, phases = ?3, ended_at = ?4 WHERE id = ?1",
                params![id, f.status.as_str(), phases, Utc::now().to_rfc3339()],
            )
            .map_err(LocalError::sql)?;
        Ok(())
    }
}
