//! Bake: watch a freshly deployed group's alarms for a while. The task waits on its token; an
//! alarm going to ALARM fails it, the bake window elapsing succeeds it (see [`super::events`]).

use crate::stages::context::BakeContext;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::alarm::AlarmState;
use crate::events::Event;
use crate::ports::{AlarmWatch, ArtifactRef, PendingTask, PendingTasks, Timers};
use crate::stages::{StageError, correlation};

#[derive(Debug, Deserialize)]
pub struct BakeInput {
    pub task_token: String,
    pub pipeline: String,
    pub execution_id: String,
    pub action: String,
    pub group: String,
    pub alarms: Vec<String>,
    pub duration_secs: u64,
    /// The revision being baked; it becomes the group's last-good when the bake passes.
    pub artifact: ArtifactRef,
    #[serde(default)]
    pub attempt: u64,
    /// `$$.Execution.RedriveCount`: which redrive of the execution this attempt belongs to.
    #[serde(default)]
    pub redrive: u64,
}

pub async fn start(
    alarms: &dyn AlarmWatch,
    pending: &dyn PendingTasks,
    timers: &dyn Timers,
    input: BakeInput,
) -> Result<Value, StageError> {
    first_alarm(alarms, &input.alarms).await?;
    let key = correlation(&input.execution_id, &input.action, input.redrive, input.attempt);
    let context = BakeContext {
        pipeline: input.pipeline.clone(),
        group: input.group.clone(),
        alarms: input.alarms.clone(),
        artifact: Some(input.artifact.clone()),
        action: input.action.clone(),
        started_ms: crate::metrics::now_ms(),
    };
    pending
        .put(&crate::stages::parked::bake(&key), &PendingTask::parked(input.task_token, &context))
        .await?;
    timers
        .after(input.duration_secs, Event::BakeWindowElapsed { correlation: key })
        .await?;
    tracing::info!(group = %input.group, duration_secs = input.duration_secs, alarms = ?input.alarms, "bake started");
    Ok(json!({ "watching": input.alarms, "duration_secs": input.duration_secs }))
}

/// Fails with the first alarm found in ALARM.
pub async fn first_alarm(watch: &dyn AlarmWatch, alarms: &[String]) -> Result<(), StageError> {
    for alarm in alarms {
        if watch.state(alarm).await? == AlarmState::Alarm {
            return Err(StageError::AlarmTriggered {
                alarm: alarm.clone(),
                reason: "in ALARM when checked".into(),
            });
        }
    }
    Ok(())
}
