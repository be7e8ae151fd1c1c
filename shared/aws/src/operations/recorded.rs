//! Step Functions' history events as the interpreter records its own, so one fold
//! ([`baton_core::execution_states::states`]) and one comparison serve a cloud execution and a
//! local one. Each event keeps the fields Baton reads — names, inputs, outputs, errors, causes,
//! resources, Map indices; what only the console of AWS shows (credentials, log details) is left.

use aws_sdk_sfn::types::HistoryEvent;
use baton_asl::history::{Body, Details};
use serde_json::{Map, Value};

/// Every event in Baton's form, in the order given.
pub(crate) fn recorded(events: &[HistoryEvent]) -> Vec<baton_asl::HistoryEvent> {
    events.iter().map(one).collect()
}

fn one(e: &HistoryEvent) -> baton_asl::HistoryEvent {
    baton_asl::HistoryEvent {
        id: u64::try_from(e.id()).unwrap_or_default(),
        previous_event_id: u64::try_from(e.previous_event_id()).unwrap_or_default(),
        timestamp: super::rfc3339(e.timestamp()).into(),
        kind: e.r#type().as_str().to_string().into(),
        details: details(e).map(|(key, fields)| Details {
            key: key.into(),
            body: Body::Json(Value::Object(fields)),
        }),
    }
}

/// The fields of an event's one `…EventDetails` member, keyed as the API's JSON keys them.
fn details(e: &HistoryEvent) -> Option<(&'static str, Map<String, Value>)> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            m.insert(k.to_string(), Value::String(v.to_string()));
        }
    };
    let key = if let Some(d) = e.state_entered_event_details() {
        put("name", Some(d.name()));
        put("input", d.input());
        "stateEnteredEventDetails"
    } else if let Some(d) = e.state_exited_event_details() {
        put("name", Some(d.name()));
        put("output", d.output());
        "stateExitedEventDetails"
    } else if let Some(d) = e.execution_started_event_details() {
        put("input", d.input());
        put("roleArn", d.role_arn());
        "executionStartedEventDetails"
    } else if let Some(d) = e.execution_succeeded_event_details() {
        put("output", d.output());
        "executionSucceededEventDetails"
    } else if let Some(d) = e.task_scheduled_event_details() {
        put("resourceType", Some(d.resource_type()));
        put("resource", Some(d.resource()));
        put("region", Some(d.region()));
        put("parameters", Some(d.parameters()));
        "taskScheduledEventDetails"
    } else if let Some(d) = e.task_succeeded_event_details() {
        put("resourceType", Some(d.resource_type()));
        put("resource", Some(d.resource()));
        put("output", d.output());
        "taskSucceededEventDetails"
    } else if let Some(d) = e.task_submitted_event_details() {
        put("resourceType", Some(d.resource_type()));
        put("resource", Some(d.resource()));
        put("output", d.output());
        "taskSubmittedEventDetails"
    } else if let Some(d) = e.lambda_function_scheduled_event_details() {
        put("resource", Some(d.resource()));
        put("input", d.input());
        "lambdaFunctionScheduledEventDetails"
    } else if let Some(d) = e.lambda_function_succeeded_event_details() {
        put("output", d.output());
        "lambdaFunctionSucceededEventDetails"
    } else if let Some((key, name, index)) = map_iteration(e) {
        put("name", name);
        m.insert("index".into(), Value::from(index));
        key
    } else if let Some(d) = e.map_state_started_event_details() {
        m.insert("length".into(), Value::from(d.length()));
        "mapStateStartedEventDetails"
    } else if let Some(d) = e.execution_redriven_event_details() {
        m.insert("redriveCount".into(), Value::from(d.redrive_count().unwrap_or_default()));
        "executionRedrivenEventDetails"
    } else {
        let (key, error, cause) = failure(e)?;
        put("error", error);
        put("cause", cause);
        key
    };
    Some((key, m))
}

/// A Map iteration event's key, state name and index.
fn map_iteration(e: &HistoryEvent) -> Option<(&'static str, Option<&str>, i32)> {
    let (key, d) = if let Some(d) = e.map_iteration_started_event_details() {
        ("mapIterationStartedEventDetails", d)
    } else if let Some(d) = e.map_iteration_succeeded_event_details() {
        ("mapIterationSucceededEventDetails", d)
    } else if let Some(d) = e.map_iteration_failed_event_details() {
        ("mapIterationFailedEventDetails", d)
    } else {
        ("mapIterationAbortedEventDetails", e.map_iteration_aborted_event_details()?)
    };
    Some((key, d.name(), d.index()))
}

/// Every event that ends something with an error and a cause, with both.
fn failure(e: &HistoryEvent) -> Option<(&'static str, Option<&str>, Option<&str>)> {
    macro_rules! each {
        ($($accessor:ident => $key:literal),* $(,)?) => {
            $(if let Some(d) = e.$accessor() {
                return Some(($key, d.error(), d.cause()));
            })*
        };
    }
    each!(
        execution_failed_event_details => "executionFailedEventDetails",
        execution_aborted_event_details => "executionAbortedEventDetails",
        execution_timed_out_event_details => "executionTimedOutEventDetails",
        task_failed_event_details => "taskFailedEventDetails",
        task_timed_out_event_details => "taskTimedOutEventDetails",
        task_start_failed_event_details => "taskStartFailedEventDetails",
        task_submit_failed_event_details => "taskSubmitFailedEventDetails",
        lambda_function_failed_event_details => "lambdaFunctionFailedEventDetails",
        lambda_function_timed_out_event_details => "lambdaFunctionTimedOutEventDetails",
        lambda_function_start_failed_event_details => "lambdaFunctionStartFailedEventDetails",
        lambda_function_schedule_failed_event_details => "lambdaFunctionScheduleFailedEventDetails",
        activity_failed_event_details => "activityFailedEventDetails",
        activity_timed_out_event_details => "activityTimedOutEventDetails",
        map_run_failed_event_details => "mapRunFailedEventDetails",
        evaluation_failed_event_details => "evaluationFailedEventDetails",
    );
    None
}
