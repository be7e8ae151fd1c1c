//! A fresh baseline for canary analysis (`analysis.baseline: fresh`): the group's third fleet,
//! as many instances as the canary, installed with the revision the serving fleet runs just
//! before the canary takes its share, given the same share by the front door, and retired as
//! soon as the analysis has decided. A fleet that has served for days has warm caches and
//! long-lived connections; a new fleet compared with it can look slower only for being new,
//! which is why Kayenta's users compare a canary with a baseline started beside it.

use baton_core::analysis::Baseline;
use baton_core::model::{DeploymentConfig, Group};
use baton_core::ports::DeployRequest;

use super::{Instance, LocalDeployer};

/// The index of a fresh baseline's fleet: instances `2n … 3n − 1` of the group.
const BASELINE_FLEET: usize = 2;

/// How many fleets of `instances` the group has: one deployed in place, two to shift traffic
/// between, and a third for a fresh baseline.
pub(super) fn fleet_count(group: &Group) -> usize {
    match group.config {
        DeploymentConfig::TrafficShift(_) if group.analysis.as_ref().is_some_and(|a| a.baseline == Baseline::Fresh) => 3,
        DeploymentConfig::TrafficShift(_) => 2,
        _ => 1,
    }
}

impl LocalDeployer {
    /// Installs the serving fleet's revision on the baseline fleet; `Err` says why it did not
    /// start, with whatever did start already retired.
    pub(super) async fn start_baseline(
        &self,
        id: &str,
        group: &Group,
        req: &DeployRequest,
        serving: &[Instance],
    ) -> Result<Vec<Instance>, String> {
        let Some(artifact) = serving.iter().find_map(|i| i.artifact.clone()) else {
            return Err("the fresh baseline has no revision to run: no serving instance records one".into());
        };
        let request = DeployRequest {
            artifact: artifact.clone(),
            ..req.clone()
        };
        let failures = self
            .install_fleet(id, group, &request, &self.fleet(group, BASELINE_FLEET).map_err(|e| e.to_string())?)
            .await;
        let started = self.fleet(group, BASELINE_FLEET).map_err(|e| e.to_string())?;
        let n = group.instances;
        if !failures.is_empty() {
            self.retire(group, &started, id, &req.variables).await.map_err(|e| e.to_string())?;
            return Err(format!(
                "the fresh baseline ({artifact}) did not start on {} of {n} instances: {}",
                failures.len(),
                failures.join("; ")
            ));
        }
        tracing::info!(deployment_id = id, group = %group.name, %artifact, instances = n, "fresh baseline started");
        Ok(started)
    }
}
