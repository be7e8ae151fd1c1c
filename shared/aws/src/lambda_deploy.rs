//! Lambda deployment groups: CodeDeploy's Lambda platform. The artifact's bundle is the
//! function's code; a deployment publishes it as a version (or finds the version already
//! published with exactly these bytes: a redelivered start or a rollback publishes nothing) and
//! asks CodeDeploy to shift the group's alias from the version it points at to that one, by an
//! appspec given as content. CodeDeploy then moves traffic by the group's canary or linear
//! configuration, runs the BeforeAllowTraffic / AfterAllowTraffic hook functions, watches the
//! alarms, and reports the end with the same state-change event as a Server deployment.
//!
//! Which groups are Lambda groups comes from `BATON_LAMBDA_GROUPS` (JSON: group → function,
//! alias, CodeDeploy configuration and application), as the alarm names come from the stack.

use std::collections::HashMap;

use aws_sdk_lambda::Client;
use base64::Engine;
use baton_core::ports::{PortError, PortResult};
use serde::{Deserialize, Serialize};

use crate::sdk::port_error;

/// One Lambda group: the function, the alias CodeDeploy shifts, the predefined CodeDeploy
/// configuration to use (the deployment group's own when absent), and the CodeDeploy
/// application it belongs to when not the stack's (an application has one compute platform,
/// so Server and Lambda groups live in two).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LambdaGroup {
    pub function: String,
    pub alias: String,
    #[serde(default)]
    pub deployment_config: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
}

/// The Lambda groups of a pipeline, and the client that publishes their versions.
#[derive(Debug, Clone)]
pub struct LambdaGroups {
    client: Client,
    groups: HashMap<String, LambdaGroup>,
}

/// The versions an alias shift moves between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub current: String,
    pub target: String,
}

/// Where a bundle is in S3, and its bytes' digest.
#[derive(Debug, Clone, Copy)]
pub struct Code<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub version_id: Option<&'a str>,
    /// `sha256:<hex>` of the zip.
    pub digest: &'a str,
}

impl LambdaGroups {
    pub fn new(client: Client, groups: HashMap<String, LambdaGroup>) -> Self {
        Self { client, groups }
    }

    /// `BATON_LAMBDA_GROUPS`: `{"group": {"function": …, "alias": …, "deployment_config": …}}`.
    pub fn parse(text: &str) -> Result<HashMap<String, LambdaGroup>, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn group(&self, name: &str) -> Option<&LambdaGroup> {
        self.groups.get(name)
    }

    /// The CodeDeploy applications the groups name for themselves.
    pub fn applications(&self) -> impl Iterator<Item = &str> {
        self.groups.values().filter_map(|g| g.application.as_deref())
    }

    /// Publishes `code` as a version of the group's function unless one with these bytes is
    /// published already, and reads the version the alias points at now.
    pub async fn prepare(&self, group: &LambdaGroup, code: Code<'_>) -> PortResult<Shift> {
        let current = self.alias_version(group).await?;
        let sha = code_sha256(code.digest)?;
        let target = match self.published_with(&group.function, &sha).await? {
            Some(version) => version,
            None => self.publish(group, code).await?,
        };
        Ok(Shift { current, target })
    }

    async fn alias_version(&self, group: &LambdaGroup) -> PortResult<String> {
        let out = self
            .client
            .get_alias()
            .function_name(&group.function)
            .name(&group.alias)
            .send()
            .await
            .map_err(|e| {
                let not_found = e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception());
                if not_found {
                    PortError::permanent(format!(
                        "alias {} of Lambda function {} does not exist: CodeDeploy shifts an existing alias (SAM: AutoPublishAlias)",
                        group.alias, group.function
                    ))
                } else {
                    port_error("Lambda GetAlias", &e)
                }
            })?;
        out.function_version()
            .map(str::to_string)
            .ok_or_else(|| PortError::transient("Lambda GetAlias returned no version"))
    }

    /// The published version whose code is exactly these bytes, if any.
    async fn published_with(&self, function: &str, code_sha256: &str) -> PortResult<Option<String>> {
        let mut pages = self
            .client
            .list_versions_by_function()
            .function_name(function)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("Lambda ListVersionsByFunction", &e))?;
            let found = page
                .versions()
                .iter()
                .filter(|v| v.version() != Some("$LATEST"))
                .find(|v| v.code_sha256() == Some(code_sha256))
                .and_then(|v| v.version());
            if let Some(version) = found {
                return Ok(Some(version.to_string()));
            }
        }
        Ok(None)
    }

    async fn publish(&self, group: &LambdaGroup, code: Code<'_>) -> PortResult<String> {
        let out = self
            .client
            .update_function_code()
            .function_name(&group.function)
            .s3_bucket(code.bucket)
            .s3_key(code.key)
            .set_s3_object_version(code.version_id.map(str::to_string))
            .publish(true)
            .send()
            .await
            .map_err(|e| port_error("Lambda UpdateFunctionCode", &e))?;
        let version = out
            .version()
            .filter(|v| *v != "$LATEST")
            .ok_or_else(|| PortError::transient("Lambda UpdateFunctionCode published no version"))?;
        tracing::info!(function = %group.function, version, "Lambda version published");
        Ok(version.to_string())
    }
}

/// Lambda's `CodeSha256`: the zip's sha256, base64.
fn code_sha256(digest: &str) -> PortResult<String> {
    let hex_digest = digest.strip_prefix("sha256:").unwrap_or(digest);
    let bytes = hex::decode(hex_digest).map_err(|e| PortError::permanent(format!("bundle digest {digest}: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The appspec CodeDeploy's Lambda platform reads: one function, its alias, the two versions.
pub fn appspec(group: &LambdaGroup, shift: &Shift) -> String {
    serde_json::json!({
        "version": 0.0,
        "Resources": [{
            "function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Name": group.function,
                    "Alias": group.alias,
                    "CurrentVersion": shift.current,
                    "TargetVersion": shift.target,
                }
            }
        }]
    })
    .to_string()
}
