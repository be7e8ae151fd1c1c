//! The deployment logs of [`LocalOperations`]: each deployment's instances, their lifecycle
//! events and what their hooks printed.

use baton_core::operations::{DeploymentLog, LifecycleStep, OperationError, TargetLog};

use super::LocalOperations;
use crate::query;

pub(super) fn logs(ops: &LocalOperations, execution: &str, group: &str) -> Result<Vec<DeploymentLog>, OperationError> {
    let pipeline = baton_core::load_pipeline(&ops.pipeline_file).map_err(|e| OperationError::Invalid(e.to_string()))?;
    Ok(query::deployments(&*ops.db()?, execution)?
        .into_iter()
        .filter(|d| d.group == group)
        .map(|d| {
            let targets = d
                .instances
                .iter()
                .map(|i| TargetLog {
                    name: format!("{}#{}", d.group, i.instance),
                    events: i
                        .events
                        .iter()
                        .map(|e| LifecycleStep {
                            event: e.event.clone(),
                            status: e.status.clone(),
                            message: e.message.clone(),
                        })
                        .collect(),
                    output: crate::deploy::lifecycle_output(&ops.state_dir, &pipeline.name, &d.group, i.instance, &d.id),
                })
                .collect();
            DeploymentLog {
                revision: d
                    .artifact
                    .get("name")
                    .and_then(|n| Some(format!("{}@{}", n.as_str()?, d.artifact.get("version")?))),
                id: d.id,
                group: d.group,
                status: d.status,
                rollback: d.rollback,
                reason: d.reason,
                targets,
                analysis: d.analysis,
            }
        })
        .collect())
}
