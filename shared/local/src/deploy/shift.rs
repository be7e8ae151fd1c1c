//! Canary and linear deployments: CodeDeploy's blue/green with traffic shifting, on a local
//! group. The group has two fleets of `instances` each and a front door ([`TrafficSplit`]) on
//! a loopback port that stays the group's address. A deployment installs the revision on the
//! fleet without traffic (all at once: it serves nobody yet), runs BeforeAllowTraffic there,
//! then moves traffic to it step by step, holding each share for the interval while it watches
//! the group's alarms — the first share, with an `analysis`, until the canary analysis decides
//! (`analysis.rs`). An alarm in ALARM or a failed analysis sends all traffic back to the original
//! fleet and stops the deployment; at 100 % the original fleet gets BeforeBlockTraffic /
//! AfterBlockTraffic, is stopped, and the replacement has the traffic from then on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use baton_core::alarm::AlarmState;
use baton_core::analysis::Baseline;
use baton_core::model::{Group, TrafficRouting};
use baton_core::ports::{DeployRequest, DeploymentStatus, DeploymentStop, stop_codes};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::{HookEnv, Instance, LocalDeployer, free_port};
use crate::db::Db;
use crate::deploy::install::load_appspec;
use crate::deploy::traffic::TrafficSplit;
use crate::error::LocalError;

/// How often the alarms are read while a share of traffic is held.
const ALARM_POLL: Duration = Duration::from_millis(250);

type Outcome = (DeploymentStatus, Option<String>);

/// Why a share of traffic was not held to the end of its interval.
pub(super) enum Interrupt {
    Alarm(String),
    Stop(DeploymentStop),
    /// The canary analysis failed, for this reason.
    Analysis(String),
}

impl LocalDeployer {
    pub(super) async fn shift(&self, id: &str, req: &DeployRequest, group: &Group, routing: TrafficRouting) -> Outcome {
        match self.shift_inner(id, req, group, routing).await {
            Ok(outcome) => outcome,
            Err(e) => (DeploymentStatus::Failed, Some(e.to_string())),
        }
    }

    async fn shift_inner(&self, id: &str, req: &DeployRequest, group: &Group, routing: TrafficRouting) -> Result<Outcome, LocalError> {
        let all = self.instances(&group.name)?;
        let (front, live) = self.front(group, &all).await?;
        let n = group.instances as usize;
        let (original, replacement) = fleets(&all, n, live);
        let serving = original.iter().any(|i| i.process_group.is_some() && i.artifact.is_some());
        if req.rollback && serving && original.iter().all(|i| i.artifact.as_ref() == Some(&req.artifact)) {
            // The alarm that stopped the deployment already sent the traffic back to this version.
            tracing::info!(deployment_id = id, group = %group.name, artifact = %req.artifact, "rollback: the original fleet already runs it and has the traffic");
            return Ok((DeploymentStatus::Succeeded, None));
        }

        if let Some(stop) = self.stop_requested(id) {
            return Ok(Self::stopped(&stop, "before the replacement instances were installed"));
        }
        let failures = self.install_fleet(id, group, req, &replacement).await;
        let replacement = self.fleet(group, 1 - live)?;
        if let Some(stop) = self.stop_requested(id) {
            self.retire(group, &replacement, id, &req.variables).await?;
            return Ok(Self::stopped(
                &stop,
                "before any traffic moved; the replacement instances were retired",
            ));
        }
        if !failures.is_empty() {
            self.retire(group, &replacement, id, &req.variables).await?;
            return Ok((
                DeploymentStatus::Failed,
                Some(format!(
                    "{} of {n} replacement instances failed ({}): {}",
                    failures.len(),
                    group.config,
                    failures.join("; ")
                )),
            ));
        }
        if let Err(e) = self.traffic_hooks("BeforeAllowTraffic", id, group, req, &replacement).await {
            self.retire(group, &replacement, id, &req.variables).await?;
            return Ok((DeploymentStatus::Failed, Some(e)));
        }

        let ports: Vec<u16> = replacement.iter().map(|i| i.port).collect();
        // A first deployment has no traffic to move, and a rollback does not wait: the
        // replacement takes it all at once.
        let steps = if serving && !req.rollback { routing.steps() } else { vec![100] };
        // The canary's first share is held for its analysis rather than for the interval.
        let mut analysis = group.analysis.as_ref().filter(|_| serving && !req.rollback);
        let mut fresh = match analysis.filter(|a| a.baseline == Baseline::Fresh) {
            None => Vec::new(),
            Some(_) => match self.start_baseline(id, group, req, &original).await {
                Ok(fleet) => fleet,
                Err(why) => {
                    self.retire(group, &replacement, id, &req.variables).await?;
                    return Ok(match self.stop_requested(id) {
                        Some(stop) => Self::stopped(&stop, "while the fresh baseline started, before any traffic moved"),
                        None => (DeploymentStatus::Failed, Some(why)),
                    });
                }
            },
        };
        for weight in steps {
            if !fresh.is_empty() {
                front.set_baseline(fresh.iter().map(|i| i.port).collect());
            }
            front.shift(ports.clone(), weight);
            self.record_shift(id, &replacement, weight);
            if weight == 100 {
                continue;
            }
            let interrupted = match analysis.take() {
                Some(spec) => {
                    let verdict = self.analyse(id, group, &front, spec).await;
                    // The fresh baseline is there for the analysis only.
                    front.set_baseline(Vec::new());
                    self.retire(group, &std::mem::take(&mut fresh), id, &req.variables).await?;
                    verdict
                }
                None => self.watch(id, group, routing.interval.0).await,
            };
            if let Some(interrupt) = interrupted {
                front.roll_back();
                self.retire(group, &replacement, id, &req.variables).await?;
                let back = "all traffic is back on the original instances";
                return Ok(match interrupt {
                    Interrupt::Alarm(alarm) => (
                        DeploymentStatus::Stopped,
                        Some(format!(
                            "{}: alarm {alarm} went into ALARM with {weight} % of traffic on {}; {back}",
                            stop_codes::ALARM_ACTIVE,
                            req.artifact
                        )),
                    ),
                    Interrupt::Stop(stop) => Self::stopped(&stop, &format!("with {weight} % of traffic on {}; {back}", req.artifact)),
                    Interrupt::Analysis(why) => (
                        DeploymentStatus::Stopped,
                        Some(format!(
                            "{}: {why}, with {weight} % of traffic on {}; {back}",
                            stop_codes::CANARY_ANALYSIS_FAILED,
                            req.artifact
                        )),
                    ),
                });
            }
        }
        let mut hooks = self.traffic_hooks("AfterAllowTraffic", id, group, req, &replacement).await;
        for event in ["BeforeBlockTraffic", "AfterBlockTraffic"] {
            if hooks.is_ok() {
                hooks = self.traffic_hooks(event, id, group, req, &original).await;
            }
        }
        if let Err(e) = hooks {
            front.roll_back();
            self.retire(group, &replacement, id, &req.variables).await?;
            return Ok((DeploymentStatus::Failed, Some(e)));
        }
        front.promote();
        self.set_live(group, 1 - live)?;
        self.retire(group, &original, id, &req.variables).await?;
        Ok((DeploymentStatus::Succeeded, None))
    }

    /// Installs `req`'s revision on every instance of a fleet at once, out of the health checks
    /// until all are done (the fleet takes no traffic until it is whole); what failed, per
    /// instance.
    pub(super) async fn install_fleet(&self, id: &str, group: &Group, req: &DeployRequest, fleet: &[Instance]) -> Vec<String> {
        for i in fleet {
            self.set_out_of_service(&group.name, i.index, true);
        }
        let installs = futures_util::future::join_all(fleet.iter().map(|i| self.deploy_instance(id, group, req, i))).await;
        for i in fleet {
            self.set_out_of_service(&group.name, i.index, false);
        }
        fleet
            .iter()
            .zip(installs)
            .filter_map(|(i, r)| r.err().map(|e| format!("instance {}: {e}", i.index)))
            .collect()
    }

    /// Fleet `k` of the group (its instances `k·n … k·n + n − 1`), as recorded now.
    pub(super) fn fleet(&self, group: &Group, k: usize) -> Result<Vec<Instance>, LocalError> {
        let n = group.instances as usize;
        Ok(self.instances(&group.name)?.into_iter().filter(|i| in_fleet(i, n, k)).collect())
    }

    /// The group's front door, opened here on its recorded port, and which fleet has the traffic.
    async fn front(&self, group: &Group, all: &[Instance]) -> Result<(Arc<TrafficSplit>, usize), LocalError> {
        let pipeline = &self.inner.pipeline.name;
        let (port, live) = match front_row(&self.inner.db, pipeline, &group.name)? {
            Some(row) => row,
            None => {
                let port = free_port()?;
                self.inner
                    .db
                    .lock()
                    .execute(
                        "INSERT OR IGNORE INTO group_fronts (pipeline, grp, port, live) VALUES (?1, ?2, ?3, 0)",
                        params![pipeline, group.name, port],
                    )
                    .map_err(LocalError::sql)?;
                front_row(&self.inner.db, pipeline, &group.name)?.unwrap_or((port, 0))
            }
        };
        self.inner
            .db
            .lock()
            .execute(
                "UPDATE group_fronts SET fleet_size = ?3 WHERE pipeline = ?1 AND grp = ?2",
                params![pipeline, group.name, group.instances],
            )
            .map_err(LocalError::sql)?;
        let mut fronts = self.inner.fronts.lock().await;
        if let Some(front) = fronts.get(&group.name) {
            return Ok((Arc::clone(front), live));
        }
        let serving = fleets(all, group.instances as usize, live)
            .0
            .iter()
            .filter(|i| i.process_group.is_some())
            .map(|i| i.port)
            .collect();
        let front = TrafficSplit::bind(port, serving).await.map_err(|e| {
            LocalError::Conflict(format!(
                "group {}: cannot open its front door on 127.0.0.1:{port} ({e}); is another baton process deploying it?",
                group.name
            ))
        })?;
        let front = Arc::new(front);
        fronts.insert(group.name.clone(), Arc::clone(&front));
        Ok((front, live))
    }

    fn set_live(&self, group: &Group, live: usize) -> Result<(), LocalError> {
        self.inner
            .db
            .lock()
            .execute(
                "UPDATE group_fronts SET live = ?3 WHERE pipeline = ?1 AND grp = ?2",
                params![self.inner.pipeline.name, group.name, live as i64],
            )
            .map_err(LocalError::sql)?;
        Ok(())
    }

    /// Holds a share of traffic for `interval`, unless one of the group's alarms goes into
    /// ALARM or someone stops the deployment.
    pub(super) async fn watch(&self, id: &str, group: &Group, interval: Duration) -> Option<Interrupt> {
        let until = tokio::time::Instant::now() + interval;
        loop {
            for alarm in &group.alarms {
                if let Ok(AlarmState::Alarm) = self.inner.alarms.state(alarm).await {
                    return Some(Interrupt::Alarm(alarm.clone()));
                }
            }
            if let Some(stop) = self.stop_requested(id) {
                return Some(Interrupt::Stop(stop));
            }
            if tokio::time::Instant::now() >= until {
                return None;
            }
            tokio::time::sleep(ALARM_POLL.min(until.saturating_duration_since(tokio::time::Instant::now()))).await;
        }
    }

    /// Runs one traffic lifecycle event on every instance of a fleet that has a revision,
    /// recording it per instance.
    async fn traffic_hooks(&self, event: &str, id: &str, group: &Group, req: &DeployRequest, fleet: &[Instance]) -> Result<(), String> {
        for instance in fleet {
            let Some(archive) = &instance.archive else { continue };
            let started = Utc::now().to_rfc3339();
            let pipeline = self.inner.pipeline.name.clone();
            let artifact = instance.artifact.clone().unwrap_or_else(|| req.artifact.clone());
            let env = HookEnv {
                deployment_id: id,
                group,
                pipeline: &pipeline,
                artifact: &artifact,
                variables: &req.variables,
            };
            let result = match load_appspec(archive, &group.appspec) {
                Ok(spec) => self.run_hooks(event, &spec, archive, instance, &env).await.map(|_| ()),
                Err(e) => Err(format!("{event}: the revision's appspec: {e}")),
            };
            self.record_event(id, instance.index, event, &started, &result);
            result?;
        }
        Ok(())
    }

    /// Each traffic step, as an `AllowTraffic` event on the replacement instances.
    fn record_shift(&self, id: &str, replacement: &[Instance], weight: u32) {
        let now = Utc::now().to_rfc3339();
        for i in replacement {
            let _ = self.inner.db.lock().execute(
                "INSERT INTO instance_events (deployment_id, instance, event, status, started_at, ended_at, message) VALUES (?1, ?2, 'AllowTraffic', 'Succeeded', ?3, ?3, ?4)",
                params![id, i.index, now, format!("{weight} % of traffic")],
            );
        }
    }

    /// Stops a fleet that has (or was about to have) no traffic: ApplicationStop, its processes,
    /// and it no longer counts as running a revision.
    pub(super) async fn retire(
        &self,
        group: &Group,
        fleet: &[Instance],
        id: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<(), LocalError> {
        for instance in fleet {
            // Out of the health checks first, as a load balancer deregisters a target before
            // it is stopped: a stopping instance is not an unhealthy one.
            self.set_out_of_service(&group.name, instance.index, true);
            let stopped = self.stop_instance(group, instance, id, variables).await;
            let cleared = self
                .inner
                .db
                .lock()
                .execute(
                    "UPDATE instances SET artifact = NULL, archive = NULL WHERE pipeline = ?1 AND grp = ?2 AND idx = ?3",
                    params![self.inner.pipeline.name, group.name, instance.index],
                )
                .map_err(LocalError::sql);
            self.set_out_of_service(&group.name, instance.index, false);
            stopped?;
            cleared?;
        }
        Ok(())
    }
}

fn in_fleet(i: &Instance, n: usize, fleet: usize) -> bool {
    i.index / n.max(1) == fleet
}

/// (the fleet with the traffic, the one the traffic moves to).
fn fleets(all: &[Instance], n: usize, live: usize) -> (Vec<Instance>, Vec<Instance>) {
    let fleet = |k| all.iter().filter(|i| in_fleet(i, n, k)).cloned().collect();
    (fleet(live), fleet(1 - live))
}

fn front_row(db: &Db, pipeline: &str, group: &str) -> Result<Option<(u16, usize)>, LocalError> {
    db.lock()
        .query_row(
            "SELECT port, live FROM group_fronts WHERE pipeline = ?1 AND grp = ?2",
            params![pipeline, group],
            |r| Ok((r.get::<_, u16>(0)?, r.get::<_, i64>(1)? as usize)),
        )
        .optional()
        .map_err(LocalError::sql)
}
