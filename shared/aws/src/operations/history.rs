//! What an execution's Step Functions history says: the results its tasks produced, and the
//! state that failed. A task's events lead back to the state that scheduled it through
//! `previousEventId`, so branches that run side by side are told apart.

use std::collections::HashMap;

use aws_sdk_sfn::types::{HistoryEvent, HistoryEventType as T};
use baton_core::ports::PortResult;
use serde_json::Value;

use crate::sdk::port_error;

/// Every event of execution `arn`, oldest first.
pub(super) async fn events(sfn: &aws_sdk_sfn::Client, arn: &str) -> PortResult<Vec<HistoryEvent>> {
    let mut all = Vec::new();
    let mut pages = sfn.get_execution_history().execution_arn(arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| port_error("Step Functions GetExecutionHistory", &e))?;
        all.extend(page.events().iter().cloned());
    }
    Ok(all)
}

/// The name of the state whose entry `event` follows from.
fn state_of<'a>(by_id: &HashMap<i64, &'a HistoryEvent>, event: &'a HistoryEvent) -> Option<&'a str> {
    let mut at = event;
    // A history holds at most 25,000 events: so many steps back is the end of any chain.
    for _ in 0..25_000 {
        if let Some(entered) = at.state_entered_event_details() {
            return Some(entered.name());
        }
        at = by_id.get(&at.previous_event_id())?;
    }
    None
}

/// Each task that succeeded, by state name, with what it returned (a Lambda invocation's
/// `Payload`), in the order they ended.
pub(super) async fn produced(sfn: &aws_sdk_sfn::Client, arn: &str) -> PortResult<Vec<(String, Value)>> {
    let events = events(sfn, arn).await?;
    let by_id: HashMap<i64, &HistoryEvent> = events.iter().map(|e| (e.id(), e)).collect();
    let mut out = Vec::new();
    for e in &events {
        let output = match e.r#type() {
            T::TaskSucceeded => e.task_succeeded_event_details().and_then(|d| d.output()),
            T::LambdaFunctionSucceeded => e.lambda_function_succeeded_event_details().and_then(|d| d.output()),
            _ => continue,
        };
        let (Some(name), Some(output)) = (state_of(&by_id, e), output) else {
            continue;
        };
        let value: Value = serde_json::from_str(output).unwrap_or(Value::Null);
        let result = value.get("Payload").cloned().unwrap_or(value);
        out.push((name.to_string(), result));
    }
    Ok(out)
}

/// The state the execution failed in: the last task that failed, or else the last state entered.
pub(super) async fn failed_state(sfn: &aws_sdk_sfn::Client, arn: &str) -> PortResult<Option<String>> {
    let events = events(sfn, arn).await?;
    let by_id: HashMap<i64, &HistoryEvent> = events.iter().map(|e| (e.id(), e)).collect();
    let failed = events.iter().rev().find(|e| {
        matches!(
            e.r#type(),
            T::TaskFailed | T::TaskTimedOut | T::LambdaFunctionFailed | T::LambdaFunctionTimedOut | T::ActivityFailed | T::ActivityTimedOut
        )
    });
    let entered = || events.iter().rev().find_map(|e| e.state_entered_event_details().map(|d| d.name()));
    Ok(failed.and_then(|f| state_of(&by_id, f)).or_else(entered).map(str::to_string))
}

/// What each task's function answered when it was submitted, under `key` (`build_id`,
/// `deployment_id`), by state name, in the order they were submitted: a waiting task's
/// `TaskSubmitted` carries Lambda's `Invoke` response, the function's answer as its `Payload`.
pub(super) fn submitted(events: &[HistoryEvent], key: &str) -> Vec<(String, String)> {
    let by_id: HashMap<i64, &HistoryEvent> = events.iter().map(|e| (e.id(), e)).collect();
    events
        .iter()
        .filter_map(|e| {
            let output: Value = serde_json::from_str(e.task_submitted_event_details()?.output()?).ok()?;
            let answer = output.get("Payload").unwrap_or(&output);
            let value = answer.get(key)?.as_str()?;
            Some((state_of(&by_id, e)?.to_string(), value.to_string()))
        })
        .collect()
}
