//! The console's JSON endpoints and its change stream. What the CLI reads and does is read and
//! done through the same operations port (`baton history`, `status`, `logs`, `approve`,
//! `rollback`), its refusals mapped to HTTP statuses; the rest is the executor's (`executor`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use baton_core::operations::{ApprovalAnswer, ExecutionQuery, LogCursor, OperationError};
use baton_core::stages::outputs::TaskOutput;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Console;

type Shared = State<Arc<Console>>;

/// A refusal or failure, as `{"error": "…"}` with its status.
#[derive(Debug)]
pub(super) struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<baton_local::error::LocalError> for ApiError {
    fn from(e: baton_local::error::LocalError) -> Self {
        tracing::error!(error = %e, "console request failed");
        Self(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

/// Each kind of refusal as its HTTP status.
impl From<OperationError> for ApiError {
    fn from(e: OperationError) -> Self {
        let status = match &e {
            OperationError::NotFound(_) => StatusCode::NOT_FOUND,
            OperationError::Conflict(_) => StatusCode::CONFLICT,
            OperationError::Invalid(_) => StatusCode::BAD_REQUEST,
            OperationError::Internal(_) => {
                tracing::error!(error = %e, "console request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Self(status, e.to_string())
    }
}

impl ApiError {
    pub(super) fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "console request failed");
        Self(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }

    pub(super) fn not_found(why: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, why.into())
    }
}

fn bad(why: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, why.into())
}

/// Ids, action and group names as Baton makes them: nothing that could mean a path or markup.
pub(super) fn name(what: &str, s: &str) -> Result<(), ApiError> {
    let ok = !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(bad(format!("not a valid {what}: {s:?}")))
    }
}

pub(super) async fn page(State(console): Shared) -> Html<String> {
    Html(include_str!("console.html").replace("{{TOKEN}}", &console.token))
}

/// The pipeline and its graph, read off the compiled state machine (see `graph`).
pub(super) async fn pipeline(State(console): Shared) -> Json<Value> {
    let p = &console.pipeline;
    Json(json!({
        "name": p.name,
        "file": console.pipeline_file,
        "place": console.place,
        "remote": console.executor.remote(),
        "groups": p.groups.keys().collect::<Vec<_>>(),
        "graph": super::graph::graph(&console.definition, p),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    status: Option<String>,
    limit: Option<usize>,
    /// Words that must each appear in the id, commit, trigger or failure (any case).
    q: Option<String>,
}

pub(super) async fn executions(State(console): Shared, Query(q): Query<ListQuery>) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad("limit must be between 1 and 1000"));
    }
    let words = q.q.as_deref().unwrap_or_default();
    if words.len() > 200 {
        return Err(bad("q is too long (200 characters at most)"));
    }
    let query = ExecutionQuery::new(q.status.as_deref(), words)?;
    let rows = console.ops.executions(&query, limit).await?;
    Ok(Json(json!({ "executions": rows })))
}

pub(super) async fn execution(State(console): Shared, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    name("execution id", &id)?;
    let ops = console.ops.as_ref();
    let detail = ops.execution(Some(&id)).await?;
    // The command line accepts a prefix of an id; the page asks for whole ones.
    if detail.execution.id != id {
        return Err(ApiError::not_found(format!("no execution {id}")));
    }
    let (exec, states) = (detail.execution, detail.states);
    // What each action produced, in the CLI's words: artifacts, tests, coverage, approvals.
    let summaries: serde_json::Map<String, Value> = states
        .iter()
        .map(|s| (s.name.clone(), crate::style::result_summary(s.result.as_ref())))
        .filter(|(_, summary)| !summary.is_empty())
        .map(|(name, summary)| (name, Value::from(summary)))
        .collect();
    // The artifact versions each action stored or deployed, for the provenance and diff view;
    // test reports, coverage and exported variables, as each build reported them (a secret an
    // exported variable holds is masked by the build before it gets here).
    let mut artifacts = serde_json::Map::new();
    let mut outputs = serde_json::Map::new();
    for s in &states {
        let Some(output) = s.result.as_ref().map(TaskOutput::read) else {
            continue;
        };
        let refs = output.artifacts();
        if !refs.is_empty() {
            artifacts.insert(s.name.clone(), json!(refs));
        }
        if let TaskOutput::Build(b) = &output
            && !(b.variables.is_empty() && b.reports.is_empty() && b.coverage.is_empty())
        {
            let pick = |empty: bool, v: Value| (!empty).then_some(v);
            let shown = json!({
                "variables": pick(b.variables.is_empty(), json!(b.variables)),
                "reports": pick(b.reports.is_empty(), json!(b.reports)),
                "coverage": pick(b.coverage.is_empty(), json!(b.coverage)),
            });
            outputs.insert(s.name.clone(), shown);
        }
    }
    let builds = ops.builds(&id).await?;
    let failure = super::failure::of(ops, &console.pipeline, &exec, &states, &builds).await?;
    let extras = console.executor.execution(&id, &exec.pipeline, &console.pipeline).await?;
    Ok(Json(json!({
        "execution": exec,
        "graph": extras.graph,
        "failure": failure,
        "states": states,
        "outputs": outputs,
        "summaries": summaries,
        "artifacts": artifacts,
        "builds": builds,
        "deployments": extras.deployments,
        "instances": extras.instances,
        "alarms": extras.alarms,
        "waiting_approvals": ops.waiting_approvals(&id).await?,
    })))
}

/// Each deployment group: what it runs and its latest deployments.
pub(super) async fn groups(State(console): Shared) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "groups": console.executor.groups(&console.pipeline).await? })))
}

/// One stored version: its manifest (digest, size, provenance, lineage) and the files it changed
/// against the version before it.
pub(super) async fn artifact(State(console): Shared, Path((artifact, version)): Path<(String, u64)>) -> Result<Json<Value>, ApiError> {
    name("artifact name", &artifact)?;
    Ok(Json(console.executor.artifact(&console.pipeline.name, &artifact, version).await?))
}

/// DORA over the last 30 days, the alarms with their last day of transitions, and the pipeline's
/// metric series (at most 12), for the page's charts.
pub(super) async fn observability(State(console): Shared) -> Result<Json<Value>, ApiError> {
    let now = chrono::Utc::now();
    let since = (now - chrono::Duration::days(30)).timestamp_millis();
    let dora = console.ops.dora(since, now.timestamp_millis()).await?;
    let day_ago = (now - chrono::Duration::days(1)).to_rfc3339();
    let observed = console.executor.observed(&console.pipeline, &day_ago).await?;
    Ok(Json(json!({
        "now": now.to_rfc3339(),
        "dora": dora,
        "alarms": observed.alarms,
        "alarm_history": observed.alarm_history,
        "series": observed.series,
        "unavailable": observed.unavailable,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogQuery {
    /// Where the last read ended (`next` of its answer); the start when absent.
    cursor: Option<String>,
}

/// A build's log after `cursor`: a file's bytes on this machine, CloudWatch Logs' events on a
/// stack. The page asks again while the build runs.
pub(super) async fn build_log(
    State(console): Shared,
    Path((id, build)): Path<(String, String)>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    name("execution id", &id)?;
    name("build id", &build)?;
    let cursor = q.cursor.unwrap_or_default();
    if cursor.len() > 1024 {
        return Err(bad("cursor is too long"));
    }
    let Some(found) = console.ops.builds(&id).await?.into_iter().find(|b| b.id == build) else {
        return Err(ApiError::not_found(format!("execution {id} has no build {build}")));
    };
    let chunk = console.ops.build_log(&found, &LogCursor(cursor)).await?;
    Ok(Json(json!({ "text": chunk.text, "next": chunk.next.0, "running": !found.ended })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Answer {
    action: String,
    approved: bool,
    comment: Option<String>,
}

pub(super) async fn answer_approval(
    State(console): Shared,
    Path(id): Path<String>,
    Json(answer): Json<Answer>,
) -> Result<Response, ApiError> {
    name("execution id", &id)?;
    name("action", &answer.action)?;
    let answer = ApprovalAnswer {
        execution: id,
        action: Some(answer.action),
        approved: answer.approved,
        comment: answer.comment,
        by: format!("{} (console)", crate::locate::user()),
    };
    let answered = console.ops.answer_approval(answer).await?;
    Ok((StatusCode::ACCEPTED, Json(answered)).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RollbackBody {
    /// NAME@VERSION; the group's last-good revision when absent.
    to: Option<String>,
}

/// Starts the rollback deployment `baton rollback` would make; the page follows it through the
/// change stream.
pub(super) async fn roll_back(
    State(console): Shared,
    Path(group): Path<String>,
    Json(body): Json<RollbackBody>,
) -> Result<Response, ApiError> {
    name("group", &group)?;
    if let Some(spec) = &body.to {
        name("artifact version", spec)?;
    }
    let rollback = console.ops.roll_back(&group, body.to.as_deref()).await?;
    let to = rollback.plan.target.to_string();
    tracing::info!(group, to, who = crate::locate::user(), "rollback requested from the console");
    tokio::spawn(async move {
        match rollback.run.await {
            Ok(done) => tracing::info!(
                group,
                deployment_id = done.id,
                status = done.status.as_str(),
                rolled_back = ?done.rolled_back.as_ref().map(|r| r.id.clone()),
                "console rollback ended"
            ),
            Err(e) => tracing::error!(group, error = %e, "console rollback failed"),
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "group": rollback.plan.group, "to": to }))).into_response())
}

/// Server-sent `change` events whenever the executor's change signal moves (SQLite's
/// `data_version` on this machine, the newest executions on a stack), checked at the executor's
/// pace; the page then fetches what it shows again.
pub(super) async fn events(State(console): Shared) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    let first = console.executor.version().await;
    let stopping = console.stopping.clone();
    let stream = futures_util::stream::unfold((console, first, stopping), move |(console, seen, mut stopping)| async move {
        let mut interval = tokio::time::interval(console.executor.check_every());
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                // The console is stopping: the stream ends, so the server is not held open by it.
                _ = stopping.wait_for(|stop| *stop) => return None,
            }
            let now = console.executor.version().await;
            if now != seen {
                let event = SseEvent::default().event("change").data("changed");
                return Some((Ok(event), (console, now, stopping)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
