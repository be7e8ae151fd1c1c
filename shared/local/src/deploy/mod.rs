//! `LocalDeployer`: CodeDeploy's agent on a local fleet. A deployment group is N instances, each
//! a directory with its own root (where appspec destinations land) and a loopback port. Each
//! instance goes through the Server lifecycle: ApplicationStop (scripts of the revision it ran
//! before), DownloadBundle, BeforeInstall, Install, AfterInstall, ApplicationStart,
//! ValidateService, paced by the group's deployment configuration.
//!
//! Layout: this file (instances, queueing, the in-place pacing, the port), `lifecycle` (one
//! instance's events and hooks), `shift` (canary and linear traffic shifting), `baseline` (a fresh
//! baseline for canary analysis), `stop` (stops on
//! request and the rollback they ask for).

pub mod analysis;
mod baseline;
pub(crate) mod install;
mod lifecycle;
pub(crate) mod permissions;
pub(crate) mod plan;
mod port;
pub(crate) mod shift;
pub(crate) mod stop;
pub mod traffic;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baton_core::alarm::AlarmState;
use baton_core::model::{DeploymentConfig, Group, Pipeline};
use baton_core::ports::{AlarmWatch, ArtifactRef, DeployRequest, DeploymentStatus, stop_codes};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use crate::artifacts::FsArtifactStore;
use crate::coordination::bus::EventBus;
use crate::db::Db;
use crate::deploy::install::load_appspec;
use crate::deploy::plan::Plan;
use crate::error::LocalError;
use crate::sys::process::stop_group;

/// Beside each instance, the process group its revision runs in: what `baton down` stops when
/// the state directory's database is lost ([`stop_recorded`]).
pub(crate) const PROCESS_GROUP_FILE: &str = "process-group";

fn instance_dir(groups_dir: &Path, pipeline: &str, group: &str, index: usize) -> PathBuf {
    groups_dir.join(pipeline).join(group).join(format!("instance-{index}"))
}

/// Stops the instances of a pipeline from what is recorded beside them, without the database:
/// `baton down` on a damaged state directory. A recorded process group is stopped only while
/// a process in it still carries that instance's root in its environment, so a group id the
/// system has since given to something else is left alone. Returns how many were stopped.
/// What one deployment wrote in an instance's lifecycle log: each section the log opens with
/// `--- … (deployment ID)` (a hook and its output, a note), in order. The log holds every
/// deployment of the instance, a rollback's after the deployment it replaced.
pub fn lifecycle_output(state_dir: &Path, pipeline: &str, group: &str, index: usize, deployment_id: &str) -> String {
    let log = instance_dir(&state_dir.join("groups"), pipeline, group, index).join("lifecycle.log");
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let marker = format!("(deployment {deployment_id})");
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("--- ") {
            inside = line.ends_with(&marker);
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub async fn stop_recorded(state_dir: &Path, pipeline: &str) -> usize {
    let pipeline_dir = state_dir.join("groups").join(pipeline);
    let mut stopped = 0;
    let groups = std::fs::read_dir(&pipeline_dir).into_iter().flatten().flatten();
    for group in groups {
        for instance in std::fs::read_dir(group.path()).into_iter().flatten().flatten() {
            let dir = instance.path();
            let Some(pgid) = std::fs::read_to_string(dir.join(PROCESS_GROUP_FILE))
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
            else {
                continue;
            };
            let marker = format!("BATON_INSTANCE_ROOT={}", dir.join("root").display());
            if crate::sys::process::group_carries_env(pgid, &marker) {
                stop_group(pgid, Duration::from_secs(5)).await;
                stopped += 1;
            }
            let _ = std::fs::remove_file(dir.join(PROCESS_GROUP_FILE));
        }
    }
    stopped
}

/// One instance of a local deployment group.
#[derive(Debug, Clone)]
pub struct Instance {
    pub index: usize,
    pub port: u16,
    pub dir: PathBuf,
    pub artifact: Option<ArtifactRef>,
    pub archive: Option<PathBuf>,
    pub process_group: Option<i32>,
    /// Not taken out by a deployment of any process on this state directory: health probes
    /// skip the instances that are out, as a load balancer would deregister them.
    pub in_service: bool,
}

impl Instance {
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }
}

/// port, artifact JSON, archive path, process group, out of service.
type InstanceColumns = (u16, Option<String>, Option<String>, Option<i32>, bool);

#[derive(Clone)]
pub struct LocalDeployer {
    inner: Arc<Inner>,
}

struct Inner {
    pipeline: Arc<Pipeline>,
    groups_dir: PathBuf,
    db: Arc<Db>,
    store: Arc<FsArtifactStore>,
    bus: EventBus,
    alarms: Arc<dyn AlarmWatch>,
    /// Never two deployments on one group at once: later ones queue here.
    group_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The front doors of the groups that shift traffic, opened by their first deployment here.
    fronts: tokio::sync::Mutex<HashMap<String, Arc<traffic::TrafficSplit>>>,
}

impl std::fmt::Debug for LocalDeployer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDeployer").field("groups_dir", &self.inner.groups_dir).finish()
    }
}

/// The environment CodeDeploy's agent gives hook scripts, plus Baton's local instance facts.
struct HookEnv<'a> {
    deployment_id: &'a str,
    group: &'a Group,
    pipeline: &'a str,
    artifact: &'a ArtifactRef,
    /// The pipeline's variables in the execution that deploys, as its builds get them.
    variables: &'a BTreeMap<String, String>,
}

impl LocalDeployer {
    pub fn new(
        pipeline: Arc<Pipeline>,
        state_dir: &Path,
        db: Arc<Db>,
        store: Arc<FsArtifactStore>,
        bus: EventBus,
        alarms: Arc<dyn AlarmWatch>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                pipeline,
                groups_dir: state_dir.join("groups"),
                db,
                store,
                bus,
                alarms,
                group_locks: Mutex::new(HashMap::new()),
                fronts: tokio::sync::Mutex::new(HashMap::new()),
            }),
        }
    }

    fn group(&self, name: &str) -> Result<&Group, LocalError> {
        self.inner
            .pipeline
            .groups
            .get(name)
            .ok_or_else(|| LocalError::NotFound(format!("unknown deployment group `{name}`")))
    }

    fn set_out_of_service(&self, group: &str, index: usize, out: bool) {
        let result = self.inner.db.lock().execute(
            "UPDATE instances SET out_of_service = ?4 WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
            params![self.inner.pipeline.name, group, index, out],
        );
        if let Err(e) = result {
            tracing::warn!(group, instance = index, error = %e, "could not record whether an instance is in service");
        }
    }

    fn instance_dir(&self, group: &str, index: usize) -> PathBuf {
        instance_dir(&self.inner.groups_dir, &self.inner.pipeline.name, group, index)
    }

    /// The group's instances, creating their directories and ports on first use.
    pub fn instances(&self, group: &str) -> Result<Vec<Instance>, LocalError> {
        let g = self.group(group)?;
        let mut out = Vec::new();
        // A group that shifts traffic has two fleets, the one with the traffic and the one the
        // next revision is installed on (CodeDeploy's original and replacement instances).
        for index in 0..g.instances as usize * baseline::fleet_count(g) {
            let dir = self.instance_dir(group, index);
            let (port, artifact, archive, process_group, out_of_service) = self.provisioned(group, index)?;
            std::fs::create_dir_all(dir.join("root")).map_err(LocalError::io(&dir))?;
            out.push(Instance {
                index,
                port,
                dir,
                artifact: artifact.and_then(|a| serde_json::from_str(&a).ok()),
                archive: archive.map(PathBuf::from),
                process_group,
                in_service: !out_of_service,
            });
        }
        Ok(out)
    }

    /// The instance's row, given a free port on first use. Another process on the state
    /// directory may provision it at the same moment (a deployment there, a health probe here):
    /// the insert that comes second changes nothing, so both read the first one's port.
    fn provisioned(&self, group: &str, index: usize) -> Result<InstanceColumns, LocalError> {
        let read = || {
            self.inner
                .db
                .lock()
                .query_row(
                    "SELECT port, artifact, archive, process_group, out_of_service FROM instances WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
                    params![self.inner.pipeline.name, group, index],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
        };
        if let Some(row) = read().optional().map_err(LocalError::sql)? {
            return Ok(row);
        }
        self.inner
            .db
            .lock()
            .execute(
                "INSERT INTO instances (pipeline, grp, idx, port) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![self.inner.pipeline.name, group, index, free_port()?],
            )
            .map_err(LocalError::sql)?;
        read().map_err(LocalError::sql)
    }

    fn set_status(&self, id: &str, status: DeploymentStatus, reason: Option<&str>) {
        let ended = matches!(
            status,
            DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
        )
        .then(|| Utc::now().to_rfc3339());
        let _ = self.inner.db.lock().execute(
            "UPDATE deployments SET status = ?2, reason = COALESCE(?3, reason), ended_at = COALESCE(?4, ended_at) WHERE id = ?1",
            params![id, status.as_str(), reason, ended],
        );
    }

    async fn execute(&self, id: &str, req: &DeployRequest) -> (DeploymentStatus, Option<String>) {
        let lock = {
            let mut locks = self.inner.group_locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(req.group.clone()).or_default().clone()
        };
        self.set_status(id, DeploymentStatus::Queued, None);
        let _held = lock.lock().await;
        // The mutex orders this process's deployments; the file lock, those of other processes.
        let _across = match crate::sys::file_lock::exclusive(self.inner.groups_dir.join(format!("{}.lock", req.group))).await {
            Ok(l) => l,
            Err(e) => return (DeploymentStatus::Failed, Some(e.to_string())),
        };
        if let Some(stop) = self.stop_requested(id) {
            return Self::stopped(&stop, "before it started");
        }
        self.set_status(id, DeploymentStatus::InProgress, None);
        let group = match self.group(&req.group) {
            Ok(g) => g.clone(),
            Err(e) => return (DeploymentStatus::Failed, Some(e.to_string())),
        };
        if let Some(target) = &group.lambda {
            return (
                DeploymentStatus::Failed,
                Some(format!(
                    "group {} deploys Lambda function {} (alias {}): CodeDeploy does that on AWS; local groups run the Server platform",
                    group.name, target.function, target.alias
                )),
            );
        }
        if let DeploymentConfig::TrafficShift(routing) = group.config {
            return self.shift(id, req, &group, routing).await;
        }
        let instances = match self.instances(&req.group) {
            Ok(i) => i,
            Err(e) => return (DeploymentStatus::Failed, Some(e.to_string())),
        };
        let n = instances.len();
        let plan = Plan::new(group.config, n);
        let (mut failed, mut done) = (0, 0);
        let mut reasons = Vec::new();
        for batch in instances.chunks(plan.batch) {
            if let Some(stop) = self.stop_requested(id) {
                return Self::stopped(&stop, &format!("after {done} of {n} instances"));
            }
            // CodeDeploy stops a deployment whose group alarm fires; a rollback is exempt, since
            // the alarm that fired is usually why it runs.
            for alarm in group.alarms.iter().filter(|_| !req.rollback) {
                if let Ok(AlarmState::Alarm) = self.inner.alarms.state(alarm).await {
                    return (
                        DeploymentStatus::Stopped,
                        Some(format!(
                            "{}: alarm {alarm} is in ALARM; the deployment was stopped",
                            stop_codes::ALARM_ACTIVE
                        )),
                    );
                }
            }
            for i in batch {
                self.set_out_of_service(&group.name, i.index, true);
            }
            let results = futures_util::future::join_all(batch.iter().map(|i| self.deploy_instance(id, &group, req, i))).await;
            for (i, r) in batch.iter().zip(results) {
                self.set_out_of_service(&group.name, i.index, false);
                match r {
                    // Neither deployed nor failed: the stop below ends the deployment.
                    Err(e) if e == stop::SKIPPED_BY_STOP => {}
                    Err(e) => {
                        tracing::warn!(deployment_id = id, group = %group.name, instance = i.index, error = %e, "instance deployment failed");
                        done += 1;
                        failed += 1;
                        reasons.push(format!("instance {}: {e}", i.index));
                    }
                    Ok(()) => {
                        tracing::info!(deployment_id = id, group = %group.name, instance = i.index, artifact = %req.artifact, "instance deployed");
                        done += 1;
                    }
                }
            }
            if let Some(stop) = self.stop_requested(id) {
                return Self::stopped(&stop, &format!("after {done} of {n} instances"));
            }
            if plan.must_stop(group.config, n, failed, done) {
                break;
            }
        }
        if plan.succeeded(group.config, n, failed) && done == n {
            (DeploymentStatus::Succeeded, None)
        } else {
            (
                DeploymentStatus::Failed,
                Some(format!(
                    "{failed} of {n} instances failed ({}): {}",
                    group.config,
                    reasons.join("; ")
                )),
            )
        }
    }

    /// Stops what the group's instances run (their ApplicationStop scripts, then anything left
    /// in the process groups their ApplicationStart hooks created).
    pub async fn teardown(&self, group: &str) -> Result<usize, LocalError> {
        let g = self.group(group)?.clone();
        let mut stopped = 0;
        for instance in self.instances(group)? {
            stopped += usize::from(self.stop_instance(&g, &instance, "teardown", &BTreeMap::new()).await?);
        }
        Ok(stopped)
    }

    /// Runs an instance's ApplicationStop scripts and stops what is left of its process group;
    /// true when it had one.
    async fn stop_instance(
        &self,
        g: &Group,
        instance: &Instance,
        deployment_id: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<bool, LocalError> {
        if let (Some(archive), Some(artifact)) = (&instance.archive, &instance.artifact)
            && let Ok(spec) = load_appspec(archive, &g.appspec)
        {
            let pipeline = self.inner.pipeline.name.clone();
            let env = HookEnv {
                deployment_id,
                group: g,
                pipeline: &pipeline,
                artifact,
                variables,
            };
            if let Err(e) = self.run_hooks("ApplicationStop", &spec, archive, instance, &env).await {
                tracing::warn!(group = %g.name, instance = instance.index, error = %e, "ApplicationStop failed while stopping an instance");
            }
        }
        if let Some(pgid) = instance.process_group {
            stop_group(pgid, Duration::from_secs(5)).await;
        }
        let _ = std::fs::remove_file(instance.dir.join(PROCESS_GROUP_FILE));
        self.inner
            .db
            .lock()
            .execute(
                "UPDATE instances SET process_group = NULL WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
                params![self.inner.pipeline.name, g.name, instance.index],
            )
            .map_err(LocalError::sql)?;
        Ok(instance.process_group.is_some())
    }
}

fn free_port() -> Result<u16, LocalError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(LocalError::io("127.0.0.1:0"))?;
    Ok(listener.local_addr().map_err(LocalError::io("127.0.0.1:0"))?.port())
}

fn deployment_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("d-{}", &hex[..9])
}
