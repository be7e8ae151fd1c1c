//! Stopping a deployment on request, as CodeDeploy's `StopDeployment`: the request is a row in
//! `deployment_stops`, so any process can make it; the process running the deployment reads it
//! at the next lifecycle event, batch or traffic step (a hook script in progress finishes or
//! times out, as on CodeDeploy's agent), skips what is left, and ends the deployment `Stopped`.
//! With rollback, a new deployment returns the group to its last-good revision and the stop
//! links to it.

use baton_core::ports::{ArtifactStore, DeployRequest, Deployer, DeploymentStatus, DeploymentStop, PortError, stop_codes};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::LocalDeployer;
use crate::error::LocalError;

/// What `deploy_instance` returns for an instance whose remaining events were skipped.
pub(super) const SKIPPED_BY_STOP: &str = "skipped: the deployment was stopped";

impl LocalDeployer {
    /// The stop requested for a deployment: its cause and whether to roll back.
    pub(super) fn stop_requested(&self, id: &str) -> Option<DeploymentStop> {
        self.inner
            .db
            .lock()
            .query_row("SELECT rollback, cause FROM deployment_stops WHERE deployment_id = ?1", [id], |r| {
                Ok(DeploymentStop {
                    rollback: r.get(0)?,
                    cause: r.get(1)?,
                })
            })
            .optional()
            .unwrap_or_else(|e| {
                tracing::warn!(deployment_id = id, error = %e, "could not read the deployment's stop requests");
                None
            })
    }

    /// The outcome of a deployment that honours its stop request.
    pub(super) fn stopped(request: &DeploymentStop, when: &str) -> (DeploymentStatus, Option<String>) {
        (
            DeploymentStatus::Stopped,
            Some(format!("{}: {} {when}", stop_codes::MANUAL_STOP, request.cause)),
        )
    }

    /// Records the lifecycle events an instance will not run because of a stop.
    pub(super) fn skip_events(&self, deployment_id: &str, instance: usize, events: &[&str]) {
        let now = Utc::now().to_rfc3339();
        for event in events {
            let _ = self.inner.db.lock().execute(
                "INSERT INTO instance_events (deployment_id, instance, event, status, started_at, ended_at, message) VALUES (?1, ?2, ?3, 'Skipped', ?4, ?4, 'the deployment was stopped')",
                params![deployment_id, instance, event, now],
            );
        }
    }

    /// After a deployment ended `Stopped` on a request that asked for it: a rollback deployment
    /// of the group's last-good revision. Its id, or why there is none.
    pub(super) async fn roll_back_after_stop(&self, id: &str, req: &DeployRequest) -> Result<String, String> {
        let good = match self.inner.store.last_good(&req.pipeline, &req.group).await {
            Ok(Some(good)) => good,
            Ok(None) => return Err(format!("group {} has no last-good revision to roll back to", req.group)),
            Err(e) => return Err(format!("the last-good revision could not be read: {e}")),
        };
        let rollback = DeployRequest {
            correlation: format!("{}/stop-rollback", req.correlation),
            pipeline: req.pipeline.clone(),
            execution_id: req.execution_id.clone(),
            group: req.group.clone(),
            artifact: good,
            rollback: true,
            variables: req.variables.clone(),
        };
        let rollback_id = self
            .start(rollback)
            .await
            .map_err(|e| format!("the rollback could not start: {e}"))?;
        let _ = self.inner.db.lock().execute(
            "UPDATE deployment_stops SET rollback_id = ?2 WHERE deployment_id = ?1",
            params![id, rollback_id],
        );
        Ok(rollback_id)
    }

    /// `Deployer::stop`: records the request for the process running the deployment.
    pub(super) fn request_stop(&self, id: &str, request: &DeploymentStop) -> Result<(), PortError> {
        let conn = self.inner.db.lock();
        let status: Option<String> = conn
            .query_row("SELECT status FROM deployments WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(LocalError::sql)?;
        let Some(status) = status else {
            return Err(PortError::permanent(format!("no deployment {id}")));
        };
        if matches!(
            DeploymentStatus::parse(&status),
            Some(DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped)
        ) {
            return Err(PortError::permanent(format!("deployment {id} has already ended: {status}")));
        }
        // The first request stands: a second stop of the same deployment changes nothing.
        conn.execute(
            "INSERT OR IGNORE INTO deployment_stops (deployment_id, requested_at, rollback, cause) VALUES (?1, ?2, ?3, ?4)",
            params![id, Utc::now().to_rfc3339(), request.rollback, request.cause],
        )
        .map_err(LocalError::sql)?;
        tracing::info!(deployment_id = id, rollback = request.rollback, cause = %request.cause, "deployment stop requested");
        Ok(())
    }
}

/// The rollback a stop started, for `baton status` and `baton stop-deployment`.
pub(crate) fn rollback_of_stop(db: &crate::db::Db, deployment_id: &str) -> Result<Option<String>, LocalError> {
    Ok(db
        .lock()
        .query_row(
            "SELECT rollback_id FROM deployment_stops WHERE deployment_id = ?1",
            [deployment_id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()
        .map_err(LocalError::sql)?
        .flatten())
}
