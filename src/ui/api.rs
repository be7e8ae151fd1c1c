//! The console's JSON endpoints and its change stream. Everything is read from the state
//! directory as the CLI reads it; answers to approvals and rollbacks are the operations `baton
//! approve` and `baton rollback` call, their refusals mapped to HTTP statuses.

use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use baton_core::operations::{ApprovalAnswer, OperationError, Operations};
use baton_core::ports::ArtifactStore;
use baton_core::stages::outputs::TaskOutput;
use baton_local::{coordination::inbox, query};
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
    let filter = query::ExecutionFilter::new(q.status.as_deref(), words).map_err(|e| bad(e.to_string()))?;
    let rows = query::find_executions(&console.db, &filter, limit)?;
    Ok(Json(json!({ "executions": rows })))
}

pub(super) async fn execution(State(console): Shared, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    name("execution id", &id)?;
    let db = &console.db;
    let Some(exec) = query::execution(db, Some(&id)).ok().flatten().filter(|e| e.id == id) else {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no execution {id}")));
    };
    let states = query::states(&query::history(db, &id)?);
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
    let failure = super::failure::of(db, &console.state_dir, &console.pipeline.name, &exec, &states)
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    // Drawn with the machine it ran: a pipeline edited since shows its old shape.
    let graph = query::definition(db, &id)?.map(|d| super::graph::graph(&d, &console.pipeline));
    Ok(Json(json!({
        "execution": exec,
        "graph": graph,
        "failure": failure,
        "states": states,
        "outputs": outputs,
        "summaries": summaries,
        "artifacts": artifacts,
        "builds": query::builds(db, &id)?,
        "deployments": query::deployments(db, &id)?,
        "instances": query::instances(db, &exec.pipeline)?,
        "alarms": query::alarms(db)?,
        "waiting_approvals": inbox::waiting(db, &id)?,
    })))
}

/// Each deployment group: its instances (version, running, health) and its last ten deployments.
///
/// Health is asked of each running instance as the page asks, so it is current even when no
/// run is probing.
pub(super) async fn groups(State(console): Shared) -> Result<Json<Value>, ApiError> {
    let pipeline = &console.pipeline.name;
    let mut instances = query::instances(&console.db, pipeline)?;
    baton_local::cloudwatch::check_health(&mut instances).await;
    let mut out = Vec::new();
    for group in console.pipeline.groups.keys() {
        let mine: Vec<_> = instances.iter().filter(|i| &i.group == group).collect();
        out.push(json!({
            "name": group,
            "instances": mine,
            "deployments": query::group_deployments(&console.db, pipeline, group, 10)?,
        }));
    }
    Ok(Json(json!({ "groups": out })))
}

/// One stored version: its manifest (digest, size, provenance, lineage) and the files it changed
/// against the version before it.
pub(super) async fn artifact(State(console): Shared, Path((artifact, version)): Path<(String, u64)>) -> Result<Json<Value>, ApiError> {
    name("artifact name", &artifact)?;
    let pipeline = &console.pipeline.name;
    let manifest = |v: u64| console.store.manifest(pipeline, &artifact, v);
    let internal = |e: baton_core::ports::PortError| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let Some(this) = manifest(version).await.map_err(internal)? else {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no stored version {artifact}@{version}")));
    };
    let previous = match version {
        0 | 1 => None,
        v => manifest(v - 1).await.map_err(internal)?,
    };
    let changes = match &previous {
        Some(p) => console.store.diff(pipeline, &p.artifact, &this.artifact)?,
        None => Vec::new(),
    };
    Ok(Json(json!({ "manifest": this, "previous": previous, "changes": changes })))
}

/// DORA over the last 30 days, the alarms with their last day of transitions, and the newest 60
/// datapoints of each of this pipeline's metric series (at most 12), for the page's charts.
pub(super) async fn observability(State(console): Shared) -> Result<Json<Value>, ApiError> {
    let db = &console.db;
    let pipeline = &console.pipeline.name;
    let now = chrono::Utc::now();
    let since = (now - chrono::Duration::days(30)).timestamp_millis();
    let dora = console.ops.dora(since, now.timestamp_millis()).await?;
    let day_ago = (now - chrono::Duration::days(1)).to_rfc3339();
    let mut series = Vec::new();
    for s in query::metric_series(db)?
        .into_iter()
        .filter(|s| s.dimensions.get("Pipeline") == Some(pipeline))
        .take(12)
    {
        let dims = serde_json::to_string(&s.dimensions).unwrap_or_default();
        let points = query::metric_points(db, &s.namespace, &s.name, &dims, 60)?;
        series.push(json!({ "namespace": s.namespace, "name": s.name, "dimensions": s.dimensions, "unit": s.unit, "points": points }));
    }
    Ok(Json(json!({
        "now": now.to_rfc3339(),
        "dora": dora,
        "alarms": query::alarms(db)?,
        "alarm_history": query::alarm_history(db, &day_ago, None)?,
        "series": series,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogQuery {
    offset: Option<u64>,
}

/// A build's log from `offset`, up to 256 KiB at a time; the page asks again while it runs.
pub(super) async fn build_log(
    State(console): Shared,
    Path((id, build)): Path<(String, String)>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    name("execution id", &id)?;
    name("build id", &build)?;
    let Some(row) = query::builds(&console.db, &id)?.into_iter().find(|b| b.id == build) else {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("execution {id} has no build {build}")));
    };
    let offset = q.offset.unwrap_or(0);
    let mut text = Vec::new();
    if let Ok(mut f) = std::fs::File::open(&row.log_path) {
        f.seek(SeekFrom::Start(offset)).map_err(|e| bad(e.to_string()))?;
        f.take(256 * 1024).read_to_end(&mut text).map_err(|e| bad(e.to_string()))?;
    }
    Ok(Json(json!({
        "text": String::from_utf8_lossy(&text),
        "next_offset": offset + text.len() as u64,
        "running": row.ended_at.is_none(),
    })))
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

/// Server-sent `change` events whenever another process commits to the state database (SQLite's
/// `data_version`), checked five times a second; the page then fetches what it shows again.
pub(super) async fn events(State(console): Shared) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, std::convert::Infallible>>> {
    let version = |c: &Console| -> i64 { c.db.lock().query_row("PRAGMA data_version", [], |r| r.get(0)).unwrap_or_default() };
    let first = version(&console);
    let stopping = console.stopping.clone();
    let stream = futures_util::stream::unfold((console, first, stopping), move |(console, seen, mut stopping)| async move {
        let mut interval = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                // The console is stopping: the stream ends, so the server is not held open by it.
                _ = stopping.wait_for(|stop| *stop) => return None,
            }
            let now = version(&console);
            if now != seen {
                let event = SseEvent::default().event("change").data(now.to_string());
                return Some((Ok(event), (console, now, stopping)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
