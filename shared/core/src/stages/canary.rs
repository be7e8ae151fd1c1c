//! A canary analysis driven by timers, as on AWS: where no process watches the shift (Lambda's
//! traffic is shifted by CodeDeploy), the deploy action schedules one `CanaryCheck` event per
//! interval when the deployment starts. Each check reads both versions' samples since the
//! deployment started (CloudWatch's per-minute points, through [`CanarySource`]), replays the
//! same judge the local front door's analysis runs ([`analysis::replay`]), and acts on the
//! decision: nothing (continue, or promote: the shift goes on), or a stop of the deployment with
//! a rollback, its reason kept so the deploy action fails with `CanaryAnalysisFailed` rather
//! than as a stop by hand.
//!
//! Stateless by design: each check recomputes every interval from the samples, so a redelivered
//! or late timer judges the same way, and a check after the deployment ended judges nothing.

use std::collections::BTreeMap;

use crate::analysis::{self, AnalysisSpec, Decision, IntervalResult, IntervalSamples};
use crate::events::Event;
use crate::ports::{
    CanarySource, Deployer, DeploymentStop, PendingTask, PendingTasks, PortError, PortResult, TimedSamples, Timers, stop_codes,
};
use crate::stages::{StageError, parked};

/// How long after an interval's end its check runs: Lambda sends its metrics to CloudWatch per
/// minute, and the last minute's point arrives a little after the minute ends.
pub const METRICS_LAG_SECS: u64 = 120;

#[allow(missing_debug_implementations, reason = "a bundle of trait objects")]
pub struct CanaryPorts<'a> {
    pub source: &'a dyn CanarySource,
    pub deployer: &'a dyn Deployer,
}

/// One check of a deployment's analysis: interval `interval` (from 1) of `analysis`, counted
/// from the deployment's start.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub deployment_id: &'a str,
    pub group: &'a str,
    pub analysis: &'a AnalysisSpec,
    pub interval: u32,
    pub started_ms: i64,
}

/// The reason a failed analysis left for deployment `deployment_id`, taken: a stop it asked for
/// ends with the analysis named, not as a stop by hand (CodeDeploy reports `MANUAL_STOP`).
pub async fn take_verdict(pending: &dyn PendingTasks, deployment_id: &str) -> Result<Option<String>, StageError> {
    Ok(pending
        .take(&parked::canary_verdict(deployment_id))
        .await?
        .and_then(|t| t.context.get("reason").and_then(|r| r.as_str()).map(str::to_string)))
}

/// Schedules every check of `group`'s analysis: interval `n`'s after `n` intervals (and the
/// metrics' lag) from deployment `deployment_id`'s start at `started_ms`. All at once, so the
/// events function sets no timers of its own.
pub async fn schedule(
    timers: &dyn Timers,
    analysis: &AnalysisSpec,
    deployment_id: &str,
    group: &str,
    started_ms: i64,
) -> Result<(), StageError> {
    for interval in 1..=analysis.intervals.min(analysis::MAX_INTERVALS) {
        let event = Event::CanaryCheck {
            deployment_id: deployment_id.to_string(),
            group: group.to_string(),
            analysis: analysis.clone(),
            interval,
            started_ms,
        };
        let after = analysis
            .interval
            .secs()
            .saturating_mul(u64::from(interval))
            .saturating_add(METRICS_LAG_SECS);
        timers.after(after, event).await?;
    }
    Ok(())
}

/// Judges interval `interval` of deployment `deployment_id` and acts on the decision; the
/// interval's result, or `None` when there was nothing to judge (no analysis, the deployment
/// gone or ended). A failed analysis leaves its reason in `pending` for the deployment's end.
pub async fn check(ports: &CanaryPorts<'_>, pending: &dyn PendingTasks, check: Check<'_>) -> Result<Option<IntervalResult>, StageError> {
    let Check {
        deployment_id,
        group,
        analysis: spec,
        interval,
        started_ms,
    } = check;
    let shift = match ports.source.shift(deployment_id).await? {
        Some(shift) if shift.in_progress => shift,
        _ => {
            tracing::info!(group, deployment_id, interval, "the deployment ended before its canary check");
            return Ok(None);
        }
    };
    let len_ms = i64::try_from(spec.interval.0.as_millis()).unwrap_or(i64::MAX);
    let to_ms = started_ms.saturating_add(len_ms.saturating_mul(i64::from(interval)));
    let samples = ports.source.samples(&shift, &spec.metrics, started_ms, to_ms).await?;
    let windows = (0..interval)
        .map(|k| {
            let from = started_ms.saturating_add(len_ms.saturating_mul(i64::from(k)));
            window(&samples, from, from.saturating_add(len_ms))
        })
        .collect();
    // The replay ends at the first decision: a late point may fail an earlier interval now.
    let results = analysis::replay(spec, windows);
    if let Err(e) = keep(pending, deployment_id, &results).await {
        // Kept for reading only: the verdict below matters more than its record.
        tracing::warn!(group, deployment_id, interval, error = %e, "the judged intervals were not kept");
    }
    let Some(result) = results.last().cloned() else {
        return Ok(None);
    };
    tracing::info!(
        group,
        deployment_id,
        interval = result.interval,
        score = result.score,
        decision = result.decision.as_str(),
        reason = %result.reason,
        "canary analysis interval judged"
    );
    match result.decision {
        // The next interval's check is scheduled already; promotion lets the shift go on.
        Decision::Continue | Decision::Promote => {}
        Decision::Fail => {
            let cause = format!(
                "{}: the canary analysis failed at interval {} of {}: {}",
                stop_codes::CANARY_ANALYSIS_FAILED,
                result.interval,
                spec.intervals,
                result.reason
            );
            let verdict = PendingTask {
                token: String::new(),
                context: serde_json::json!({ "reason": cause }),
            };
            pending.put(&parked::canary_verdict(deployment_id), &verdict).await?;
            if let Err(e) = ports.deployer.stop(deployment_id, DeploymentStop { rollback: true, cause }).await {
                // It ended meanwhile (CodeDeploy shifted the rest, or an alarm stopped it): there is
                // nothing to stop, and its end is not the analysis's. Anything else is retried.
                if ports.source.shift(deployment_id).await?.is_some_and(|s| s.in_progress) {
                    return Err(e.into());
                }
                take_verdict(pending, deployment_id).await?;
                tracing::warn!(group, deployment_id, error = %e, "the canary failed after its deployment ended");
            }
        }
    }
    Ok(Some(result))
}

/// The intervals judged so far of deployment `deployment_id`'s analysis, as its last check
/// replayed them; empty when it has none.
pub async fn kept(pending: &dyn PendingTasks, deployment_id: &str) -> PortResult<Vec<IntervalResult>> {
    let key = parked::canary_results(deployment_id);
    let Some((_, task)) = pending.list(&key).await?.into_iter().find(|(k, _)| *k == key) else {
        return Ok(Vec::new());
    };
    serde_json::from_value(task.context)
        .map_err(|e| PortError::permanent(format!("the kept canary analysis of {deployment_id} does not read: {e}")))
}

/// Keeps `results`, unless a check of a later interval (a redelivered timer may come late)
/// kept more already.
pub async fn keep(pending: &dyn PendingTasks, deployment_id: &str, results: &[IntervalResult]) -> Result<(), StageError> {
    if results.is_empty() || kept(pending, deployment_id).await?.len() > results.len() {
        return Ok(());
    }
    let task = PendingTask {
        token: String::new(),
        context: serde_json::to_value(results).map_err(|e| PortError::permanent(e.to_string()))?,
    };
    Ok(pending.put(&parked::canary_results(deployment_id), &task).await?)
}

/// The samples of each side that fall in `[from_ms, to_ms)`.
fn window(samples: &TimedSamples, from_ms: i64, to_ms: i64) -> IntervalSamples {
    let pick = |side: &BTreeMap<String, Vec<(i64, f64)>>| -> BTreeMap<String, Vec<f64>> {
        side.iter()
            .map(|(name, points)| {
                let values = points
                    .iter()
                    .filter(|(at, _)| (from_ms..to_ms).contains(at))
                    .map(|(_, v)| *v)
                    .collect();
                (name.clone(), values)
            })
            .collect()
    };
    IntervalSamples {
        canary: pick(&samples.canary),
        baseline: pick(&samples.baseline),
    }
}
