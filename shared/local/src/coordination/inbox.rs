//! The inbox of a running execution: a Unix socket at `<state dir>/inbox/<execution>.sock`
//! through which other `baton` processes hand it events, as EventBridge hands them to the events
//! function on AWS, and the requests to stop it that `StopExecution` carries on AWS. `baton
//! approve` and `baton stop` are the clients. One JSON message per connection (an event, or
//! `{"stop": {"cause": …, "abandon": …}}`), answered with one line: `ok`, `ok <final status>` once a stopped
//! execution has ended, or `error: <why>`.
//!
//! A socket, not a table the run polls (callbacks, not polling: ARCHITECTURE.md): the answer
//! reaches the waiting task the moment it is given. Only the user who runs the pipeline can connect (mode 0600).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use baton_core::events::Event;
use baton_core::operations::WaitingApproval;
use baton_core::stages::approval;
use baton_core::stages::context::ApprovalContext;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::coordination::bus::EventBus;
use crate::db::Db;
use crate::error::LocalError;

/// An open inbox; dropping it stops listening and removes the socket.
#[derive(Debug)]
pub struct Inbox {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A request to stop the execution. `answer` gets its final status once it has ended and what it
/// left running has been stopped.
#[derive(Debug)]
pub struct RemoteStop {
    pub cause: String,
    /// Stop the actions in progress too, rather than let them finish.
    pub abandon: bool,
    pub answer: oneshot::Sender<String>,
}

pub fn socket_path(state_dir: &Path, execution_id: &str) -> PathBuf {
    state_dir.join("inbox").join(format!("{execution_id}.sock"))
}

impl Inbox {
    /// Listens for events addressed to `execution_id` and publishes them on the bus; requests
    /// to stop it go to `stops`.
    pub fn open(state_dir: &Path, execution_id: &str, bus: EventBus, stops: mpsc::UnboundedSender<RemoteStop>) -> Result<Self, LocalError> {
        let path = socket_path(state_dir, execution_id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(LocalError::io(dir))?;
        }
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).map_err(LocalError::io(&path))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(LocalError::io(&path))?;
        let execution = execution_id.to_string();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, execution.clone(), bus.clone(), stops.clone()));
            }
        });
        Ok(Self { path, task })
    }
}

async fn serve(stream: UnixStream, execution: String, bus: EventBus, stops: mpsc::UnboundedSender<RemoteStop>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    // One event is a few hundred bytes; a client that sends more is not a baton client.
    let reply = match BufReader::new(read.take(64 * 1024)).read_line(&mut line).await {
        Err(e) => format!("error: {e}"),
        Ok(_) => match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(message) if message.get("stop").is_some() => forward_stop(&message["stop"], &stops).await,
            Ok(message) => match serde_json::from_value::<Event>(message) {
                Ok(event) if addressed_to(&event, &execution) => {
                    bus.publish(event);
                    "ok".to_string()
                }
                Ok(_) => format!("error: this inbox takes approval answers and stage decisions for execution {execution} only"),
                Err(e) => format!("error: not an event: {e}"),
            },
            Err(e) => format!("error: not JSON: {e}"),
        },
    };
    let _ = write.write_all(format!("{reply}\n").as_bytes()).await;
}

/// Hands a stop request to the run and waits for the execution to end.
async fn forward_stop(request: &serde_json::Value, stops: &mpsc::UnboundedSender<RemoteStop>) -> String {
    let cause = request["cause"].as_str().unwrap_or("stopped").to_string();
    let abandon = request["abandon"].as_bool().unwrap_or(false);
    let (answer, ended) = oneshot::channel();
    if stops.send(RemoteStop { cause, abandon, answer }).is_err() {
        return "error: the execution has ended".to_string();
    }
    match ended.await {
        Ok(status) => format!("ok {status}"),
        Err(_) => "error: the run ended without saying how".to_string(),
    }
}

fn addressed_to(event: &Event, execution: &str) -> bool {
    match event {
        Event::ApprovalAnswered { execution_id, .. }
        | Event::StageEntered { execution_id, .. }
        | Event::ExecutionSuperseded { execution_id, .. } => execution_id == execution,
        _ => false,
    }
}

/// The approvals of an execution that wait for an answer.
pub fn waiting(db: &Db, execution_id: &str) -> Result<Vec<WaitingApproval>, LocalError> {
    let prefix = approval::key(execution_id, "");
    Ok(db
        .pending_list(&prefix)?
        .into_iter()
        .map(|(key, _, context)| {
            let ctx: ApprovalContext = serde_json::from_str(&context).unwrap_or_default();
            WaitingApproval {
                action: key[prefix.len()..].to_string(),
                message: ctx.message,
                since_ms: ctx.started_ms,
            }
        })
        .collect())
}

/// Hands an event to a running execution's inbox and returns once it has been accepted.
pub async fn deliver(state_dir: &Path, execution_id: &str, event: &Event) -> Result<(), LocalError> {
    let message = serde_json::to_value(event).map_err(|e| LocalError::Internal(e.to_string()))?;
    send(state_dir, execution_id, &message).await.map(drop)
}

/// Stops a running execution and returns its final status, once it has ended: with `abandon`
/// at once (`StopExecution`), its builds stopped; otherwise once the actions in progress have
/// finished, nothing started after them.
pub async fn stop(state_dir: &Path, execution_id: &str, cause: &str, abandon: bool) -> Result<String, LocalError> {
    send(
        state_dir,
        execution_id,
        &serde_json::json!({ "stop": { "cause": cause, "abandon": abandon } }),
    )
    .await
}

/// One message to the inbox; the text after `ok` in its answer.
async fn send(state_dir: &Path, execution_id: &str, message: &serde_json::Value) -> Result<String, LocalError> {
    let path = socket_path(state_dir, execution_id);
    let stream = UnixStream::connect(&path).await.map_err(|e| {
        LocalError::Conflict(format!(
            "execution {execution_id} is not running in any `baton run` process ({}: {e})",
            path.display()
        ))
    })?;
    let (read, mut write) = stream.into_split();
    let mut text = message.to_string();
    text.push('\n');
    write.write_all(text.as_bytes()).await.map_err(LocalError::io(&path))?;
    let mut reply = String::new();
    BufReader::new(read).read_line(&mut reply).await.map_err(LocalError::io(&path))?;
    match reply.trim().strip_prefix("ok") {
        Some(rest) => Ok(rest.trim().to_string()),
        None => Err(LocalError::Conflict(reply.trim().trim_start_matches("error: ").to_string())),
    }
}
