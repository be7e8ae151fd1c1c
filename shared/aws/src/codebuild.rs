//! `CodeBuildRunner`: every build and test action is a build of one shared CodeBuild project,
//! with the action's specifics as `StartBuild` overrides; and the `CodeBuild Build State Change`
//! event that reports its end, turned back into Baton's [`Event::BuildStateChange`].
//!
//! - Source: the source artifact's bundle is a zip in the artifact bucket, so CodeBuild reads it
//!   as an S3 source pinned by object version (`sourceVersion`): the build sees exactly the bytes
//!   the manifest names.
//! - Outputs: the action's first output is the primary artifact, the others secondary artifacts
//!   named after their `secondary-artifacts` identifier, as `baton run` reads the buildspec. They
//!   land as zips under `<prefix><pipeline>/staging/`, from where the events function versions
//!   them.
//! - Correlation: `BATON_CORRELATION` rides in the build's environment, which the state-change
//!   event carries back, so no lookup table sits between a build and its waiting task.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_codebuild::Client;
use aws_sdk_codebuild::types::{
    ArtifactNamespace, ArtifactPackaging, ArtifactsType, Build, BuildArtifacts, EnvironmentVariable, EnvironmentVariableType,
    ProjectArtifacts, StatusType,
};
use baton_core::events::{BuildStatus, CoverageReport, Event, TestReport};
use baton_core::ports::{BuildRequest, BuildRunner, PortError, PortResult, StagedArtifact};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::s3::S3ArtifactStore;
use crate::sdk::port_error;

/// The environment variable that ties a build to its waiting task.
pub const CORRELATION_VAR: &str = "BATON_CORRELATION";

#[derive(Debug, Clone)]
pub struct CodeBuildRunner {
    client: Client,
    project: String,
    store: S3ArtifactStore,
}

impl CodeBuildRunner {
    /// `project`: the template's shared project; `store`: where sources are read and outputs staged.
    pub fn new(client: Client, project: impl Into<String>, store: S3ArtifactStore) -> Self {
        Self {
            client,
            project: project.into(),
            store,
        }
    }

    pub fn store(&self) -> &S3ArtifactStore {
        &self.store
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn project(&self) -> &str {
        &self.project
    }

    fn output(&self, staging: &str, name: &str, secondary: bool) -> PortResult<ProjectArtifacts> {
        ProjectArtifacts::builder()
            .r#type(ArtifactsType::S3)
            .location(self.store.bucket())
            .path(staging)
            .name(format!("{name}.zip"))
            .namespace_type(ArtifactNamespace::None)
            .packaging(ArtifactPackaging::Zip)
            .set_artifact_identifier(secondary.then(|| name.to_string()))
            .build()
            .map_err(|e| PortError::permanent(format!("output {name}: {e}")))
    }
}

fn variable(name: &str, value: &str) -> PortResult<EnvironmentVariable> {
    EnvironmentVariable::builder()
        .name(name)
        .value(value)
        .r#type(EnvironmentVariableType::Plaintext)
        .build()
        .map_err(|e| PortError::permanent(format!("environment variable {name}: {e}")))
}

/// CodeBuild keeps an idempotency token for five minutes: a redelivered start of the same
/// attempt returns the build already started.
pub(crate) fn idempotency_token(correlation: &str) -> String {
    hex::encode(&Sha256::digest(correlation.as_bytes())[..16])
}

/// The overrides on StartBuild's and StartBuildBatch's builders: two types, one shape (each
/// adds its own timeout).
macro_rules! with_overrides {
    ($start:expr, $runner:expr, $req:expr, $o:expr) => {
        $start
            .project_name($runner.project())
            .idempotency_token(crate::codebuild::idempotency_token(&$req.correlation))
            .source_type_override(aws_sdk_codebuild::types::SourceType::S3)
            .source_location_override($o.source_location)
            .set_source_version($o.source_version)
            .buildspec_override(&$req.buildspec)
            .set_environment_variables_override(Some($o.env))
            .artifacts_override($o.artifacts)
            .set_secondary_artifacts_override(Some($o.secondary).filter(|s| !s.is_empty()))
    };
}
pub(crate) use with_overrides;

/// What a build or a batch is started with: the action's specifics as overrides of the shared
/// project.
pub(crate) struct Overrides {
    pub(crate) source_location: String,
    pub(crate) source_version: Option<String>,
    pub(crate) env: Vec<EnvironmentVariable>,
    pub(crate) artifacts: ProjectArtifacts,
    pub(crate) secondary: Vec<ProjectArtifacts>,
    /// CodeBuild counts whole minutes, from 5 to 2160.
    pub(crate) timeout_minutes: i32,
}

impl CodeBuildRunner {
    async fn overrides(&self, req: &BuildRequest) -> PortResult<Overrides> {
        let source = self.store.bundle(&req.pipeline, &req.source).await?;
        let staging = self.store.staging_path(&req.pipeline, &req.correlation);
        let mut env = vec![
            variable(CORRELATION_VAR, &req.correlation)?,
            variable("BATON_PIPELINE", &req.pipeline)?,
            variable("BATON_EXECUTION_ID", &req.execution_id)?,
        ];
        if let Some(commit) = &req.commit_id {
            env.push(variable("BATON_COMMIT_ID", commit)?);
        }
        for (name, value) in &req.env {
            env.push(variable(name, value)?);
        }
        let mut outputs = req.outputs.iter().enumerate().map(|(i, name)| self.output(&staging, name, i > 0));
        let artifacts = match outputs.next() {
            Some(primary) => primary?,
            None => ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()
                .map_err(|e| PortError::permanent(e.to_string()))?,
        };
        Ok(Overrides {
            source_location: format!("{}/{}", self.store.bucket(), source.key),
            source_version: source.content.version_id,
            env,
            artifacts,
            secondary: outputs.collect::<PortResult<_>>()?,
            timeout_minutes: req.timeout_secs.div_ceil(60).clamp(5, 2160) as i32,
        })
    }
}

#[async_trait]
impl BuildRunner for CodeBuildRunner {
    async fn start(&self, req: BuildRequest) -> PortResult<String> {
        let o = self.overrides(&req).await?;
        if req.batch {
            return self.start_batch(&req, o).await;
        }
        let out = with_overrides!(self.client.start_build(), self, req, o)
            .timeout_in_minutes_override(o.timeout_minutes)
            .send()
            .await
            .map_err(|e| port_error("CodeBuild StartBuild", &e))?;
        let id = out
            .build_value()
            .and_then(|b| b.id())
            .ok_or_else(|| PortError::transient("CodeBuild StartBuild returned no build id"))?;
        tracing::info!(build_id = %id, project = %self.project, correlation = %req.correlation, "CodeBuild build started");
        Ok(id.to_string())
    }

    async fn stop(&self, build_id: &str) -> PortResult<()> {
        if let Some(batch) = crate::codebuild_batch::batch_id(build_id) {
            return self.stop_batch(batch).await;
        }
        let out = self
            .client
            .stop_build()
            .id(build_id)
            .send()
            .await
            .map_err(|e| port_error("CodeBuild StopBuild", &e))?;
        let status = out.build_value().and_then(|b| b.build_status()).map(|s| s.as_str().to_string());
        tracing::info!(build_id, status = ?status, "CodeBuild build stopped");
        Ok(())
    }
}

/// The part of a `CodeBuild Build State Change` event's detail Baton reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BuildStateDetail {
    pub build_status: String,
    pub build_id: String,
    #[serde(default)]
    pub additional_information: AdditionalInformation,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AdditionalInformation {
    #[serde(default)]
    pub environment: EnvironmentInfo,
    #[serde(default)]
    pub logs: Option<LogsInfo>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EnvironmentInfo {
    #[serde(default)]
    pub environment_variables: Vec<EventVariable>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventVariable {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct LogsInfo {
    #[serde(default)]
    pub deep_link: Option<String>,
}

pub type BuildStateChangeEvent = EventBridgeEvent<BuildStateDetail>;

pub(crate) fn status(s: &str) -> Option<BuildStatus> {
    Some(match s {
        "IN_PROGRESS" => BuildStatus::InProgress,
        "SUCCEEDED" => BuildStatus::Succeeded,
        "FAILED" => BuildStatus::Failed,
        "FAULT" => BuildStatus::Fault,
        "TIMED_OUT" => BuildStatus::TimedOut,
        "STOPPED" => BuildStatus::Stopped,
        _ => return None,
    })
}

/// `arn:aws:s3:::bucket/key` (how CodeBuild reports artifact locations) as `s3://bucket/key`.
fn s3_uri(location: &str) -> Option<String> {
    location.strip_prefix("arn:aws:s3:::").map(|rest| format!("s3://{rest}"))
}

/// Where a finished build or batch left the action's outputs: the primary named after its zip,
/// the others after their `secondary-artifacts` identifier.
pub(crate) fn staged_outputs(primary: Option<&BuildArtifacts>, secondary: &[BuildArtifacts]) -> Vec<StagedArtifact> {
    let primary = primary.into_iter().map(|a| (a, None));
    let secondary = secondary.iter().map(|a| (a, a.artifact_identifier()));
    primary
        .chain(secondary)
        .filter_map(|(artifact, identifier)| {
            let uri = artifact.location().and_then(s3_uri)?;
            let name = match identifier {
                Some(id) => id.to_string(),
                None => uri.rsplit('/').next().unwrap_or_default().trim_end_matches(".zip").to_string(),
            };
            Some(StagedArtifact { name, location: uri })
        })
        .collect()
}

/// The first phase that did not succeed, with its context: why the build failed, in one line.
fn failure_reason(build: &Build) -> Option<String> {
    build.phases().iter().find_map(|p| {
        let status = p.phase_status()?;
        if matches!(status, StatusType::Succeeded | StatusType::InProgress) {
            return None;
        }
        let contexts: Vec<&str> = p.contexts().iter().filter_map(|c| c.message()).filter(|m| !m.is_empty()).collect();
        Some(format!(
            "phase {} {}: {}",
            p.phase_type().map_or("?", |t| t.as_str()),
            status.as_str(),
            contexts.join("; ")
        ))
    })
}

/// The report group's name from a report ARN `…:report/<project>-<group>:<id>`.
fn report_group(arn: &str, project: &str) -> String {
    let name = arn.rsplit_once(":report/").map_or(arn, |(_, rest)| rest);
    let name = name.rsplit_once(':').map_or(name, |(group, _)| group);
    name.strip_prefix(&format!("{project}-")).unwrap_or(name).to_string()
}

impl CodeBuildRunner {
    /// Translates a finished build's event into Baton's; `None` for builds still running and
    /// builds Baton did not start.
    pub async fn event(&self, event: &BuildStateChangeEvent) -> PortResult<Option<Event>> {
        let detail = &event.detail;
        let Some(status) = status(&detail.build_status).filter(|s| *s != BuildStatus::InProgress) else {
            return Ok(None);
        };
        let vars = &detail.additional_information.environment.environment_variables;
        let Some(correlation) = vars.iter().find(|v| v.name == CORRELATION_VAR).and_then(|v| v.value.clone()) else {
            tracing::debug!(build_id = %detail.build_id, "not a Baton build");
            return Ok(None);
        };
        // What the event leaves out: exported variables, secondary artifacts, phase contexts.
        let builds = self
            .client
            .batch_get_builds()
            .ids(&detail.build_id)
            .send()
            .await
            .map_err(|e| port_error("CodeBuild BatchGetBuilds", &e))?;
        let build = builds
            .builds()
            .first()
            .ok_or_else(|| PortError::transient(format!("CodeBuild does not know build {}", detail.build_id)))?;
        // A build of a batch carries the action's correlation too; the batch is the answer.
        if let Some(batch) = build.build_batch_arn() {
            return self.batch_event(batch, &correlation).await;
        }
        let outputs = if status == BuildStatus::Succeeded {
            staged_outputs(build.artifacts(), build.secondary_artifacts())
        } else {
            Vec::new()
        };
        let variables: BTreeMap<String, String> = build
            .exported_environment_variables()
            .iter()
            .filter_map(|v| Some((v.name()?.to_string(), v.value().unwrap_or_default().to_string())))
            .collect();
        let (reports, coverage) = self.reports(build).await?;
        Ok(Some(Event::BuildStateChange {
            build_id: detail.build_id.clone(),
            correlation,
            status,
            outputs,
            reports,
            coverage,
            variables,
            reason: failure_reason(build),
            log: detail.additional_information.logs.as_ref().and_then(|l| l.deep_link.clone()),
        }))
    }

    async fn reports(&self, build: &Build) -> PortResult<(Vec<TestReport>, Vec<CoverageReport>)> {
        if build.report_arns().is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let out = self
            .client
            .batch_get_reports()
            .set_report_arns(Some(build.report_arns().to_vec()))
            .send()
            .await
            .map_err(|e| port_error("CodeBuild BatchGetReports", &e))?;
        let project = build.project_name().unwrap_or_default();
        let (mut tests, mut coverage) = (Vec::new(), Vec::new());
        for report in out.reports() {
            let group = report_group(report.arn().unwrap_or_default(), project);
            if let Some(s) = report.test_summary() {
                let count = |k: &str| s.status_counts().get(k).copied().unwrap_or(0).max(0) as u64;
                tests.push(TestReport {
                    group: group.clone(),
                    total: s.total().max(0) as u64,
                    passed: count("SUCCEEDED"),
                    failed: count("FAILED") + count("ERROR"),
                    skipped: count("SKIPPED"),
                    duration_ms: (s.duration_in_nano_seconds().max(0) / 1_000_000) as u64,
                    failing: Vec::new(),
                });
            }
            if let Some(c) = report.code_coverage_summary() {
                let n = |v: Option<i32>| v.unwrap_or(0).max(0) as u64;
                coverage.push(CoverageReport {
                    group,
                    lines_covered: n(c.lines_covered()),
                    lines_missed: n(c.lines_missed()),
                    branches_covered: n(c.branches_covered()),
                    branches_missed: n(c.branches_missed()),
                });
            }
        }
        Ok((tests, coverage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_group_names_drop_the_project_prefix() {
        assert_eq!(
            report_group(
                "arn:aws:codebuild:us-east-1:123456789012:report/baton-builds-unit:6e4cb5d2-0a4d",
                "baton-builds"
            ),
            "unit"
        );
        assert_eq!(
            report_group("arn:aws:codebuild:r:1:report/other-unit:x", "baton-builds"),
            "other-unit"
        );
    }

    #[test]
    fn artifact_arns_become_s3_uris() {
        assert_eq!(s3_uri("arn:aws:s3:::bucket/a/b.zip").as_deref(), Some("s3://bucket/a/b.zip"));
        assert_eq!(s3_uri("s3://bucket/a"), None);
    }

    #[test]
    fn idempotency_tokens_are_stable_and_short() {
        let t = idempotency_token("exec-1/Build:Compile/0");
        assert_eq!(t, idempotency_token("exec-1/Build:Compile/0"));
        assert_ne!(t, idempotency_token("exec-1/Build:Compile/1"));
        assert_eq!(t.len(), 32);
    }
}
