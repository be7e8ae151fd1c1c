//! What the console shows of this machine beyond the operations port: the state database's
//! instances with their health, deployment rows with their canary analysis, alarms and raw
//! datapoints, the stored artifacts, and SQLite's `data_version` as the change signal.

use std::path::PathBuf;
use std::sync::Arc;

use baton_core::model::Pipeline;
use baton_local::artifacts::FsArtifactStore;
use baton_local::db::Db;
use baton_local::execution::record::execution_id;
use baton_local::{LocalRuntime, RuntimeOptions, query};
use serde_json::{Value, json};

use super::api::ApiError;
use super::executor::{ExecutionExtras, Observed};

pub(super) struct Local {
    pub pipeline_file: PathBuf,
    pub state_dir: PathBuf,
    pub db: Arc<Db>,
    pub store: FsArtifactStore,
}

impl Local {
    pub(super) fn execution(&self, id: &str, exec_pipeline: &str, pipeline: &Pipeline) -> Result<ExecutionExtras, ApiError> {
        let db = &self.db;
        // Drawn with the machine it ran: a pipeline edited since shows its old shape.
        let graph = query::definition(db, id)?.map(|d| super::graph::graph(&d, pipeline));
        Ok(ExecutionExtras {
            graph,
            deployments: json!(query::deployments(db, id)?),
            instances: json!(query::instances(db, exec_pipeline)?),
            alarms: json!(query::alarms(db)?),
        })
    }

    /// Each deployment group: its instances (version, running, health) and its last ten
    /// deployments. Health is asked of each running instance as the page asks, so it is current
    /// even when no run is probing.
    pub(super) async fn groups(&self, pipeline: &Pipeline) -> Result<Vec<Value>, ApiError> {
        let mut instances = query::instances(&self.db, &pipeline.name)?;
        baton_local::cloudwatch::check_health(&mut instances).await;
        let mut out = Vec::new();
        for group in pipeline.groups.keys() {
            let mine: Vec<_> = instances.iter().filter(|i| &i.group == group).collect();
            out.push(json!({
                "name": group,
                "instances": mine,
                "deployments": query::group_deployments(&self.db, &pipeline.name, group, 10)?,
            }));
        }
        Ok(out)
    }

    /// One stored version's manifest, the one before it, and the files that changed between them.
    pub(super) async fn artifact(&self, pipeline: &str, artifact: &str, version: u64) -> Result<Value, ApiError> {
        let (this, previous) = super::executor::manifests(&self.store, pipeline, artifact, version).await?;
        let changes = match &previous {
            Some(p) => self.store.diff(pipeline, &p.artifact, &this.artifact)?,
            None => Vec::new(),
        };
        Ok(json!({ "manifest": this, "previous": previous, "changes": changes }))
    }

    /// The alarms with their last day of transitions, and the newest 60 datapoints of each of
    /// this pipeline's metric series (at most 12).
    pub(super) fn observed(&self, pipeline: &str, day_ago: &str) -> Result<Observed, ApiError> {
        let db = &self.db;
        let mut series = Vec::new();
        for s in query::metric_series(db)?
            .into_iter()
            .filter(|s| s.dimensions.get("Pipeline").is_some_and(|p| p == pipeline))
            .take(super::executor::CHARTS)
        {
            let dims = serde_json::to_string(&s.dimensions).unwrap_or_default();
            let points = query::metric_points(db, &s.namespace, &s.name, &dims, 60)?;
            series.push(json!({ "namespace": s.namespace, "name": s.name, "dimensions": s.dimensions, "unit": s.unit, "points": points }));
        }
        Ok(Observed {
            alarms: json!(query::alarms(db)?),
            alarm_history: json!(query::alarm_history(db, day_ago, None)?),
            series,
            unavailable: Vec::new(),
        })
    }

    /// SQLite's `data_version`: it moves whenever another process commits to the database.
    pub(super) fn version(&self) -> String {
        let version: i64 = self
            .db
            .lock()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap_or_default();
        version.to_string()
    }

    /// Starts an execution of the pipeline at its source's head, as `baton run` does. The
    /// console's process runs it: stopping the console leaves it to be found as an execution
    /// whose runner died.
    pub(super) async fn release(&self, by: &str) -> Result<String, ApiError> {
        let options = RuntimeOptions {
            state_dir: Some(self.state_dir.clone()),
            working_tree: false,
        };
        let rt = LocalRuntime::open(&self.pipeline_file, options).await?;
        let id = execution_id();
        let trigger = json!({ "type": "manual", "by": by });
        let run = id.clone();
        tokio::spawn(async move {
            match rt.run_as(run.clone(), None, serde_json::Map::new(), Some(trigger)).await {
                Ok(record) => tracing::info!(execution_id = %run, status = %record.status, "console release ended"),
                Err(e) => tracing::error!(execution_id = %run, error = %e, "console release failed"),
            }
        });
        Ok(id)
    }
}
