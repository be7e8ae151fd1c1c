#![allow(dead_code, reason = "each test binary uses part of this module")]

//! The ports in memory, for tests of the stage handlers' decisions without an adapter: each
//! records what a handler asked of it and answers from what the test set up.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use baton_core::alarm::AlarmState;
use baton_core::events::Event;
use baton_core::ports::{
    AlarmWatch, ArtifactRef, ArtifactStore, BuildRequest, BuildRunner, CanaryShift, CanarySource, DeployRequest, Deployer, DeploymentStop,
    DeploymentSummary, Manifest, MetricDatum, MetricsSink, PendingTask, PendingTasks, PortResult, Provenance, StagedArtifact,
    TaskCallbacks, TimedSamples, Timers,
};
use baton_core::stages::events::EventPorts;
use serde_json::Value;

/// How a parked token was answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Succeeded(Value),
    Failed { error: String, cause: String },
}

#[derive(Default)]
pub(crate) struct World {
    pub(crate) pending: Mutex<BTreeMap<String, PendingTask>>,
    pub(crate) answers: Mutex<Vec<(String, Answer)>>,
    pub(crate) metrics: Mutex<Vec<MetricDatum>>,
    pub(crate) alarms: Mutex<BTreeMap<String, AlarmState>>,
    pub(crate) builds: Mutex<Vec<BuildRequest>>,
    pub(crate) stopped_builds: Mutex<Vec<String>>,
    pub(crate) deployments: Mutex<Vec<DeployRequest>>,
    pub(crate) last_deployment: Mutex<Option<DeploymentSummary>>,
    pub(crate) stored: Mutex<Vec<(StagedArtifact, Provenance)>>,
    pub(crate) last_good: Mutex<BTreeMap<String, ArtifactRef>>,
    pub(crate) timers: Mutex<Vec<(u64, Event)>>,
    pub(crate) stops: Mutex<Vec<(String, DeploymentStop)>>,
    /// A stop refused as a deployment that has already ended, and the shift then over.
    pub(crate) ended_before_stop: Mutex<bool>,
    /// What a canary analysis reads: the shift, and the samples it is given (each asked window
    /// recorded).
    pub(crate) shift: Mutex<Option<CanaryShift>>,
    pub(crate) samples: Mutex<TimedSamples>,
    pub(crate) sampled: Mutex<Vec<(i64, i64)>>,
}

impl World {
    pub(crate) fn events(&self) -> EventPorts<'_> {
        EventPorts {
            artifacts: self,
            pending: self,
            callbacks: self,
            alarms: self,
            metrics: self,
            builds: self,
            canary: None,
        }
    }

    pub(crate) fn answers(&self) -> Vec<(String, Answer)> {
        self.answers.lock().unwrap().clone()
    }

    pub(crate) fn parked(&self) -> Vec<String> {
        self.pending.lock().unwrap().keys().cloned().collect()
    }

    pub(crate) fn metric_names(&self) -> Vec<String> {
        self.metrics.lock().unwrap().iter().map(|m| m.name.clone()).collect()
    }
}

pub(crate) fn artifact(name: &str, version: u64) -> ArtifactRef {
    ArtifactRef {
        name: name.into(),
        version,
        digest: format!("sha256:{version:064}"),
    }
}

#[async_trait]
impl PendingTasks for World {
    async fn put(&self, key: &str, task: &PendingTask) -> PortResult<()> {
        self.pending.lock().unwrap().insert(key.into(), task.clone());
        Ok(())
    }

    async fn take(&self, key: &str) -> PortResult<Option<PendingTask>> {
        Ok(self.pending.lock().unwrap().remove(key))
    }

    async fn list(&self, prefix: &str) -> PortResult<Vec<(String, PendingTask)>> {
        let pending = self.pending.lock().unwrap();
        Ok(pending
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect())
    }

    async fn note_job(&self, key: &str, job_id: &str) -> PortResult<bool> {
        let mut pending = self.pending.lock().unwrap();
        let Some(task) = pending.get_mut(key) else {
            return Ok(false);
        };
        task.context["job_id"] = job_id.into();
        Ok(true)
    }
}

#[async_trait]
impl TaskCallbacks for World {
    async fn succeed(&self, token: &str, output: Value) -> PortResult<bool> {
        self.answers.lock().unwrap().push((token.into(), Answer::Succeeded(output)));
        Ok(true)
    }

    async fn fail(&self, token: &str, error: &str, cause: &str) -> PortResult<bool> {
        let answer = Answer::Failed {
            error: error.into(),
            cause: cause.into(),
        };
        self.answers.lock().unwrap().push((token.into(), answer));
        Ok(true)
    }
}

#[async_trait]
impl MetricsSink for World {
    async fn put(&self, data: &[MetricDatum]) -> PortResult<()> {
        self.metrics.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
}

#[async_trait]
impl AlarmWatch for World {
    async fn state(&self, alarm: &str) -> PortResult<AlarmState> {
        Ok(self.alarms.lock().unwrap().get(alarm).copied().unwrap_or(AlarmState::Ok))
    }
}

#[async_trait]
impl Timers for World {
    async fn after(&self, delay_secs: u64, event: Event) -> PortResult<()> {
        self.timers.lock().unwrap().push((delay_secs, event));
        Ok(())
    }
}

#[async_trait]
impl BuildRunner for World {
    async fn start(&self, request: BuildRequest) -> PortResult<String> {
        let mut builds = self.builds.lock().unwrap();
        builds.push(request);
        Ok(format!("build-{}", builds.len()))
    }

    async fn stop(&self, build_id: &str) -> PortResult<()> {
        self.stopped_builds.lock().unwrap().push(build_id.into());
        Ok(())
    }
}

#[async_trait]
impl Deployer for World {
    async fn start(&self, request: DeployRequest) -> PortResult<String> {
        let mut deployments = self.deployments.lock().unwrap();
        deployments.push(request);
        Ok(format!("d-{}", deployments.len()))
    }

    async fn last_deployment(&self, _pipeline: &str, _group: &str) -> PortResult<Option<DeploymentSummary>> {
        Ok(self.last_deployment.lock().unwrap().clone())
    }

    async fn stop(&self, deployment_id: &str, request: DeploymentStop) -> PortResult<()> {
        if *self.ended_before_stop.lock().unwrap() {
            if let Some(shift) = self.shift.lock().unwrap().as_mut() {
                shift.in_progress = false;
            }
            return Err(baton_core::ports::PortError::permanent(format!(
                "deployment {deployment_id} has already ended"
            )));
        }
        self.stops.lock().unwrap().push((deployment_id.into(), request));
        Ok(())
    }
}

#[async_trait]
impl ArtifactStore for World {
    async fn put(&self, staged: &StagedArtifact, provenance: Provenance) -> PortResult<Manifest> {
        let mut stored = self.stored.lock().unwrap();
        stored.push((staged.clone(), provenance.clone()));
        Ok(Manifest {
            artifact: artifact(&staged.name, stored.len() as u64),
            size: 0,
            file_count: 0,
            created_at: "2026-12-04T00:00:00Z".into(),
            provenance,
            content: None,
        })
    }

    async fn manifest(&self, _pipeline: &str, _name: &str, _version: u64) -> PortResult<Option<Manifest>> {
        Ok(None)
    }

    async fn last_good(&self, _pipeline: &str, group: &str) -> PortResult<Option<ArtifactRef>> {
        Ok(self.last_good.lock().unwrap().get(group).cloned())
    }

    async fn set_last_good(&self, _pipeline: &str, group: &str, artifact: &ArtifactRef) -> PortResult<()> {
        self.last_good.lock().unwrap().insert(group.into(), artifact.clone());
        Ok(())
    }
}

#[async_trait]
impl CanarySource for World {
    async fn shift(&self, _deployment_id: &str) -> PortResult<Option<CanaryShift>> {
        Ok(self.shift.lock().unwrap().clone())
    }

    async fn samples(
        &self,
        _shift: &CanaryShift,
        _metrics: &[baton_core::analysis::MetricSpec],
        from_ms: i64,
        to_ms: i64,
    ) -> PortResult<TimedSamples> {
        self.sampled.lock().unwrap().push((from_ms, to_ms));
        Ok(self.samples.lock().unwrap().clone())
    }
}
