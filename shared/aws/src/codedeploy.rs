//! `CodeDeployer`: deploy actions as CodeDeploy deployments of the template's application, and
//! the `CodeDeploy Deployment State-change Notification` event that reports their end.
//!
//! The revision is the artifact's own bundle: a zip in the artifact bucket, pinned by S3 object
//! version, so CodeDeploy installs exactly the bytes the manifest names. What ties a deployment
//! to its waiting task, its artifact and its rollback flag is written into the deployment's
//! description (a readable first line, then one JSON line), which CodeDeploy keeps with the
//! deployment: the state-change event names only the deployment id, and `GetDeployment` finds
//! the rest without a table of our own that a crash could leave half-written.

#[cfg(feature = "stack")]
mod targets;

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_codedeploy::Client;
use aws_sdk_codedeploy::config::retry::RetryConfig;
use aws_sdk_codedeploy::types::{AppSpecContent, BundleType, DeploymentInfo, RevisionLocation, RevisionLocationType, S3Location};
use baton_core::events::Event;
use baton_core::ports::{ArtifactRef, DeployRequest, Deployer, DeploymentStatus, DeploymentStop, DeploymentSummary, PortError, PortResult};
use serde::{Deserialize, Serialize};

use crate::dynamodb::DynamoState;
use crate::lambda_deploy::{self, Code, LambdaGroups};
use crate::s3::S3ArtifactStore;
use crate::sdk::port_error;

/// CreateDeployment attempts, as the SDK's standard retry mode makes.
const CREATE_ATTEMPTS: u32 = 3;

/// The SDK's standard backoff: exponential from 1 s, with full jitter, at most 20 s.
fn backoff(attempt: u32) -> std::time::Duration {
    let cap = (1u64 << attempt.min(4)).min(20);
    std::time::Duration::from_secs_f64(fastrand::f64() * cap as f64)
}

#[derive(Debug, Clone)]
pub struct CodeDeployer {
    client: Client,
    application: String,
    store: S3ArtifactStore,
    lambda: Option<LambdaGroups>,
    /// Where starts wait while their group is busy ([`crate::deploy_queue`]).
    pub(crate) queue: Option<DynamoState>,
}

/// What a CreateDeployment came to.
pub(crate) enum Created {
    Deployment(String),
    /// CodeDeploy refused: the group has a deployment in progress (DeploymentLimitExceeded).
    GroupBusy,
}

/// What Baton keeps in a deployment's description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentTag {
    pub correlation: String,
    pub pipeline: String,
    pub artifact: ArtifactRef,
    pub rollback: bool,
}

impl DeploymentTag {
    fn description(&self, group: &str) -> PortResult<String> {
        let verb = if self.rollback { "rolls back" } else { "deploys" };
        let json = serde_json::to_string(self).map_err(|e| PortError::permanent(e.to_string()))?;
        Ok(format!(
            "Baton pipeline {} {verb} {} to {group}\n{json}",
            self.pipeline, self.artifact
        ))
    }

    /// `None` for deployments Baton did not create (the console's, CodeDeploy's own rollbacks).
    pub fn parse(description: &str) -> Option<Self> {
        serde_json::from_str(description.lines().last()?).ok()
    }
}

pub(crate) fn status(s: &aws_sdk_codedeploy::types::DeploymentStatus) -> DeploymentStatus {
    use aws_sdk_codedeploy::types::DeploymentStatus as Cd;
    match s {
        Cd::Created => DeploymentStatus::Created,
        Cd::Queued => DeploymentStatus::Queued,
        Cd::Succeeded => DeploymentStatus::Succeeded,
        Cd::Failed => DeploymentStatus::Failed,
        Cd::Stopped => DeploymentStatus::Stopped,
        // Baking, Ready (blue/green waiting for traffic) and whatever comes next: not over yet.
        _ => DeploymentStatus::InProgress,
    }
}

impl CodeDeployer {
    pub fn new(client: Client, application: impl Into<String>, store: S3ArtifactStore) -> Self {
        Self {
            client,
            application: application.into(),
            store,
            lambda: None,
            queue: None,
        }
    }

    /// Starts refused because the group is busy wait here, in order, until the group's
    /// deployment ends (the crate's `deploy_queue`).
    #[must_use]
    pub fn with_queue(mut self, queue: DynamoState) -> Self {
        self.queue = Some(queue);
        self
    }

    /// Deploys these groups as Lambda functions (an alias shift) instead of Server revisions.
    #[must_use]
    pub fn with_lambda(mut self, groups: LambdaGroups) -> Self {
        self.lambda = Some(groups);
        self
    }

    /// CreateDeployment for `req`. Not the SDK's retries: a CreateDeployment that landed but
    /// whose answer was lost would be sent again and deploy twice (found by the fault-injection
    /// tests). Each retry first looks for the deployment the failed attempt may have created.
    pub(crate) async fn create(&self, req: &DeployRequest) -> PortResult<Created> {
        let (revision, config) = self.revision(req).await?;
        let tag = DeploymentTag {
            correlation: req.correlation.clone(),
            pipeline: req.pipeline.clone(),
            artifact: req.artifact.clone(),
            rollback: req.rollback,
        };
        let description = tag.description(&req.group)?;
        let mut attempt = 0;
        let out = loop {
            let sent = self
                .client
                .create_deployment()
                .application_name(self.application_of(&req.group))
                .deployment_group_name(&req.group)
                .revision(revision.clone())
                .set_deployment_config_name(config.clone())
                .description(&description)
                .customize()
                .config_override(aws_sdk_codedeploy::config::Config::builder().retry_config(RetryConfig::disabled()))
                .send()
                .await;
            let error = match sent {
                Ok(out) => break out,
                Err(e) if e.as_service_error().is_some_and(|e| e.is_deployment_limit_exceeded_exception()) => {
                    return Ok(Created::GroupBusy);
                }
                Err(e) => port_error("CodeDeploy CreateDeployment", &e),
            };
            attempt += 1;
            if !error.transient || attempt >= CREATE_ATTEMPTS {
                return Err(error);
            }
            tokio::time::sleep(backoff(attempt)).await;
            if let Some(id) = self.in_flight(req).await? {
                tracing::info!(deployment_id = %id, "the failed CreateDeployment had landed; its deployment is this start's");
                return Ok(Created::Deployment(id));
            }
            tracing::warn!(attempt, error = %error, "CreateDeployment failed; trying again");
        };
        let id = out
            .deployment_id()
            .ok_or_else(|| PortError::transient("CodeDeploy CreateDeployment returned no deployment id"))?;
        tracing::info!(deployment_id = %id, group = %req.group, artifact = %req.artifact, rollback = req.rollback, "CodeDeploy deployment created");
        Ok(Created::Deployment(id.to_string()))
    }

    /// A CodeDeploy application has one compute platform: a Lambda group may name its own.
    fn application_of(&self, group: &str) -> &str {
        self.lambda
            .as_ref()
            .and_then(|l| l.group(group))
            .and_then(|g| g.application.as_deref())
            .unwrap_or(&self.application)
    }

    /// What CodeDeploy installs: the bundle as a Server revision, or for a Lambda group an
    /// appspec shifting its alias to the version that runs the bundle; and the configuration
    /// to deploy with, when not the group's own.
    async fn revision(&self, req: &DeployRequest) -> PortResult<(RevisionLocation, Option<String>)> {
        let bundle = self.store.bundle(&req.pipeline, &req.artifact).await?;
        if let Some((lambda, group)) = self.lambda.as_ref().and_then(|l| l.group(&req.group).map(|g| (l, g))) {
            let code = Code {
                bucket: self.store.bucket(),
                key: &bundle.key,
                version_id: bundle.content.version_id.as_deref(),
                digest: &bundle.content.bundle_digest,
            };
            let shift = lambda.prepare(group, code).await?;
            tracing::info!(function = %group.function, alias = %group.alias, current = %shift.current, target = %shift.target, "Lambda alias shift");
            let revision = RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(AppSpecContent::builder().content(lambda_deploy::appspec(group, &shift)).build())
                .build();
            return Ok((revision, group.deployment_config.clone()));
        }
        let revision = RevisionLocation::builder()
            .revision_type(RevisionLocationType::S3)
            .s3_location(
                S3Location::builder()
                    .bucket(self.store.bucket())
                    .key(bundle.key)
                    .bundle_type(BundleType::Zip)
                    .set_version(bundle.content.version_id)
                    .build(),
            )
            .build();
        Ok((revision, None))
    }

    pub fn store(&self) -> &S3ArtifactStore {
        &self.store
    }

    /// The group's deployments, newest first, with their details: those created in the last
    /// day (every page: what a rollback or a redelivered start looks for is minutes old), or,
    /// when there are none, the first page of all of them. ListDeployments documents no order,
    /// so a group whose newest deployment is older than a day and not on that first page is
    /// misread; GetDeploymentGroup's lastAttemptedDeployment would say it directly, but moto
    /// leaves it empty.
    /// The deployment a start of this correlation created, if one is still in flight.
    pub(crate) async fn in_flight(&self, req: &DeployRequest) -> PortResult<Option<String>> {
        Ok(self.deployments(&req.group, true).await?.into_iter().find_map(|d| {
            d.description()
                .and_then(DeploymentTag::parse)
                .is_some_and(|t| t.correlation == req.correlation)
                .then(|| d.deployment_id().map(str::to_string))
                .flatten()
        }))
    }

    async fn deployments(&self, group: &str, active_only: bool) -> PortResult<Vec<DeploymentInfo>> {
        use aws_sdk_codedeploy::types::{DeploymentStatus as Cd, TimeRange};
        let list = |recent: bool| {
            let mut list = self
                .client
                .list_deployments()
                .application_name(self.application_of(group))
                .deployment_group_name(group);
            if active_only {
                for s in [Cd::Created, Cd::Queued, Cd::InProgress, Cd::Baking, Cd::Ready] {
                    list = list.include_only_statuses(s);
                }
            }
            if recent {
                let day_ago = baton_core::metrics::now_ms() / 1000 - 86_400;
                list = list.create_time_range(TimeRange::builder().start(aws_smithy_types::DateTime::from_secs(day_ago)).build());
            }
            list
        };
        let mut ids = Vec::new();
        let mut pages = list(true).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("CodeDeploy ListDeployments", &e))?;
            ids.extend(page.deployments().iter().cloned());
        }
        if ids.is_empty() {
            let page = list(false).send().await.map_err(|e| port_error("CodeDeploy ListDeployments", &e))?;
            ids = page.deployments().to_vec();
        }
        let mut infos = Vec::new();
        // BatchGetDeployments takes 25 ids at a time.
        for chunk in ids.chunks(25) {
            let out = self
                .client
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| port_error("CodeDeploy BatchGetDeployments", &e))?;
            infos.extend(out.deployments_info().iter().cloned());
        }
        infos.sort_by_key(|d| std::cmp::Reverse(d.create_time().map(|t| (t.secs(), t.subsec_nanos()))));
        Ok(infos)
    }

    /// A deployment's status, group and failure or stop message (`GetDeployment`); `None` when
    /// CodeDeploy has no such deployment.
    pub async fn state(&self, id: &str) -> PortResult<Option<(DeploymentStatus, String, Option<String>)>> {
        let out = match self.client.get_deployment().deployment_id(id).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_deployment_does_not_exist_exception()) => return Ok(None),
            Err(e) => return Err(port_error("CodeDeploy GetDeployment", &e)),
        };
        let Some(info) = out.deployment_info() else { return Ok(None) };
        let reason = info.error_information().and_then(|e| e.message()).map(str::to_string);
        Ok(Some((
            info.status().map_or(DeploymentStatus::Created, status),
            info.deployment_group_name().unwrap_or_default().to_string(),
            reason,
        )))
    }

    /// Waits for deployment `id` to end, looking every `poll`: how it ended.
    pub async fn wait(&self, id: &str, poll: std::time::Duration) -> PortResult<(DeploymentStatus, Option<String>)> {
        loop {
            match self.state(id).await? {
                Some((s @ (DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped), _, reason)) => {
                    return Ok((s, reason));
                }
                Some(_) => tokio::time::sleep(poll).await,
                None => return Err(PortError::permanent(format!("CodeDeploy has no deployment {id}"))),
            }
        }
    }

    /// Translates a deployment's state-change event into Baton's; `None` while it runs and for
    /// deployments Baton did not create.
    pub async fn event(&self, event: &DeploymentStateChangeEvent) -> PortResult<Option<Event>> {
        let detail = &event.detail;
        let ours = detail.application == self.application
            || self
                .lambda
                .as_ref()
                .is_some_and(|l| l.applications().any(|a| a == detail.application));
        if !ours || !matches!(detail.state.as_str(), "SUCCESS" | "FAILURE" | "STOP") {
            return Ok(None);
        }
        let out = self
            .client
            .get_deployment()
            .deployment_id(&detail.deployment_id)
            .send()
            .await
            .map_err(|e| port_error("CodeDeploy GetDeployment", &e))?;
        let Some(info) = out.deployment_info() else { return Ok(None) };
        let Some(tag) = info.description().and_then(DeploymentTag::parse) else {
            tracing::debug!(deployment_id = %detail.deployment_id, "not a Baton deployment");
            return Ok(None);
        };
        // The event's state is authoritative for what ended; the reason comes from the API.
        let status = match detail.state.as_str() {
            "SUCCESS" => DeploymentStatus::Succeeded,
            "FAILURE" => DeploymentStatus::Failed,
            _ => DeploymentStatus::Stopped,
        };
        // `MANUAL_STOP: …` for a StopDeployment, as Baton's local deployer writes it; a stop or
        // failure that CodeDeploy rolls back names the rollback deployment.
        let rolled_back = info
            .rollback_info()
            .and_then(|r| r.rollback_deployment_id())
            .map(|id| format!("; rolling back with deployment {id}"));
        let reason = info
            .error_information()
            .and_then(|e| Some(format!("{}: {}", e.code()?.as_str(), e.message().unwrap_or_default())))
            .map(|r| r + rolled_back.as_deref().unwrap_or_default());
        Ok(Some(Event::DeploymentStateChange {
            deployment_id: detail.deployment_id.clone(),
            correlation: tag.correlation,
            group: detail.deployment_group.clone(),
            status,
            reason,
        }))
    }
}

#[async_trait]
impl Deployer for CodeDeployer {
    async fn start(&self, req: DeployRequest) -> PortResult<String> {
        // CodeDeploy takes no client token: a redelivered start finds its deployment in flight.
        if let Some(id) = self.in_flight(&req).await? {
            return Ok(id);
        }
        match self.create(&req).await? {
            Created::Deployment(id) => Ok(id),
            Created::GroupBusy => self.queue_behind(req).await,
        }
    }

    async fn last_deployment(&self, pipeline: &str, group: &str) -> PortResult<Option<DeploymentSummary>> {
        for d in self.deployments(group, false).await? {
            let Some(tag) = d.description().and_then(DeploymentTag::parse) else {
                continue;
            };
            if tag.pipeline != pipeline {
                continue;
            }
            return Ok(Some(DeploymentSummary {
                deployment_id: d.deployment_id().unwrap_or_default().to_string(),
                artifact: tag.artifact,
                status: d.status().map_or(DeploymentStatus::InProgress, status),
                rollback: tag.rollback,
            }));
        }
        Ok(None)
    }

    /// `StopDeployment`: CodeDeploy stops the deployment and, with `autoRollbackEnabled`, makes
    /// the rollback deployment itself; the state-change event reports the stop.
    async fn stop(&self, deployment_id: &str, request: DeploymentStop) -> PortResult<()> {
        let out = self
            .client
            .stop_deployment()
            .deployment_id(deployment_id)
            .auto_rollback_enabled(request.rollback)
            .send()
            .await;
        match out {
            Ok(out) => {
                tracing::info!(
                    deployment_id,
                    rollback = request.rollback,
                    cause = %request.cause,
                    status = ?out.status(),
                    message = out.status_message().unwrap_or_default(),
                    "CodeDeploy deployment stop requested"
                );
                Ok(())
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_deployment_already_completed_exception()) => {
                Err(PortError::permanent(format!("deployment {deployment_id} has already ended")))
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_deployment_does_not_exist_exception()) => {
                Err(PortError::permanent(format!("no deployment {deployment_id}")))
            }
            Err(e) => Err(port_error("CodeDeploy StopDeployment", &e)),
        }
    }
}

/// The part of a `CodeDeploy Deployment State-change Notification` event's detail Baton reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStateDetail {
    pub application: String,
    pub deployment_id: String,
    pub deployment_group: String,
    /// START, SUCCESS, FAILURE, STOP, READY, …
    pub state: String,
}

pub type DeploymentStateChangeEvent = EventBridgeEvent<DeploymentStateDetail>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_back_and_foreign_ones_do_not() {
        let tag = DeploymentTag {
            correlation: "e1/Staging:Deploy/0".into(),
            pipeline: "hello".into(),
            artifact: ArtifactRef {
                name: "app".into(),
                version: 3,
                digest: "sha256:ab".into(),
            },
            rollback: false,
        };
        let text = tag.description("staging").unwrap_or_default();
        assert!(text.starts_with("Baton pipeline hello deploys app"), "{text}");
        assert_eq!(DeploymentTag::parse(&text), Some(tag));
        assert_eq!(DeploymentTag::parse("Rollback of d-123 by CodeDeploy"), None);
    }
}
