//! `baton cost`: what one execution would cost to orchestrate on AWS, from its history, beside
//! CodePipeline V2's price for the same actions.
//!
//! The execution's states say what ran; the AWS adapters' request patterns turn that into billed
//! units. Those patterns, per step (see `baton_aws`'s `s3`, `codebuild`, `codedeploy` and
//! `dynamodb`): storing an artifact is a HEAD, a PUT of the bundle, a LIST and a PUT of the
//! manifest; a handler that reads an artifact GETs its manifest, and the service that installs or
//! builds it GETs the bundle; a parked task is a DynamoDB put and a delete; a gate writes its
//! lane on arrival and on leaving.

use std::collections::HashMap;
use std::path::Path;

use baton_core::cost::{self, ActionRun, Invocation, Usage};
use baton_core::execution_states::StateStatus;
use baton_core::model::{ActionKind, Pipeline};
use baton_core::operations::ExecutionDetail;

use crate::out::println;

/// What a Task state invokes: the function, and whether a callback answers it.
fn function_of(state: &str, actions: &HashMap<String, &ActionKind>) -> (&'static str, bool) {
    if state == baton_core::synth::SOURCE_STATE {
        return ("source", false);
    }
    if state == baton_core::synth::ROLLBACK_STATE {
        return ("rollback", true);
    }
    if state.starts_with("Enter ") {
        return ("gate", false);
    }
    match actions.get(state) {
        Some(ActionKind::Build { .. }) => ("build", true),
        Some(ActionKind::Deploy { .. }) => ("deploy", true),
        Some(ActionKind::Bake { .. }) => ("bake", true),
        Some(ActionKind::Approval { .. }) => ("approval", true),
        None => ("unknown", false),
    }
}

pub(crate) fn usage(pipeline: &Pipeline, states: &[StateStatus], transitions: u64, pushed: bool, invocation_ms: u64) -> Usage {
    let actions: HashMap<String, &ActionKind> = pipeline
        .actions()
        .map(|(s, a)| (baton_core::model::state_name(&s.name, &a.name), &a.kind))
        .collect();
    let mut u = Usage {
        transitions,
        ..Usage::default()
    };
    let invoke = |u: &mut Usage, function: &str, times: u64| {
        for _ in 0..times {
            u.invocations.push(Invocation {
                function: function.to_string(),
                billed_ms: invocation_ms,
            });
        }
    };
    // The push that started it, and the end that frees its stage locks.
    invoke(&mut u, "trigger", u64::from(pushed));
    invoke(&mut u, "gate", 1);
    for st in states.iter().filter(|s| s.kind == "Task") {
        let attempts = u64::from(st.attempts.max(1));
        let (function, callback) = function_of(&st.name, &actions);
        invoke(&mut u, function, attempts);
        // Retries are transitions too.
        u.transitions += attempts - 1;
        if callback {
            invoke(&mut u, "events", attempts);
            u.dynamodb_writes += 2 * attempts;
        }
        let store = |u: &mut Usage, artifacts: u64| {
            u.s3_writes += 3 * artifacts;
            u.s3_reads += artifacts;
        };
        match (function, actions.get(&st.name)) {
            ("source", _) => store(&mut u, 1),
            ("gate", _) => u.dynamodb_writes += 2,
            ("build", Some(ActionKind::Build { outputs, .. })) => {
                let outputs = outputs.len() as u64;
                u.s3_reads += 2 + outputs; // manifest, bundle; each staged zip
                u.s3_writes += outputs;
                store(&mut u, outputs);
            }
            ("deploy" | "rollback", _) => {
                let group = match actions.get(&st.name) {
                    Some(ActionKind::Deploy { group, .. }) => pipeline.groups.get(group),
                    _ => None,
                };
                u.s3_reads += 2 + group.map_or(1, |g| u64::from(g.instances));
            }
            ("bake", _) => {
                u.timers += 1;
                u.s3_reads += 1;
                u.s3_writes += 1;
            }
            _ => {}
        }
        let charged = !matches!(actions.get(&st.name), Some(ActionKind::Approval { .. }));
        if function != "gate" && function != "rollback" {
            u.actions.push(ActionRun {
                name: st.name.clone(),
                duration_ms: st.duration_ms.unwrap_or(0).max(0) as u64,
                charged,
            });
        }
    }
    u
}

/// Where the execution is: this machine's state directory, or a deployed stack.
pub(crate) struct Place<'a> {
    pub state_dir: Option<&'a Path>,
    pub stack: Option<&'a crate::stack::Remote>,
}

pub(crate) async fn run(execution: Option<&str>, pipeline: &Path, place: Place<'_>, invocation_ms: u64, json: bool) -> anyhow::Result<u8> {
    let (pipeline, execution) = crate::locate::pipeline_and_execution(pipeline, execution);
    let model = baton_core::load_pipeline(&crate::locate::pipeline_file(pipeline)?)?;
    let ops = crate::locate::operations(pipeline, place.state_dir, place.stack).await?;
    let ExecutionDetail {
        execution: exec,
        states,
        transitions,
    } = ops.execution(execution).await?;
    let usage = usage(&model, &states, transitions, exec.trigger != "manual", invocation_ms);
    let report = cost::estimate(&usage);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "execution": exec.id, "usage": usage, "report": report }))?
        );
        return Ok(0);
    }
    let price = |p: &cost::Price| format!("${} / {} {}", p.usd, p.per, p.unit);
    println!(
        "Execution {} of {} on AWS (us-east-1 list prices, no free tier)",
        exec.id, exec.pipeline
    );
    println!();
    println!("  Baton: Step Functions, Lambda (arm64, {invocation_ms} ms billed per invocation), S3, DynamoDB, Scheduler");
    println!("    {:<44} {:>9}  {:<52} {:>11}", "ITEM", "QUANTITY", "PRICE", "USD");
    for l in &report.baton {
        println!("    {:<44} {:>9.3}  {:<52} {:>11.7}", l.item, l.quantity, price(&l.price), l.usd);
    }
    println!("    {:<44} {:>9}  {:<52} {:>11.7}", "total", "", "", report.baton_usd);
    println!();
    println!(
        "  CodePipeline V2 for the same actions: {}, each action rounded up",
        price(&cost::CODEPIPELINE_V2)
    );
    println!("    {:<44} {:>9}  {:<52} {:>11}", "ACTION", "MINUTES", "RAN", "USD");
    for (l, a) in report.codepipeline.iter().zip(&usage.actions) {
        let ran = format!("{} ms{}", a.duration_ms, if a.charged { "" } else { " (approvals are free)" });
        println!("    {:<44} {:>9}  {:<52} {:>11.7}", a.name, l.quantity, ran, l.usd);
    }
    println!("    {:<44} {:>9}  {:<52} {:>11.7}", "total", "", "", report.codepipeline_usd);
    println!();
    println!("  Left out, the same either way: CodeBuild build minutes, the instances deployed to, log and metric storage.");
    Ok(0)
}
