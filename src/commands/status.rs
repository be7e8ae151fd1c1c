//! `baton status`: one execution, action by action.

use std::path::Path;

use baton_core::analysis::IntervalResult;
use baton_core::execution_states::StateStatus;
use baton_core::operations::ExecutionSummary;
use baton_core::stages::lambda_error::readable_cause;
use baton_local::cloudwatch::Health;
use baton_local::query;
use serde_json::json;

use crate::out::println;
use crate::style;

pub(crate) async fn run(
    execution: Option<&str>,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
    json_out: bool,
) -> anyhow::Result<u8> {
    if let Some(name) = stack {
        return on_stack(execution, pipeline, name, json_out).await;
    }
    let (_, db, exec) = crate::locate::execution(pipeline, state_dir, execution)?;
    let history = query::history(&db, &exec.id)?;
    let states = query::states(&history);
    let deployments = query::deployments(&db, &exec.id)?;
    let mut instances = query::instances(&db, &exec.pipeline)?;
    baton_local::cloudwatch::check_health(&mut instances).await;
    let fronts = query::fronts(&db, &exec.pipeline)?;
    let alarms = query::alarms(&db)?;
    let alarm_history = query::alarm_history(&db, &exec.started_at, exec.ended_at.as_deref())?;
    let lanes = baton_local::coordination::lanes::occupancy(&db, &exec.pipeline)?;
    if json_out {
        let locks: Vec<_> = lanes
            .iter()
            .map(|(stage, execution, holding)| json!({ "stage": stage, "execution": execution, "holding": holding }))
            .collect();
        let doc = json!({ "execution": exec, "states": states, "deployments": deployments, "instances": instances, "front_doors": fronts, "alarms": alarms, "alarm_history": alarm_history, "stage_locks": locks });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    header(&exec);
    state_rows(&states);
    if !lanes.is_empty() {
        println!();
        println!("  Stage locks (execution mode)");
        let mut stages: Vec<&str> = lanes.iter().map(|(s, _, _)| s.as_str()).collect();
        stages.dedup();
        for stage in stages {
            let mark = |e: &str| if e == exec.id { format!("{e} (this one)") } else { e.to_string() };
            let holder = lanes.iter().find(|(s, _, h)| s == stage && *h).map(|(_, e, _)| mark(e));
            let waiting: Vec<String> = lanes
                .iter()
                .filter(|(s, _, h)| s == stage && !*h)
                .map(|(_, e, _)| mark(e))
                .collect();
            println!(
                "  {stage:<12} held by {}{}",
                holder.as_deref().unwrap_or("nobody"),
                if waiting.is_empty() {
                    String::new()
                } else {
                    format!("; waiting: {}", waiting.join(", "))
                }
            );
        }
    }
    if !deployments.is_empty() {
        println!();
        println!("  Deployments");
        for d in &deployments {
            let s = style::status(&d.status);
            let kind = match (&d.rolls_back, &d.rolled_back_by) {
                (Some(of), _) => format!(" (rollback of {of})"),
                (None, Some(by)) => format!(" (rolled back by {by})"),
                _ if d.rollback => " (rollback)".to_string(),
                _ => String::new(),
            };
            println!(
                "  {:<13} {:<10} {:<10} {}{:<10}{}{kind} {}",
                d.id,
                d.group,
                style::artifact(&d.artifact).unwrap_or_default(),
                s.render(),
                d.status,
                s.render_reset(),
                d.reason.as_deref().unwrap_or_default()
            );
            for r in &d.analysis {
                println!("    {}", analysis_line(r));
            }
            for i in &d.instances {
                let events: Vec<String> = i
                    .events
                    .iter()
                    .map(|e| {
                        let s = style::status(&e.status);
                        format!("{}{}{}", s.render(), e.event, s.render_reset())
                    })
                    .collect();
                println!("    #{:<3} {}", i.instance, events.join(" → "));
                if let Some(m) = i.events.iter().find_map(|e| e.message.as_deref()) {
                    println!("         {}{m}{}", style::FAIL.render(), style::FAIL.render_reset());
                }
            }
        }
    }
    if !instances.is_empty() {
        println!();
        println!("  Instances");
        for i in &instances {
            let health = i.health.map_or("-", Health::as_str);
            let s = style::status(health);
            println!(
                "  {}#{:<3} 127.0.0.1:{:<6} {:<10} {}{health}{}",
                i.group,
                i.index,
                i.port,
                i.artifact.as_ref().and_then(style::artifact).unwrap_or_else(|| "-".into()),
                s.render(),
                s.render_reset()
            );
        }
    }
    if !fronts.is_empty() {
        println!();
        println!("  Front doors (traffic-shifting groups)");
        for f in &fronts {
            let n = f
                .fleet_size
                .unwrap_or_else(|| instances.iter().filter(|i| i.group == f.group).count() / 2);
            let first = f.live_fleet * n;
            println!(
                "  {:<12} 127.0.0.1:{:<6} traffic on #{first}–#{}",
                f.group,
                f.port,
                first + n.saturating_sub(1)
            );
        }
    }
    if !alarm_history.is_empty() {
        println!();
        println!("  Alarm history during the execution");
        for t in &alarm_history {
            let s = style::status(&t.new_state);
            println!(
                "  {} {} {} → {}{}{} · {}",
                style::when(&t.timestamp),
                t.name,
                t.old_state,
                s.render(),
                t.new_state,
                s.render_reset(),
                t.reason
            );
        }
    }
    for a in &alarms {
        let s = style::status(&a.state);
        println!("  alarm {} {}{}{} · {}", a.name, s.render(), a.state, s.render_reset(), a.reason);
    }
    Ok(0)
}

/// `--stack`: what Step Functions says of the execution, drawn as a local one is. The rest of the
/// local view (stage locks, instances, front doors, alarms) belongs to this machine's state.
async fn on_stack(execution: Option<&str>, pipeline: &Path, name: &crate::stack::Remote, json_out: bool) -> anyhow::Result<u8> {
    let (pipeline, execution) = crate::locate::pipeline_and_execution(pipeline, execution);
    let ops = crate::locate::operations(pipeline, None, Some(name)).await?;
    let detail = ops.execution(execution).await?;
    let model = baton_core::load_pipeline(&crate::locate::pipeline_file(pipeline)?)?;
    let mut deployments = Vec::new();
    for group in model.groups.keys() {
        deployments.extend(ops.deployment_logs(&detail.execution.id, group).await?);
    }
    if json_out {
        let mut doc = serde_json::to_value(&detail)?;
        doc["deployments"] = serde_json::to_value(&deployments)?;
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    header(&detail.execution);
    state_rows(&detail.states);
    if !deployments.is_empty() {
        println!();
        println!("  Deployments");
        for d in &deployments {
            let s = style::status(&d.status);
            println!(
                "  {:<13} {:<10} {:<10} {}{:<10}{}{} {}",
                d.id,
                d.group,
                d.revision.as_deref().unwrap_or("-"),
                s.render(),
                d.status,
                s.render_reset(),
                if d.rollback { " (rollback)" } else { "" },
                d.reason.as_deref().unwrap_or_default()
            );
            for r in &d.analysis {
                println!("    {}", analysis_line(r));
            }
        }
    }
    Ok(0)
}

/// The execution's id, status, pipeline, commit, times and error.
fn header(exec: &ExecutionSummary) {
    let s = style::status(exec.status.as_str());
    println!(
        "Execution {} {}{}{} · pipeline {} · commit {}",
        exec.id,
        s.render(),
        exec.status,
        s.render_reset(),
        exec.pipeline,
        exec.commit_id.as_deref().unwrap_or("-")
    );
    println!(
        "  started {}{}",
        style::when(&exec.started_at),
        exec.ended_at
            .as_deref()
            .map(|e| format!(", ended {}", style::when(e)))
            .unwrap_or_default()
    );
    if let (Some(e), Some(c)) = (&exec.error, &exec.cause) {
        println!("  {}{e}{}: {}", style::FAIL.render(), style::FAIL.render_reset(), readable_cause(c));
    }
}

/// One row per task and Fail state: status, duration, result or error, attempts.
fn state_rows(states: &[StateStatus]) {
    println!();
    println!("  {:<32} {:<10} {:>9}  RESULT", "STATE", "STATUS", "DURATION");
    for st in states.iter().filter(|s| matches!(s.kind.as_str(), "Task" | "Fail")) {
        let s = style::status(&st.status);
        let detail = match (&st.error, st.status.as_str()) {
            (Some(e), "FAILED") => format!("{e}: {}", readable_cause(st.cause.as_deref().unwrap_or_default())),
            _ => style::result_summary(st.result.as_ref()),
        };
        let retries = if st.attempts > 1 {
            format!(" ({} attempts)", st.attempts)
        } else {
            String::new()
        };
        let name = match st.retry {
            0 => st.name.clone(),
            n => format!("{} · retry {n}", st.name),
        };
        println!(
            "  {:<32} {}{:<10}{} {:>9}  {detail}{retries}",
            name,
            s.render(),
            st.status,
            s.render_reset(),
            style::duration(st.duration_ms)
        );
    }
}

/// One interval of a canary analysis: its score, its decision and each metric's verdict.
fn analysis_line(r: &IntervalResult) -> String {
    let s = style::decision(r.decision);
    let metrics: Vec<String> = r
        .metrics
        .iter()
        .map(|m| {
            let effect = m.effect.map_or_else(String::new, |e| format!(" {}", style::effect(e)));
            let p = m.p_value.map_or_else(String::new, |p| format!(" p={p:.3}"));
            format!("{} {}{effect}{p}", m.name, m.classification.as_str())
        })
        .collect();
    format!(
        "analysis interval {} · score {} · {}{}{} · {}",
        r.interval,
        r.score.map_or_else(|| "-".to_string(), |s| format!("{s:.0}")),
        s.render(),
        r.decision.as_str(),
        s.render_reset(),
        metrics.join(", ")
    )
}
