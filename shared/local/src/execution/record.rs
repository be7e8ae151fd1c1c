//! What an execution leaves behind: its record (status, error) and the figures published
//! when it ends (stage durations, DORA).

use baton_asl::ExecutionOutcome;
use baton_core::metrics;
use baton_core::ports::MetricDatum;
use chrono::Utc;

use crate::PipelineStatus;
use crate::db::Db;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ExecutionRecord {
    pub id: String,
    pub pipeline: String,
    pub status: PipelineStatus,
    pub started_at: String,
    pub ended_at: String,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl ExecutionRecord {
    pub(crate) fn finish(id: &str, pipeline: &str, started_at: String, outcome: &ExecutionOutcome) -> Self {
        Self {
            id: id.to_string(),
            pipeline: pipeline.to_string(),
            status: crate::execution::status::of(outcome),
            started_at,
            ended_at: Utc::now().to_rfc3339(),
            error: outcome.error.as_ref().map(|e| e.error.clone()),
            // Step Functions records some errors (a timeout) with no cause.
            cause: outcome.error.as_ref().map(|e| e.cause.clone()).filter(|c| !c.is_empty()),
        }
    }

    /// From its first start to its end; a resumed or retried execution counts the pause too.
    pub fn took_ms(&self) -> Option<i64> {
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        Some((at(&self.ended_at)? - at(&self.started_at)?).num_milliseconds())
    }

    pub fn succeeded(&self) -> bool {
        self.status == PipelineStatus::Succeeded
    }
}

/// A new execution's id, named as the trigger names one (`20261126-181502-3f9a1c07`).
pub fn execution_id() -> String {
    baton_core::stages::trigger::new_execution_name()
}

/// How long each stage took: from its first action entering to its last one ending.
pub(crate) fn stage_datums(db: &Db, pipeline: &str, execution_id: &str) -> Vec<MetricDatum> {
    let Ok(history) = crate::query::history(db, execution_id) else {
        return Vec::new();
    };
    let mut spans: std::collections::BTreeMap<String, (i64, i64)> = std::collections::BTreeMap::new();
    let millis = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| t.timestamp_millis());
    for st in crate::query::states(&history) {
        let Some((stage, _)) = st.name.split_once(':') else { continue };
        let (Some(from), Some(to)) = (millis(&st.entered_at), st.exited_at.as_deref().and_then(millis)) else {
            continue;
        };
        let span = spans.entry(stage.to_string()).or_insert((from, to));
        *span = (span.0.min(from), span.1.max(to));
    }
    spans
        .into_iter()
        .map(|(stage, (from, to))| {
            let mut dims = metrics::pipeline_dims(pipeline);
            dims.insert("Stage".into(), stage);
            metrics::datum("StageDuration", (to - from) as f64, "Milliseconds", dims)
        })
        .collect()
}

/// DORA figures over the last 30 days, as metrics (published after each execution).
pub(crate) fn dora_datums(db: &Db, pipeline: &str) -> Vec<MetricDatum> {
    let now = Utc::now().timestamp_millis();
    let Ok(d) = crate::dora::compute(db, pipeline, now - 30 * 86_400_000, now) else {
        return Vec::new();
    };
    let dims = metrics::pipeline_dims(pipeline);
    let mut out = vec![metrics::datum(
        "DeploymentFrequency",
        d.deployment_frequency_per_day,
        "Count",
        dims.clone(),
    )];
    let optional = [
        ("LeadTimeForChanges", d.lead_time_seconds, "Seconds"),
        ("ChangeFailureRate", d.change_failure_rate.map(|r| r * 100.0), "Percent"),
        ("TimeToRestore", d.time_to_restore_seconds, "Seconds"),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(name, v, unit)| v.map(|v| metrics::datum(name, v, unit, dims.clone()))),
    );
    out
}
