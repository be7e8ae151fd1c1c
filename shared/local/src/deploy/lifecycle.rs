//! One instance through the Server lifecycle, as CodeDeploy's agent runs it: ApplicationStop
//! (the scripts of the revision it ran before), DownloadBundle, BeforeInstall, Install,
//! AfterInstall, ApplicationStart, ValidateService, each recorded per instance, with the
//! environment the agent gives hook scripts.

use std::path::Path;
use std::time::Duration;

use baton_core::model::Group;
use baton_core::ports::{ArtifactRef, DeployRequest};
use baton_core::spec::appspec::Appspec;
use chrono::Utc;
use rusqlite::params;

use super::permissions;
use super::{HookEnv, Instance, LocalDeployer, PROCESS_GROUP_FILE, stop};
use crate::deploy::install::{hook_script, install, load_appspec, load_appspec_text};
use crate::error::LocalError;
use crate::sys::process::{Exit, clean_command, run_logged, stop_group};
use crate::sys::tree;

impl LocalDeployer {
    pub(super) async fn run_hooks(
        &self,
        event: &str,
        appspec: &Appspec,
        archive: &Path,
        instance: &Instance,
        env: &HookEnv<'_>,
    ) -> Result<Option<i32>, String> {
        let log = instance.dir.join("lifecycle.log");
        let mut last_group = None;
        for script in appspec.hooks.scripts(event) {
            let path = hook_script(archive, &script.location.value).map_err(|e| format!("{event}: {e}"))?;
            append_line(
                &log,
                &format!("--- {event} {} (deployment {})", script.location.value, env.deployment_id),
            );
            let mut cmd = clean_command(&path);
            // The pipeline's variables first: CodeDeploy's own names below win over a variable's.
            cmd.current_dir(archive)
                .envs(env.variables)
                .env("LIFECYCLE_EVENT", event)
                .env("DEPLOYMENT_ID", env.deployment_id)
                .env("APPLICATION_NAME", env.pipeline)
                .env("DEPLOYMENT_GROUP_NAME", &env.group.name)
                .env("DEPLOYMENT_GROUP_ID", format!("{}-{}", env.pipeline, env.group.name))
                .env("BATON_INSTANCE_ID", format!("{}-{}", env.group.name, instance.index))
                .env("BATON_INSTANCE_ROOT", instance.root())
                .env("BATON_INSTANCE_PORT", instance.port.to_string())
                .env("BATON_ARTIFACT", env.artifact.to_string())
                .env("BATON_ARTIFACT_VERSION", env.artifact.version.to_string());
            let timeout = script.timeout_secs();
            let (exit, pgid) = run_logged(cmd, &log, Duration::from_secs(timeout))
                .await
                .map_err(|e| format!("{event}: {e}"))?;
            match exit {
                Exit::Code(0) => last_group = Some(pgid),
                Exit::TimedOut => {
                    return Err(format!(
                        "{event}: script {} timed out after {timeout} s (its processes were killed)",
                        script.location.value
                    ));
                }
                Exit::Code(c) => {
                    return Err(format!(
                        "{event}: script {} exited with {c} (see {})",
                        script.location.value,
                        log.display()
                    ));
                }
                Exit::Signaled | Exit::Stopped => return Err(format!("{event}: script {} was killed by a signal", script.location.value)),
            }
        }
        Ok(last_group)
    }

    pub(super) fn record_event(&self, deployment_id: &str, instance: usize, event: &str, started: &str, result: &Result<(), String>) {
        let (status, message) = match result {
            Ok(()) => ("Succeeded", None),
            Err(m) => ("Failed", Some(m.as_str())),
        };
        let _ = self.inner.db.lock().execute(
            "INSERT INTO instance_events (deployment_id, instance, event, status, started_at, ended_at, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![deployment_id, instance, event, status, started, Utc::now().to_rfc3339(), message],
        );
    }

    pub(super) async fn deploy_instance(
        &self,
        deployment_id: &str,
        group: &Group,
        req: &DeployRequest,
        instance: &Instance,
    ) -> Result<(), String> {
        let artifact = &req.artifact;
        let pipeline = self.inner.pipeline.name.clone();
        let env = HookEnv {
            deployment_id,
            group,
            pipeline: &pipeline,
            artifact,
            variables: &req.variables,
        };
        let step = |event: &'static str| (event, Utc::now().to_rfc3339());

        // ApplicationStop runs the scripts of the revision the instance ran before.
        let (event, started) = step("ApplicationStop");
        let result = match &instance.archive {
            Some(old) if old.is_dir() => match load_appspec(old, &group.appspec) {
                Ok(spec) => self.run_hooks(event, &spec, old, instance, &env).await.map(|_| ()),
                Err(e) => Err(format!("ApplicationStop: the previous revision's appspec: {e}")),
            },
            _ => Ok(()),
        };
        self.record_event(deployment_id, instance.index, event, &started, &result);
        result?;
        if let Some(pgid) = instance.process_group {
            stop_group(pgid, Duration::from_secs(5)).await;
        }

        // A stop is honoured between lifecycle events: the one running finishes first.
        const AFTER_STOP: [&str; 6] = [
            "DownloadBundle",
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "ApplicationStart",
            "ValidateService",
        ];
        let stop_before = |n: usize| {
            let stopped = self.stop_requested(deployment_id).is_some();
            if stopped {
                self.skip_events(deployment_id, instance.index, &AFTER_STOP[n..]);
            }
            stopped
        };
        if stop_before(0) {
            return Err(stop::SKIPPED_BY_STOP.into());
        }
        let (event, started) = step("DownloadBundle");
        let archive = instance.dir.join("deployments").join(deployment_id).join("deployment-archive");
        let _ = std::fs::remove_dir_all(&archive);
        let result = self
            .inner
            .store
            .fetch(&pipeline, artifact, &archive)
            .map_err(|e| format!("DownloadBundle: {e}"));
        self.record_event(deployment_id, instance.index, event, &started, &result);
        result?;
        let (appspec, text) = load_appspec_text(&archive, &group.appspec).map_err(|e| format!("the revision's appspec: {e}"))?;
        let log = instance.dir.join("lifecycle.log");
        for note in appspec_notes(&group.appspec, &text, &appspec) {
            append_line(&log, &format!("--- [baton] {note} (deployment {deployment_id})"));
        }

        for (n, event) in AFTER_STOP.into_iter().enumerate().skip(1) {
            if stop_before(n) {
                return Err(stop::SKIPPED_BY_STOP.into());
            }
            let started = Utc::now().to_rfc3339();
            let result = if event == "Install" {
                install(&appspec, &archive, instance)
                    .and_then(|()| permissions::apply(&appspec, &instance.root()))
                    .map_err(|e| format!("Install: {e}"))
            } else {
                match self.run_hooks(event, &appspec, &archive, instance, &env).await {
                    Ok(Some(pgid)) if event == "ApplicationStart" => self
                        .set_instance(group, instance.index, None, None, Some(pgid))
                        .map_err(|e| e.to_string()),
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                }
            };
            self.record_event(deployment_id, instance.index, event, &started, &result);
            result?;
            // From Install on the instance holds the new revision, whatever a later hook says:
            // a failed ValidateService leaves it there, unhealthy, not the old one healthy.
            if event == "Install" {
                self.set_instance(group, instance.index, Some(artifact), None, None)
                    .map_err(|e| e.to_string())?;
            }
        }
        self.set_instance(group, instance.index, Some(artifact), Some(&archive), None)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    pub(super) fn set_instance(
        &self,
        group: &Group,
        index: usize,
        artifact: Option<&ArtifactRef>,
        archive: Option<&Path>,
        pgid: Option<i32>,
    ) -> Result<(), LocalError> {
        let conn = self.inner.db.lock();
        let key = params![self.inner.pipeline.name, group.name, index];
        if let Some(a) = artifact {
            conn.execute(
                "UPDATE instances SET artifact = ?4 WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
                params![key[0], key[1], key[2], serde_json::to_string(a).unwrap_or_default()],
            )
            .map_err(LocalError::sql)?;
        }
        if let Some(p) = archive {
            conn.execute(
                "UPDATE instances SET archive = ?4 WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
                params![key[0], key[1], key[2], p.to_string_lossy()],
            )
            .map_err(LocalError::sql)?;
        }
        if let Some(g) = pgid {
            // Also beside the instance, for `baton down` when the database is lost.
            tree::write_atomic(
                &self.instance_dir(&group.name, index).join(PROCESS_GROUP_FILE),
                g.to_string().as_bytes(),
            )?;
            conn.execute(
                "UPDATE instances SET process_group = ?4 WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
                params![key[0], key[1], key[2], g],
            )
            .map_err(LocalError::sql)?;
        }
        Ok(())
    }
}

/// What the agent reads past and what a local deployment does not apply, for the log.
fn appspec_notes(file: &str, text: &str, appspec: &Appspec) -> Vec<String> {
    let ignored = baton_core::spec::appspec::ignored_keys(Path::new(file), text)
        .into_iter()
        .map(|d| format!("{}:{}:{}: {}", file, d.pos.line, d.pos.column, d.message));
    ignored.chain(permissions::not_applied(appspec)).collect()
}

fn append_line(path: &Path, line: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}
