//! DORA's four key metrics, from the executions that deployed (or tried to):
//!
//! - **deployment frequency**: executions that deployed and succeeded, per day;
//! - **lead time for changes**: from the change (the commit's time) to the end of the execution
//!   that shipped it, median;
//! - **change failure rate**: of the executions that deployed, the share that failed or rolled
//!   back;
//! - **time to restore**: from the end of a failed deploying execution to the end of the next
//!   successful one, median.
//!
//! Each executor finds its deploying executions its own way (the local deployment records, or a
//! Step Functions history that entered a deploy action); the figures are computed here once.

use baton_asl::HistoryEvent;
use serde::Serialize;

use crate::model::{ActionKind, Pipeline, state_name};
use crate::operations::ExecutionSummary;
use crate::pipeline_status::PipelineStatus;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dora {
    pub since: String,
    pub days: f64,
    pub deploying_executions: usize,
    pub successful_deployments: usize,
    pub deployment_frequency_per_day: f64,
    pub lead_time_seconds: Option<f64>,
    pub change_failure_rate: Option<f64>,
    pub time_to_restore_seconds: Option<f64>,
}

/// An ended execution that deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeployingRun {
    /// When it ended, epoch milliseconds.
    pub ended_ms: i64,
    pub succeeded: bool,
    /// When the commit it shipped was made, epoch milliseconds, when the source says.
    pub commit_ms: Option<i64>,
}

/// Epoch milliseconds of an RFC 3339 time.
pub fn ms(ts: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(ts).ok().map(|t| t.timestamp_millis())
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Some(if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 })
}

/// The figures for the runs that ended since `since_ms`, as of `now_ms`. A restore is measured
/// to the next success wherever it falls; the window selects the runs counted.
pub fn compute(runs: &[DeployingRun], since_ms: i64, now_ms: i64) -> Dora {
    let mut all = runs.to_vec();
    all.sort_by_key(|r| r.ended_ms);
    let in_window: Vec<&DeployingRun> = all.iter().filter(|r| r.ended_ms >= since_ms).collect();
    let days = ((now_ms - since_ms) as f64 / 86_400_000.0).max(1.0 / 24.0);
    let successes: Vec<&&DeployingRun> = in_window.iter().filter(|r| r.succeeded).collect();
    let lead_times = successes
        .iter()
        .filter_map(|r| r.commit_ms.map(|c| (r.ended_ms - c) as f64 / 1000.0))
        .collect();
    let failures = in_window.iter().filter(|r| !r.succeeded).count();
    let restores = in_window
        .iter()
        .filter(|r| !r.succeeded)
        .filter_map(|f| {
            all.iter()
                .find(|s| s.succeeded && s.ended_ms > f.ended_ms)
                .map(|s| (s.ended_ms - f.ended_ms) as f64 / 1000.0)
        })
        .collect();
    Dora {
        since: chrono::DateTime::<chrono::Utc>::from_timestamp_millis(since_ms)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default(),
        days,
        deploying_executions: in_window.len(),
        successful_deployments: successes.len(),
        deployment_frequency_per_day: successes.len() as f64 / days,
        lead_time_seconds: median(lead_times),
        change_failure_rate: (!in_window.is_empty()).then(|| failures as f64 / in_window.len() as f64),
        time_to_restore_seconds: median(restores),
    }
}

/// The deploying run an ended execution's history shows: one that entered a deploy action of
/// `pipeline`, with the commit time its source snapshot recorded. `None` for an execution still
/// running or one that deployed nothing.
pub fn deploying_run(pipeline: &Pipeline, execution: &ExecutionSummary, events: &[HistoryEvent]) -> Option<DeployingRun> {
    let ended_ms = ms(execution.ended_at.as_deref()?)?;
    let deploys: Vec<String> = pipeline
        .actions()
        .filter(|(_, a)| matches!(a.kind, ActionKind::Deploy { .. }))
        .map(|(s, a)| state_name(&s.name, &a.name))
        .collect();
    let entered = |e: &HistoryEvent| e.kind.ends_with("StateEntered") && e.state_name().is_some_and(|n| deploys.iter().any(|d| d == n));
    if !events.iter().any(entered) {
        return None;
    }
    // The source state's output is the execution document, with the snapshot under `source`.
    let commit_ms = events
        .iter()
        .find(|e| e.kind.ends_with("StateExited") && e.state_name() == Some(crate::synth::SOURCE_STATE))
        .and_then(|e| e.detail_text("output"))
        .and_then(|o| serde_json::from_str::<serde_json::Value>(&o).ok())
        .and_then(|o| o["source"]["commit_time"].as_str().and_then(ms));
    Some(DeployingRun {
        ended_ms,
        succeeded: execution.status == PipelineStatus::Succeeded,
        commit_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn run(ended_ms: i64, succeeded: bool, commit_ms: Option<i64>) -> DeployingRun {
        DeployingRun {
            ended_ms,
            succeeded,
            commit_ms,
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn the_four_figures_of_a_window_with_a_failure_and_its_restore() {
        let since = 10 * DAY;
        let runs = [
            // Before the window: not counted, but a success there restores nothing after it.
            run(since - 1, true, Some(since - 1000)),
            run(since + 1000, true, Some(since)),
            run(since + 5000, false, Some(since + 4000)),
            run(since + 9000, true, Some(since + 6000)),
        ];
        let d = compute(&runs, since, since + 2 * DAY);
        assert_eq!((d.deploying_executions, d.successful_deployments), (3, 2));
        assert_eq!(d.deployment_frequency_per_day, 1.0);
        // Lead times of the successes in the window: 1 s and 3 s.
        assert_eq!(d.lead_time_seconds, Some(2.0));
        assert_eq!(d.change_failure_rate, Some(1.0 / 3.0));
        assert_eq!(d.time_to_restore_seconds, Some(4.0));
    }

    #[test]
    fn no_runs_have_no_rates_and_a_short_window_counts_as_an_hour() {
        let d = compute(&[], 0, 1000);
        assert_eq!(
            (d.deploying_executions, d.change_failure_rate, d.lead_time_seconds),
            (0, None, None)
        );
        assert_eq!(d.days, 1.0 / 24.0);
    }

    fn event(json: &str) -> HistoryEvent {
        serde_json::from_str(json).expect("event")
    }

    fn ended(status: PipelineStatus) -> ExecutionSummary {
        ExecutionSummary {
            id: "e1".into(),
            pipeline: "p".into(),
            status,
            started_at: "2026-12-04T09:00:00Z".into(),
            ended_at: Some("2026-12-04T09:10:00Z".into()),
            commit_id: None,
            error: None,
            cause: None,
            trigger: "push".into(),
            revision_summary: None,
            branch: None,
        }
    }

    #[test]
    fn an_execution_deployed_when_its_history_entered_a_deploy_action() {
        let yaml = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, buildspec: b.yml, outputs: [app] }\n  - name: Prod\n    actions:\n      - { name: Ship, type: deploy, input: app, group: web }\ndeployment_groups:\n  web: { instances: 1 }\n";
        let pipeline = crate::parse_pipeline(std::path::Path::new("pipeline.yml"), yaml).expect("pipeline");
        let source = event(
            r#"{"id":2,"previousEventId":1,"timestamp":"2026-12-04T09:00:01Z","type":"TaskStateExited","stateExitedEventDetails":{"name":"Source","output":"{\"source\":{\"commit_time\":\"2026-12-04T08:00:00Z\"}}"}}"#,
        );
        let build = event(
            r#"{"id":3,"previousEventId":2,"timestamp":"2026-12-04T09:00:02Z","type":"TaskStateEntered","stateEnteredEventDetails":{"name":"Build:Compile","input":"{}"}}"#,
        );
        let ship = event(
            r#"{"id":4,"previousEventId":3,"timestamp":"2026-12-04T09:05:00Z","type":"TaskStateEntered","stateEnteredEventDetails":{"name":"Prod:Ship","input":"{}"}}"#,
        );
        let run = deploying_run(&pipeline, &ended(PipelineStatus::Succeeded), &[source.clone(), build.clone(), ship]);
        assert_eq!(
            run,
            Some(DeployingRun {
                ended_ms: ms("2026-12-04T09:10:00Z").expect("time"),
                succeeded: true,
                commit_ms: ms("2026-12-04T08:00:00Z"),
            })
        );
        // A build that failed before any deploy is not a deployment, however it ended.
        assert_eq!(deploying_run(&pipeline, &ended(PipelineStatus::Failed), &[source, build]), None);
    }
}
