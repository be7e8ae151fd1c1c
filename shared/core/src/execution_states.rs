//! What an execution's history says of each state it entered: its status, how long it took,
//! its attempts, the task's result or the error — the rows of `baton status` and the console,
//! folded the same way from a local history and from Step Functions' `GetExecutionHistory`.

use baton_asl::{HistoryEvent, Owners};
use serde::Serialize;
use serde_json::Value;

/// One state of an execution as `baton status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StateStatus {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub entered_at: String,
    pub exited_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub attempts: u32,
    /// How many times the execution had been retried (redriven) when the state was entered: 0
    /// in its first run, so a retried stage's states are told from the first attempt's.
    pub retry: u32,
    /// The task's result (what the build, deployment or bake reported).
    pub result: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

fn millis(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts).ok().map(|t| t.timestamp_millis())
}

/// Folds history into per-state statuses. Events of parallel branches interleave, so each event
/// is attributed to a state by following `previousEventId` back to its `…StateEntered`.
pub fn states(history: &[HistoryEvent]) -> Vec<StateStatus> {
    let mut owners: Owners<usize> = Owners::default();
    let failures: std::collections::HashSet<u64> = history.iter().filter(|e| e.is_failure()).map(|e| e.id).collect();
    let mut out: Vec<StateStatus> = Vec::new();
    let mut retry = 0;
    for e in history {
        let kind = &*e.kind;
        if kind == "ExecutionRedriven" {
            retry += 1;
            continue;
        }
        // A state still running when its execution ends was cancelled with it — a Parallel
        // branch whose sibling failed, a stopped execution's task: STOPPED, as `logs` says,
        // not RUNNING for ever.
        if matches!(
            kind,
            "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut" | "ExecutionSucceeded"
        ) {
            // A Fail state's error and cause are the execution's: its row says them.
            if kind == "ExecutionFailed"
                && let Some(i) = owners.of(e)
                && out[i].kind == "Fail"
            {
                out[i].error = e.detail_text("error");
                out[i].cause = e.detail_text("cause");
            }
            for s in out.iter_mut().filter(|s| s.status == "RUNNING") {
                s.status = "STOPPED".into();
                s.exited_at = Some(e.timestamp.to_string());
                s.duration_ms = millis(&e.timestamp).zip(millis(&s.entered_at)).map(|(b, a)| b - a);
            }
            continue;
        }
        if let Some(state_type) = kind.strip_suffix("StateEntered") {
            out.push(StateStatus {
                name: e.state_name().unwrap_or_default().to_string(),
                kind: state_type.to_string(),
                status: "RUNNING".into(),
                entered_at: e.timestamp.to_string(),
                exited_at: None,
                duration_ms: None,
                attempts: 0,
                retry,
                result: None,
                error: None,
                cause: None,
            });
            owners.enter(e, out.len() - 1);
            continue;
        }
        let Some(i) = owners.follow(e) else { continue };
        let s = &mut out[i];
        if kind.ends_with("StateExited") {
            // An exit right after the state's failure is a Catch's: the state failed.
            if !failures.contains(&e.previous_event_id) {
                s.status = "SUCCEEDED".into();
            }
            s.exited_at = Some(e.timestamp.to_string());
            s.duration_ms = millis(&e.timestamp).zip(millis(&s.entered_at)).map(|(b, a)| b - a);
        } else if kind.ends_with("Scheduled") {
            s.attempts += 1;
        } else if kind == "TaskSucceeded" || kind == "LambdaFunctionSucceeded" {
            s.result = e.detail_text("output").and_then(|o| serde_json::from_str(&o).ok());
        } else if kind.ends_with("Failed") || kind.ends_with("TimedOut") {
            s.status = "FAILED".into();
            // A Map's `MapIterationFailed` carries no error: the row keeps its state's own.
            if let Some(error) = e.detail_text("error") {
                s.error = Some(error);
                s.cause = e.detail_text("cause");
            }
            s.exited_at = Some(e.timestamp.to_string());
            s.duration_ms = millis(&e.timestamp).zip(millis(&s.entered_at)).map(|(b, a)| b - a);
        }
    }
    // A Fail state has no exit event: reaching it is its whole job.
    for s in out.iter_mut().filter(|s| s.kind == "Fail") {
        s.status = "FAILED".into();
    }
    out
}

/// The states a history entered, each entry once: the state transitions Step Functions bills.
pub fn transitions(history: &[HistoryEvent]) -> u64 {
    history.iter().filter(|e| e.kind.ends_with("StateEntered")).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> HistoryEvent {
        serde_json::from_str(json).expect("event")
    }

    /// An event at one instant: `details` is the rest of its JSON, `,"…EventDetails":{…}`.
    fn e(id: u64, prev: u64, kind: &str, details: &str) -> HistoryEvent {
        event(&format!(
            r#"{{"id":{id},"previousEventId":{prev},"timestamp":"2026-12-04T09:00:00Z","type":"{kind}"{details}}}"#
        ))
    }

    #[test]
    fn a_fail_state_row_carries_the_error_and_cause_the_execution_failed_with() {
        let history = [
            event(
                r#"{"id":1,"previousEventId":0,"timestamp":"2026-12-04T09:00:00Z","type":"ExecutionStarted","executionStartedEventDetails":{"input":"{}"}}"#,
            ),
            event(
                r#"{"id":2,"previousEventId":1,"timestamp":"2026-12-04T09:00:01Z","type":"FailStateEntered","stateEnteredEventDetails":{"name":"Deploy","input":"{}"}}"#,
            ),
            event(
                r#"{"id":3,"previousEventId":2,"timestamp":"2026-12-04T09:00:01Z","type":"ExecutionFailed","executionFailedEventDetails":{"error":"Baton.DeployFailed","cause":"2 of 3 failed"}}"#,
            ),
        ];
        let rows = states(&history);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].status.as_str(), rows[0].error.as_deref(), rows[0].cause.as_deref()),
            ("FAILED", Some("Baton.DeployFailed"), Some("2 of 3 failed"))
        );
    }

    /// AWS records a caught failure's exit (TaskFailed, then TaskStateExited with the catcher's
    /// output): the row stays FAILED; a retried task that then succeeded is SUCCEEDED.
    #[test]
    fn a_caught_failure_stays_failed_and_a_retried_success_succeeds() {
        let entered = |name: &str| format!(r#","stateEnteredEventDetails":{{"name":"{name}","input":"{{}}"}}"#);
        let exited = |name: &str| format!(r#","stateExitedEventDetails":{{"name":"{name}","output":"{{}}"}}"#);
        let failed = r#","taskFailedEventDetails":{"error":"Boom","cause":"b"}"#;
        let history = [
            e(1, 0, "TaskStateEntered", &entered("Caught")),
            e(2, 1, "TaskFailed", failed),
            e(3, 2, "TaskStateExited", &exited("Caught")),
            e(4, 3, "TaskStateEntered", &entered("Retried")),
            e(5, 4, "TaskFailed", failed),
            e(6, 5, "TaskSucceeded", r#","taskSucceededEventDetails":{"output":"{}"}"#),
            e(7, 6, "TaskStateExited", &exited("Retried")),
        ];
        let rows = states(&history);
        let rows: Vec<(&str, &str)> = rows.iter().map(|r| (r.name.as_str(), r.status.as_str())).collect();
        assert_eq!(rows, [("Caught", "FAILED"), ("Retried", "SUCCEEDED")]);
    }

    /// A Map's exit follows its last `MapIterationSucceeded`, an event of its last iteration
    /// (AWS's history in localstack/localstack, tests/aws/services/stepfunctions/v2/
    /// states_variables/test_error_output.snapshot.json): the exit is still the Map's.
    #[test]
    fn a_map_exit_that_follows_its_last_iteration_ends_the_map() {
        let history = [
            e(
                2,
                0,
                "MapStateEntered",
                r#","stateEnteredEventDetails":{"name":"Items","input":"[1]"}"#,
            ),
            e(3, 2, "MapStateStarted", r#","mapStateStartedEventDetails":{"length":1}"#),
            e(
                4,
                3,
                "MapIterationStarted",
                r#","mapIterationStartedEventDetails":{"name":"Items","index":0}"#,
            ),
            e(
                5,
                4,
                "PassStateEntered",
                r#","stateEnteredEventDetails":{"name":"One","input":"1"}"#,
            ),
            e(6, 5, "PassStateExited", r#","stateExitedEventDetails":{"name":"One","output":"1"}"#),
            e(
                7,
                6,
                "MapIterationSucceeded",
                r#","mapIterationSucceededEventDetails":{"name":"Items","index":0}"#,
            ),
            e(8, 7, "MapStateSucceeded", ""),
            e(
                9,
                7,
                "MapStateExited",
                r#","stateExitedEventDetails":{"name":"Items","output":"[1]"}"#,
            ),
            e(10, 9, "ExecutionSucceeded", r#","executionSucceededEventDetails":{"output":"[1]"}"#),
        ];
        let rows = states(&history);
        let rows: Vec<_> = rows.iter().map(|r| (r.name.as_str(), r.status.as_str())).collect();
        assert_eq!(rows, [("Items", "SUCCEEDED"), ("One", "SUCCEEDED")]);
    }

    /// An `EvaluationFailed` follows the event before its state's entry (AWS's history in
    /// localstack/localstack, tests/aws/services/stepfunctions/v2/states_variables/
    /// test_error_output.snapshot.json): it fails the state it names, not the one before.
    #[test]
    fn a_failed_expression_fails_the_state_it_names() {
        let history = [
            e(
                2,
                0,
                "TaskStateEntered",
                r#","stateEnteredEventDetails":{"name":"Work","input":"{}"}"#,
            ),
            e(
                3,
                2,
                "TaskStateExited",
                r#","stateExitedEventDetails":{"name":"Work","output":"{}"}"#,
            ),
            e(
                4,
                3,
                "PassStateEntered",
                r#","stateEnteredEventDetails":{"name":"Fallback","input":"{}"}"#,
            ),
            e(
                5,
                3,
                "EvaluationFailed",
                r#","evaluationFailedEventDetails":{"cause":"c","error":"States.QueryEvaluationError","location":"Output/error","state":"Fallback"}"#,
            ),
            e(
                6,
                5,
                "ExecutionFailed",
                r#","executionFailedEventDetails":{"cause":"c","error":"States.QueryEvaluationError"}"#,
            ),
        ];
        let rows = states(&history);
        let rows: Vec<_> = rows
            .iter()
            .map(|r| (r.name.as_str(), r.status.as_str(), r.error.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Work", "SUCCEEDED", None),
                ("Fallback", "FAILED", Some("States.QueryEvaluationError"))
            ]
        );
    }
}
