//! The console over a deployed stack (`baton ui --stack NAME`): what the operations port does
//! not carry, read from the stack's services. Deployments are CodeDeploy's (each target's
//! lifecycle events), the groups' versions are their last successful deployments, alarms are
//! the stack's CloudWatch alarms, charts are `GetMetricData` per minute over the last hour, and
//! a release starts the newest execution's revision again through the trigger's path.

use std::sync::Arc;

use axum::http::StatusCode;

use baton_aws::operations::AwsOperations;
use baton_core::alarm::Statistic;
use baton_core::metrics::{MetricWindow, now_ms};
use baton_core::model::Pipeline;
use baton_core::operations::{DeploymentLog, ExecutionQuery, OperationError, Operations};
use baton_core::pipeline_status::PipelineStatus;
use baton_core::ports::{AlarmWatch, Deployer, DeploymentStatus};
use serde_json::{Value, json};

use super::api::ApiError;
use super::executor::{CHARTS, ExecutionExtras, Observed, manifests};

/// The executions whose status the change signal follows.
const WATCHED: usize = 20;

pub(super) struct Stack {
    pub aws: Arc<AwsOperations>,
}

impl Stack {
    pub(super) async fn execution(&self, id: &str, pipeline: &Pipeline) -> Result<ExecutionExtras, ApiError> {
        let mut deployments = Vec::new();
        for group in pipeline.groups.keys() {
            deployments.extend(self.aws.deployment_logs(id, group).await?.iter().map(deployment));
        }
        // Drawn with the machine it ran: a stack deployed since shows its old shape.
        let definition: Value = serde_json::from_str(&self.aws.definition_of(id).await?).map_err(ApiError::internal)?;
        Ok(ExecutionExtras {
            graph: Some(super::graph::graph(&definition, pipeline)),
            deployments: Value::from(deployments),
            // A stack's instances are CodeDeploy's targets, shown under each deployment.
            instances: json!([]),
            alarms: self.alarms(pipeline).await,
        })
    }

    /// Each group with what its last deployment installed, when that succeeded.
    pub(super) async fn groups(&self, pipeline: &Pipeline) -> Result<Vec<Value>, ApiError> {
        let mut out = Vec::new();
        for group in pipeline.groups.keys() {
            let last = self
                .aws
                .deployer
                .last_deployment(&pipeline.name, group)
                .await
                .map_err(ApiError::internal)?;
            let running: Vec<_> = last
                .iter()
                .filter(|d| d.status == DeploymentStatus::Succeeded)
                .map(|d| &d.artifact)
                .collect();
            let deployments: Vec<_> = last
                .iter()
                .map(|d| json!({ "id": d.deployment_id, "status": d.status, "rollback": d.rollback, "artifact": d.artifact }))
                .collect();
            out.push(json!({ "name": group, "instances": [], "running": running, "deployments": deployments }));
        }
        Ok(out)
    }

    pub(super) async fn artifact(&self, pipeline: &str, artifact: &str, version: u64) -> Result<Value, ApiError> {
        let store = self.aws.deployer.store();
        let (this, previous) = manifests(store, pipeline, artifact, version).await?;
        let changes = match &previous {
            Some(p) => store
                .diff(pipeline, &p.artifact, &this.artifact)
                .await
                .map_err(ApiError::internal)?,
            None => Vec::new(),
        };
        Ok(json!({ "manifest": this, "previous": previous, "changes": changes }))
    }

    /// The stack's alarms, and each of the pipeline's series as per-minute averages over the last
    /// hour. CloudWatch's alarm history is not read: its summaries are prose, not transitions.
    /// Charts CloudWatch will not give (no permission, throttled) are said so; the rest shows.
    pub(super) async fn observed(&self, pipeline: &Pipeline) -> Result<Observed, ApiError> {
        let (series, unavailable) = match self.series(pipeline).await {
            Ok(series) => (series, Vec::new()),
            Err(e) => {
                tracing::warn!(error = %e, "console could not chart the stack's metrics");
                (Vec::new(), vec![format!("charts: {e}")])
            }
        };
        Ok(Observed {
            alarms: self.alarms(pipeline).await,
            alarm_history: json!([]),
            series,
            unavailable,
        })
    }

    async fn series(&self, pipeline: &Pipeline) -> Result<Vec<Value>, OperationError> {
        let window = MetricWindow {
            statistic: Statistic::Average,
            period_secs: 60,
            since_ms: now_ms() - 3_600_000,
        };
        let mut series = Vec::new();
        for s in self
            .aws
            .metric_series()
            .await?
            .into_iter()
            .filter(|s| s.dimensions.get("Pipeline") == Some(&pipeline.name))
            .take(CHARTS)
        {
            let points = self.aws.metric_data(&s, window).await?;
            series.push(json!({ "namespace": s.namespace, "name": s.name, "dimensions": s.dimensions, "unit": s.unit, "points": points }));
        }
        Ok(series)
    }

    /// Each alarm pipeline.yml declares, in the state CloudWatch holds it; an alarm CloudWatch
    /// cannot tell about shows why.
    async fn alarms(&self, pipeline: &Pipeline) -> Value {
        let mut rows = Vec::new();
        for name in pipeline.alarms.keys().chain(pipeline.composite_alarms.keys()) {
            let (state, reason) = match self.aws.cloudwatch.state(name).await {
                Ok(state) => (state.to_string(), String::new()),
                Err(e) => ("UNKNOWN".to_string(), e.to_string()),
            };
            rows.push(json!({ "name": name, "state": state, "reason": reason }));
        }
        Value::from(rows)
    }

    /// The newest executions' ids and statuses; while one runs, the time too, so the page reads
    /// its growing history again at each check.
    pub(super) async fn version(&self) -> String {
        match self.aws.executions(&ExecutionQuery::default(), WATCHED).await {
            Ok(rows) => {
                let running = rows.iter().any(|e| e.status == PipelineStatus::Running);
                let mut version: String = rows.iter().map(|e| format!("{}={} ", e.id, e.status)).collect();
                if running {
                    version.push_str(&now_ms().to_string());
                }
                version
            }
            // Unreachable for now: nothing to report until it answers again.
            Err(e) => {
                tracing::warn!(error = %e, "console could not list the stack's executions");
                String::new()
            }
        }
    }

    /// Starts the newest execution's revision again, as CodePipeline's "Release change" runs
    /// the source's latest: on a stack a push starts an execution, so the newest execution's
    /// revision is the latest one pushed.
    pub(super) async fn release(&self) -> Result<String, ApiError> {
        let newest = self.aws.executions(&ExecutionQuery::default(), 1).await?;
        let Some(commit) = newest.into_iter().find_map(|e| e.commit_id) else {
            return Err(ApiError(
                StatusCode::CONFLICT,
                "no execution yet to take a revision from: push to the stack's repository, or run `baton run --stack NAME --source-revision COMMIT`".into(),
            ));
        };
        let variables = crate::commands::run::start_variables(&self.aws.pipeline, &[]).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(self.aws.start(commit, variables).await?)
    }
}

/// A CodeDeploy deployment in the shape the page draws a local one: its revision as an
/// artifact, each target as an instance with its lifecycle events.
fn deployment(d: &DeploymentLog) -> Value {
    let artifact = d
        .revision
        .as_deref()
        .and_then(|r| r.rsplit_once('@'))
        .and_then(|(name, version)| Some(json!({ "name": name, "version": version.parse::<u64>().ok()? })));
    let instances: Vec<Value> = d
        .targets
        .iter()
        .map(|t| json!({ "instance": t.name, "events": t.events }))
        .collect();
    json!({
        "id": d.id,
        "group": d.group,
        "status": d.status,
        "rollback": d.rollback,
        "reason": d.reason,
        "artifact": artifact,
        "instances": instances,
        "analysis": d.analysis,
    })
}
