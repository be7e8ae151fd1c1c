//! What an execution that ended early leaves behind. Step Functions drops a stopped (or timed
//! out, or failed-in-one-branch) execution's waiting tasks, but what those tasks started goes on:
//! a build would keep running, and billing, until its own timeout. So when an execution ends
//! this stops its builds and clears every entry that still waits on it; a completion that
//! arrives later finds nobody to answer.
//!
//! Deployments are left to finish, as CodePipeline leaves them when an execution is stopped:
//! half a deployment is worse than a whole one, and the next execution deploys over it.

use crate::ports::{BuildRunner, PendingTasks, PortResult, TaskCallbacks};
use crate::stages::context::BuildContext;

/// The kinds of entries an execution parks, as their key prefixes
/// (`<kind>/<execution>/…`).
pub const KINDS: [&str; 5] = ["build", "deployment", "bake", "approval", "gate"];

/// What [`ended`] cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Abandoned {
    pub builds_stopped: Vec<String>,
    /// Keys of the entries that no longer wait.
    pub dropped: Vec<String>,
}

/// Handles the end of `execution_id` with Step Functions' final `status`. A succeeded execution
/// waits on nothing; any other leaves its waiting tasks here.
pub async fn ended(pending: &dyn PendingTasks, builds: &dyn BuildRunner, execution_id: &str, status: &str) -> PortResult<Abandoned> {
    let mut abandoned = Abandoned::default();
    if matches!(status, "SUCCEEDED" | "RUNNING") {
        return Ok(abandoned);
    }
    for kind in KINDS {
        for (key, task) in pending.list(&format!("{kind}/{execution_id}/")).await? {
            // Stopped before its entry goes: if stopping fails, the redelivered event finds the
            // entry and tries again.
            let build = (kind == "build").then(|| task.context_as::<BuildContext>().job_id).flatten();
            if let Some(build_id) = build {
                builds.stop(&build_id).await?;
                tracing::info!(execution_id, build_id, status, "build stopped: its execution ended");
                abandoned.builds_stopped.push(build_id);
            }
            if pending.take(&key).await?.is_some() {
                abandoned.dropped.push(key);
            }
        }
    }
    Ok(abandoned)
}

/// Under a stop-and-wait, the waits that are not work in progress (an approval nobody has given,
/// a stage not yet entered) fail at once with `error` and `cause`, so the stop does not wait on
/// them. Returns the keys it released.
pub async fn release_waits(
    pending: &dyn PendingTasks,
    callbacks: &dyn TaskCallbacks,
    execution_id: &str,
    (error, cause): (&str, &str),
) -> PortResult<Vec<String>> {
    let mut released = Vec::new();
    for kind in ["approval", "gate"] {
        for (key, _) in pending.list(&format!("{kind}/{execution_id}/")).await? {
            if let Some(task) = pending.take(&key).await? {
                callbacks.fail(&task.token, error, cause).await?;
                released.push(key);
            }
        }
    }
    Ok(released)
}
