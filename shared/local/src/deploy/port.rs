//! The deployer port on this machine: a deployment started once per correlation (a redelivered
//! start gets the same id and, when it has ended, its end again), run in the background and its
//! end published; the group's last deployment; a stop.

use async_trait::async_trait;
use baton_core::events::Event;
use baton_core::ports::{DeployRequest, Deployer, DeploymentStatus, DeploymentStop, DeploymentSummary, PortResult, stop_codes};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::{LocalDeployer, deployment_id};
use crate::error::LocalError;

#[async_trait]
impl Deployer for LocalDeployer {
    async fn start(&self, req: DeployRequest) -> PortResult<String> {
        crate::failpoints::point!("deploy.start");
        let existing: Option<String> = self
            .inner
            .db
            .lock()
            .query_row("SELECT id FROM deployments WHERE correlation = ?1", [&req.correlation], |r| {
                r.get(0)
            })
            .optional()
            .map_err(LocalError::sql)?;
        if let Some(id) = existing {
            crate::execution::job_ends::replay(&self.inner.db, &self.inner.bus, &req.correlation)?;
            return Ok(id);
        }
        self.group(&req.group)?;
        let id = deployment_id();
        // Of two starts racing past the check above, one inserts; the other gets its id.
        let inserted = self
            .inner
            .db
            .lock()
            .execute(
                "INSERT INTO deployments (id, correlation, pipeline, grp, execution_id, artifact, rollback, status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'Created', ?8) ON CONFLICT (correlation) DO NOTHING",
                params![id, req.correlation, req.pipeline, req.group, req.execution_id, serde_json::to_string(&req.artifact).unwrap_or_default(), req.rollback, Utc::now().to_rfc3339()],
            )
            .map_err(LocalError::sql)?;
        if inserted == 0 {
            let other: String = self
                .inner
                .db
                .lock()
                .query_row("SELECT id FROM deployments WHERE correlation = ?1", [&req.correlation], |r| {
                    r.get(0)
                })
                .map_err(LocalError::sql)?;
            return Ok(other);
        }
        let this = self.clone();
        let deployment_id = id.clone();
        tokio::spawn(async move {
            tracing::info!(deployment_id = %deployment_id, group = %req.group, artifact = %req.artifact, rollback = req.rollback, "deployment started");
            let (status, mut reason) = this.execute(&deployment_id, &req).await;
            // A stop that asks for a rollback gets it now, and the stop's reason names it.
            if status == DeploymentStatus::Stopped
                && !req.rollback
                && stop_codes::on_request(reason.as_deref())
                && this.stop_requested(&deployment_id).is_some_and(|s| s.rollback)
            {
                let next = match this.roll_back_after_stop(&deployment_id, &req).await {
                    Ok(rollback_id) => format!("; rolling back with deployment {rollback_id}"),
                    Err(why) => format!("; no rollback: {why}"),
                };
                reason = reason.map(|r| r + &next);
            }
            this.set_status(&deployment_id, status, reason.as_deref());
            tracing::info!(deployment_id = %deployment_id, group = %req.group, status = status.as_str(), reason = ?reason, "deployment finished");
            let end = Event::DeploymentStateChange {
                deployment_id: deployment_id.clone(),
                correlation: req.correlation.clone(),
                group: req.group,
                status,
                reason,
            };
            if let Err(e) = crate::execution::job_ends::record(&this.inner.db, &req.correlation, &end) {
                tracing::error!(deployment_id = %deployment_id, error = %e, "could not record the deployment's end");
            }
            this.inner.bus.publish(end);
        });
        Ok(id)
    }

    async fn last_deployment(&self, pipeline: &str, group: &str) -> PortResult<Option<DeploymentSummary>> {
        let row: Option<(String, String, String, bool)> = self
            .inner
            .db
            .lock()
            .query_row(
                "SELECT id, artifact, status, rollback FROM deployments WHERE pipeline = ?1 AND grp = ?2 ORDER BY rowid DESC LIMIT 1",
                params![pipeline, group],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(LocalError::sql)?;
        Ok(row.and_then(|(deployment_id, artifact, status, rollback)| {
            Some(DeploymentSummary {
                deployment_id,
                artifact: serde_json::from_str(&artifact).ok()?,
                status: DeploymentStatus::parse(&status)?,
                rollback,
            })
        }))
    }

    async fn stop(&self, deployment_id: &str, request: DeploymentStop) -> PortResult<()> {
        self.request_stop(deployment_id, &request)
    }
}
