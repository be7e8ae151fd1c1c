//! The build runner port on this machine: a build started once per correlation (a redelivered
//! start gets the same id and, when it has ended, its end again), run in its own directory in the
//! background with its end published; a stop that returns once the build has ended.

use async_trait::async_trait;
use baton_core::events::Event;
use baton_core::ports::{BuildRequest, BuildRunner, PortResult};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use tokio::sync::{oneshot, watch};

use super::{Running, ShellBuildRunner};
use crate::error::LocalError;

#[async_trait]
impl BuildRunner for ShellBuildRunner {
    async fn start(&self, req: BuildRequest) -> PortResult<String> {
        crate::failpoints::point!("builds.start");
        // The same correlation is the same build: a redelivered start does not build twice.
        let existing: Option<String> = self
            .db
            .lock()
            .query_row("SELECT id FROM builds WHERE correlation = ?1", [&req.correlation], |r| r.get(0))
            .optional()
            .map_err(LocalError::sql)?;
        if let Some(id) = existing {
            crate::execution::job_ends::replay(&self.db, &self.bus, &req.correlation)?;
            return Ok(id);
        }
        let project = format!("{}-{}", req.pipeline, req.action.replace(':', "-"));
        let uuid = uuid::Uuid::new_v4().to_string();
        let id = format!("{project}:{uuid}");
        let dir = self.builds_dir.join(&uuid);
        std::fs::create_dir_all(&dir).map_err(LocalError::io(&dir))?;
        // Checked again under the write lock: of two starts racing past the check above, one
        // inserts and the other gets its build.
        let claimed: Result<u64, String> = self.db.immediate(|tx| {
            let raced: Option<String> = tx
                .query_row("SELECT id FROM builds WHERE correlation = ?1", [&req.correlation], |r| r.get(0))
                .optional()
                .map_err(LocalError::sql)?;
            if let Some(other) = raced {
                return Ok(Err(other));
            }
            let n: u64 = tx
                .query_row("SELECT COALESCE(MAX(number), 0) + 1 FROM builds WHERE pipeline = ?1 AND action = ?2", params![req.pipeline, req.action], |r| r.get(0))
                .map_err(LocalError::sql)?;
            tx.execute(
                "INSERT INTO builds (id, correlation, pipeline, execution_id, action, number, status, log_path, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'IN_PROGRESS', ?7, ?8)",
                params![id, req.correlation, req.pipeline, req.execution_id, req.action, n, dir.join("build.log").to_string_lossy(), Utc::now().to_rfc3339()],
            )
            .map_err(LocalError::sql)?;
            Ok(Ok(n))
        })?;
        let number = match claimed {
            Ok(n) => n,
            Err(other) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Ok(other);
            }
        };
        let (stop, stopped) = oneshot::channel();
        let (ended_tx, ended) = watch::channel(false);
        self.running().insert(id.clone(), Running { stop, ended });
        let runner = self.clone();
        let build_id = id.clone();
        tokio::spawn(async move {
            tracing::info!(build_id = %build_id, action = %req.action, number, "build running");
            let finished = runner.run(&build_id, number, &dir, &req, None, stopped).await;
            if let Err(e) = runner.record_end(&build_id, &finished) {
                tracing::error!(build_id = %build_id, error = %e, "could not record the build's end");
            }
            tracing::info!(build_id = %build_id, status = finished.status.as_str(), reason = ?finished.reason, "build finished");
            runner.running().remove(&build_id);
            let end = Event::BuildStateChange {
                build_id: build_id.clone(),
                correlation: req.correlation.clone(),
                status: finished.status,
                outputs: finished.outputs,
                reports: finished.reports.tests,
                coverage: finished.reports.coverage,
                variables: finished.variables,
                reason: finished.reason,
                // A build that failed before its first command has no log to point at.
                log: Some(dir.join("build.log"))
                    .filter(|l| l.is_file())
                    .map(|l| l.to_string_lossy().into_owned()),
            };
            if let Err(e) = crate::execution::job_ends::record(&runner.db, &req.correlation, &end) {
                tracing::error!(build_id = %build_id, error = %e, "could not record the build's end");
            }
            runner.bus.publish(end);
            let _ = ended_tx.send(true);
        });
        Ok(id)
    }

    /// Returns once the build has ended and been recorded, so that a `baton run` that exits
    /// next leaves no process of it behind. A build that is not running here has nothing to
    /// stop.
    async fn stop(&self, build_id: &str) -> PortResult<()> {
        let Some(Running { stop, mut ended }) = self.running().remove(build_id) else {
            return Ok(());
        };
        let _ = stop.send(());
        let _ = ended.wait_for(|done| *done).await;
        Ok(())
    }
}
