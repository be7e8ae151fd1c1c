//! What the console starts and stops: a new execution (CodePipeline's "Release change"), a
//! retry of a failed one, as `baton retry` runs it, and a stop, as `baton stop` sends it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baton_core::operations::StopExecution;
use serde::Deserialize;
use serde_json::json;

use super::Console;
use super::api::{ApiError, name};

type Shared = State<Arc<Console>>;

/// Starts an execution of the pipeline (CodePipeline's "Release change"): on this machine at
/// its source's head, run by this process as `baton run` would; on a stack, the newest
/// execution's revision again, as a push would start it. The page follows it through the change
/// stream.
pub(super) async fn release(State(console): Shared) -> Result<Response, ApiError> {
    let who = crate::locate::user();
    let id = console.executor.release(&format!("{who} (console)")).await?;
    tracing::info!(execution_id = %id, who, "release started from the console");
    Ok((StatusCode::ACCEPTED, Json(json!({ "execution": id }))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StopBody {
    /// End it where it stands (`baton stop --abandon`) rather than let the actions in progress
    /// finish.
    #[serde(default)]
    pub abandon: bool,
}

/// Stops a running execution as `baton stop` does; the page follows it.
pub(super) async fn stop(State(console): Shared, Path(id): Path<String>, Json(body): Json<StopBody>) -> Result<Response, ApiError> {
    name("execution id", &id)?;
    let request = StopExecution {
        execution: id,
        cause: format!("stopped by {} (console)", crate::locate::user()),
        abandon: body.abandon,
    };
    let stop = console.ops.stop(request).await?;
    let id = stop.plan.id.clone();
    let run = id.clone();
    tokio::spawn(async move {
        match stop.run.await {
            Ok(stopped) => tracing::info!(execution_id = %run, status = %stopped.status, "console stop ended"),
            Err(e) => tracing::error!(execution_id = %run, error = %e, "console stop failed"),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "execution": id, "abandon": body.abandon }))).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RetryBody {
    /// Run only the actions of the failed stage that did not succeed (`baton retry --failed-only`).
    #[serde(default)]
    pub failed_only: bool,
}

/// Runs a failed execution's failed stage again, as `baton retry` does; this process runs it and
/// the page follows it through the change stream.
pub(super) async fn retry(State(console): Shared, Path(id): Path<String>, Json(body): Json<RetryBody>) -> Result<Response, ApiError> {
    name("execution id", &id)?;
    let retry = console.ops.retry(&id, body.failed_only).await?;
    let id = retry.plan.execution.id.clone();
    let from = retry
        .plan
        .stage
        .clone()
        .map_or_else(|| retry.plan.from.clone(), |s| format!("stage {s}"));
    tracing::info!(execution_id = %id, from, who = crate::locate::user(), "retry started from the console");
    let run = id.clone();
    tokio::spawn(async move {
        match retry.run.await {
            Ok(status) => tracing::info!(execution_id = %run, %status, "console retry ended"),
            Err(e) => tracing::error!(execution_id = %run, error = %e, "console retry failed"),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "execution": id, "from": from }))).into_response())
}
