//! CodeDeploy's record of the deployments the test finished. moto keeps every deployment
//! `Created` (it has no agent to run one), so what a function reads back of a deployment the
//! test reported `SUCCESS` for says `Succeeded`, as CodeDeploy's `BatchGetDeployments` would:
//! the rollback function decides from it whether a group already runs its last-good revision.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use aws_sdk_codedeploy::operation::batch_get_deployments::BatchGetDeploymentsOutput;
use aws_sdk_codedeploy::operation::get_deployment::GetDeploymentOutput;
use aws_sdk_codedeploy::types::{DeploymentInfo, DeploymentStatus};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Clone, Default)]
pub(crate) struct Finished(Arc<Mutex<HashSet<String>>>);

impl Finished {
    pub(crate) fn record(&self, deployment_id: &str) {
        self.0.lock().unwrap().insert(deployment_id.to_string());
    }

    /// A CodeDeploy client on `config` that reads finished deployments as `Succeeded`.
    pub(crate) fn client(&self, config: &aws_types::SdkConfig) -> aws_sdk_codedeploy::Client {
        let conf = aws_sdk_codedeploy::config::Builder::from(config).interceptor(self.clone()).build();
        aws_sdk_codedeploy::Client::from_conf(conf)
    }

    fn patch(&self, info: &mut DeploymentInfo) {
        let finished = self.0.lock().unwrap();
        if info.deployment_id.as_ref().is_some_and(|id| finished.contains(id)) {
            info.status = Some(DeploymentStatus::Succeeded);
        }
    }
}

impl Intercept for Finished {
    fn name(&self) -> &'static str {
        "Finished"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        if let Some(out) = output.downcast_mut::<BatchGetDeploymentsOutput>() {
            out.deployments_info.iter_mut().flatten().for_each(|d| self.patch(d));
        } else if let Some(out) = output.downcast_mut::<GetDeploymentOutput>() {
            out.deployment_info.iter_mut().for_each(|d| self.patch(d));
        }
        Ok(())
    }
}
