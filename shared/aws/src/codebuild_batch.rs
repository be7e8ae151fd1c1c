//! Batch builds on CodeBuild (an action's `batch: true`, CodePipeline's `BatchEnabled`):
//! `StartBuildBatch` with the same overrides as a build, the batch's ARN as the action's job id,
//! `StopBuildBatch` to stop it. CodeBuild sends EventBridge no event for a batch (the
//! EventBridge reference lists Build State Change, Build Phase Change and Fleet State Change),
//! but each build of the batch sends its own and carries the action's correlation: the batch's
//! end is read from `BatchGetBuildBatches` when its builds report.

use std::time::Duration;

use aws_sdk_codebuild::types::{BuildBatch, StatusType};
use baton_core::events::{BuildStatus, Event};
use baton_core::ports::{BuildRequest, PortError, PortResult};

use crate::codebuild::{CodeBuildRunner, Overrides, staged_outputs, status, with_overrides};
use crate::sdk::port_error;

/// The batch id (`project:uuid`) in a batch's ARN (`…:build-batch/project:uuid`), the job id a
/// batch is known by; `None` for a build's id.
pub(crate) fn batch_id(job: &str) -> Option<&str> {
    job.split_once(":build-batch/").map(|(_, id)| id)
}

/// How long an ended batch's last build may wait for the batch itself to end (its
/// COMBINE_ARTIFACTS phase) before the event is given back to EventBridge, which delivers it
/// again: no event says when a batch ends.
const BATCH_END_WAIT: Duration = Duration::from_secs(120);

impl CodeBuildRunner {
    pub(crate) async fn start_batch(&self, req: &BuildRequest, o: Overrides) -> PortResult<String> {
        let out = with_overrides!(self.client().start_build_batch(), self, req, o)
            .build_timeout_in_minutes_override(o.timeout_minutes)
            .send()
            .await
            .map_err(|e| port_error("CodeBuild StartBuildBatch", &e))?;
        let arn = out
            .build_batch()
            .and_then(|b| b.arn())
            .ok_or_else(|| PortError::transient("CodeBuild StartBuildBatch returned no batch ARN"))?;
        tracing::info!(batch = %arn, project = %self.project(), correlation = %req.correlation, "CodeBuild batch started");
        Ok(arn.to_string())
    }

    pub(crate) async fn stop_batch(&self, id: &str) -> PortResult<()> {
        let out = self
            .client()
            .stop_build_batch()
            .id(id)
            .send()
            .await
            .map_err(|e| port_error("CodeBuild StopBuildBatch", &e))?;
        let status = out
            .build_batch()
            .and_then(|b| b.build_batch_status())
            .map(|s| s.as_str().to_string());
        tracing::info!(batch = id, status = ?status, "CodeBuild batch stopped");
        Ok(())
    }

    async fn batch(&self, arn: &str) -> PortResult<BuildBatch> {
        let id = batch_id(arn).unwrap_or(arn);
        let out = self
            .client()
            .batch_get_build_batches()
            .ids(id)
            .send()
            .await
            .map_err(|e| port_error("CodeBuild BatchGetBuildBatches", &e))?;
        out.build_batches()
            .first()
            .cloned()
            .ok_or_else(|| PortError::transient(format!("CodeBuild does not know batch {id}")))
    }

    /// The action's end when the batch has ended; `None` while some of its builds run. When
    /// they have all ended the batch is waited for (its COMBINE_ARTIFACTS phase), up to
    /// [`BATCH_END_WAIT`]; past that the event fails, to be delivered again.
    pub(crate) async fn batch_event(&self, arn: &str, correlation: &str) -> PortResult<Option<Event>> {
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_secs(2);
        loop {
            let batch = self.batch(arn).await?;
            if let Some(done) = batch_status(&batch) {
                return Ok(Some(batch_end(arn, correlation, &batch, done)));
            }
            let builds_running = batch.build_groups().iter().any(|g| {
                g.current_build_summary()
                    .and_then(|s| s.build_status())
                    .is_none_or(|s| *s == StatusType::InProgress)
            });
            if builds_running {
                tracing::debug!(batch = arn, "a build of the batch ended; others still run");
                return Ok(None);
            }
            if waited >= BATCH_END_WAIT {
                return Err(PortError::transient(format!(
                    "batch {arn}: its builds have ended but the batch has not after {} s",
                    waited.as_secs()
                )));
            }
            tokio::time::sleep(pause).await;
            waited += pause;
            pause = (pause * 2).min(Duration::from_secs(20));
        }
    }
}

fn batch_status(batch: &BuildBatch) -> Option<BuildStatus> {
    status(batch.build_batch_status()?.as_str()).filter(|s| *s != BuildStatus::InProgress)
}

/// The batch's end as the action's: its combined artifacts, and for a failure which builds
/// failed, as `baton run` says it.
fn batch_end(arn: &str, correlation: &str, batch: &BuildBatch, status: BuildStatus) -> Event {
    let outputs = if status == BuildStatus::Succeeded {
        staged_outputs(batch.artifacts(), batch.secondary_artifacts())
    } else {
        Vec::new()
    };
    let failed: Vec<String> = batch
        .build_groups()
        .iter()
        .filter(|g| !g.ignore_failure())
        .filter_map(|g| {
            let s = g.current_build_summary()?.build_status()?;
            (*s != StatusType::Succeeded).then(|| format!("build `{}` {}", g.identifier().unwrap_or("?"), s.as_str()))
        })
        .collect();
    let reason = (status != BuildStatus::Succeeded).then(|| {
        if failed.is_empty() {
            format!("batch {}", status.as_str())
        } else {
            format!("batch: {}", failed.join("; "))
        }
    });
    Event::BuildStateChange {
        build_id: arn.to_string(),
        correlation: correlation.to_string(),
        status,
        outputs,
        reports: Vec::new(),
        coverage: Vec::new(),
        variables: Default::default(),
        reason,
        log: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_known_by_its_arn() {
        assert_eq!(
            batch_id("arn:aws:codebuild:us-east-1:123456789012:build-batch/baton-builds:6e4c"),
            Some("baton-builds:6e4c")
        );
        assert_eq!(batch_id("baton-builds:6e4c"), None);
    }
}
