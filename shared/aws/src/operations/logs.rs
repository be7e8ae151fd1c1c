//! The logs of [`AwsOperations`]. A build's: the builds an execution's history started (a batch's
//! builds each on its own), CodeBuild's word on each (`BatchGetBuilds`: its status and log stream) and the log itself from
//! CloudWatch Logs (`GetLogEvents`, forward from the last token). A deployment's: the deployments
//! its history started and the rollbacks CodeDeploy made of them, each target's lifecycle events.

use std::collections::{HashSet, VecDeque};

use baton_core::operations::{BuildRef, DeploymentLog, LogChunk, LogCursor, OperationError};
use baton_core::stages::canary;

use super::{AwsOperations, history, internal};
use crate::sdk::port_error;

/// `BatchGetBuilds` takes at most 100 ids a call.
const IDS_PER_CALL: usize = 100;

impl AwsOperations {
    pub(super) async fn build_refs(&self, execution: &str) -> Result<Vec<BuildRef>, OperationError> {
        let described = self.described(execution).await?;
        let events = history::events(&self.sfn, described.execution_arn()).await.map_err(internal)?;
        let started = self.batch_members(history::submitted(&events, "build_id")).await?;
        let mut refs = Vec::new();
        for chunk in started.chunks(IDS_PER_CALL) {
            let out = self
                .codebuild
                .batch_get_builds()
                .set_ids(Some(chunk.iter().map(|(_, id)| id.clone()).collect()))
                .send()
                .await
                .map_err(|e| internal(port_error("CodeBuild BatchGetBuilds", &e)))?;
            for (action, id) in chunk {
                let build = out.builds().iter().find(|b| b.id() == Some(id.as_str()));
                let logs = build.and_then(|b| b.logs());
                refs.push(BuildRef {
                    action: action.clone(),
                    id: id.clone(),
                    status: build.and_then(|b| b.build_status()).map_or("UNKNOWN", |s| s.as_str()).to_string(),
                    ended: build.is_some_and(|b| b.build_complete()),
                    // Log group names hold no `:` (CloudWatch Logs' naming rule).
                    log: match (logs.and_then(|l| l.group_name()), logs.and_then(|l| l.stream_name())) {
                        (Some(group), Some(stream)) => format!("{group}:{stream}"),
                        _ => String::new(),
                    },
                });
            }
        }
        Ok(refs)
    }

    /// The started jobs with each batch (`batch: true`, its ARN the job id) replaced by its
    /// builds (`BatchGetBuildBatches`), in its build groups' order, so each build's log is read as
    /// a build's is; a batch that has started none yet is left out.
    async fn batch_members(&self, started: Vec<(String, String)>) -> Result<Vec<(String, String)>, OperationError> {
        let batches: Vec<String> = started
            .iter()
            .filter_map(|(_, id)| crate::codebuild_batch::batch_id(id).map(str::to_string))
            .collect();
        if batches.is_empty() {
            return Ok(started);
        }
        let out = self
            .codebuild
            .batch_get_build_batches()
            .set_ids(Some(batches))
            .send()
            .await
            .map_err(|e| internal(port_error("CodeBuild BatchGetBuildBatches", &e)))?;
        let mut jobs = Vec::new();
        for (action, id) in started {
            let Some(batch) = crate::codebuild_batch::batch_id(&id) else {
                jobs.push((action, id));
                continue;
            };
            let builds = out
                .build_batches()
                .iter()
                .filter(|b| b.id() == Some(batch))
                .flat_map(|b| b.build_groups())
                .filter_map(|g| g.current_build_summary()?.arn())
                // A build's ARN is `…:build/ID`; BatchGetBuilds takes the id.
                .filter_map(|arn| arn.split_once(":build/").map(|(_, id)| id.to_string()));
            jobs.extend(builds.map(|build| (action.clone(), build)));
        }
        Ok(jobs)
    }

    /// The log's events after the cursor's token, each message a line. A build that has not
    /// written its stream yet has nothing to read.
    pub(super) async fn read_log(&self, build: &BuildRef, from: &LogCursor) -> Result<LogChunk, OperationError> {
        let Some((group, stream)) = build.log.split_once(':') else {
            return Ok(LogChunk {
                text: String::new(),
                next: from.clone(),
            });
        };
        let out = self
            .logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token((!from.0.is_empty()).then(|| from.0.clone()))
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {
                return Ok(LogChunk {
                    text: String::new(),
                    next: from.clone(),
                });
            }
            Err(e) => return Err(internal(port_error("CloudWatch Logs GetLogEvents", &e))),
        };
        let mut text = String::new();
        for event in out.events() {
            let message = event.message().unwrap_or_default();
            text.push_str(message);
            if !message.ends_with('\n') {
                text.push('\n');
            }
        }
        Ok(LogChunk {
            text,
            next: LogCursor(out.next_forward_token().unwrap_or(&from.0).to_string()),
        })
    }

    /// The deployments the execution made to `group`, each followed by the rollback CodeDeploy
    /// made of it, if any. A deployment CodeDeploy no longer knows has no log there.
    pub(super) async fn deployment_log_entries(&self, execution: &str, group: &str) -> Result<Vec<DeploymentLog>, OperationError> {
        let described = self.described(execution).await?;
        let events = history::events(&self.sfn, described.execution_arn()).await.map_err(internal)?;
        // Timer-driven analyses (a Lambda group's) keep their intervals in the state table.
        let analysed = self.pipeline.groups.get(group).is_some_and(|g| g.analysis.is_some());
        let mut queue: VecDeque<String> = history::submitted(&events, "deployment_id").into_iter().map(|(_, id)| id).collect();
        let mut seen = HashSet::new();
        let mut logs = Vec::new();
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let Some((mut log, replaced_by)) = self.deployer.log(&id).await.map_err(internal)? else {
                continue;
            };
            queue.extend(replaced_by);
            if log.group != group {
                continue;
            }
            if analysed && !log.rollback {
                log.analysis = canary::kept(&self.pending, &id).await.map_err(internal)?;
            }
            logs.push(log);
        }
        Ok(logs)
    }
}
