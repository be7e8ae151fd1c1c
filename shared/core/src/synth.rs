//! `baton synth`: one pipeline, one ASL state machine.
//!
//! Shape: `Source` (behind its gate) → per stage, a gate `Enter <Stage>` (unless the pipeline runs in PARALLEL
//! mode; see [`crate::lanes`]), then one Task per action (a `Parallel` where actions share a run
//! order) → `Succeeded`. Every action catches into `Failed`, or into `Rollback` once a deploy
//! may have changed a group; a gate that is overtaken ends in `Superseded`. Tasks that wait use `lambda:invoke.waitForTaskToken`; Lambda ARNs are
//! `${<Name>FunctionArn}` placeholders that SAM's `DefinitionSubstitutions` (or the local
//! runner) fill in.
//!
//! The execution document: `{pipeline, execution_id, revision, variables, source, results}`,
//! with each action's result at `$.results.<Stage>.<Action>`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::model::{Action, ActionKind, ExecutionMode, Pipeline, state_name};
use crate::stages::error_types;
use crate::variables::PipelineVariables;

/// The Lambda functions the state machine calls, by placeholder stem.
pub const FUNCTIONS: [&str; 7] = ["Source", "Gate", "Build", "Deploy", "Bake", "Approval", "Rollback"];

pub const SOURCE_STATE: &str = "Source";
pub const ROLLBACK_STATE: &str = "Rollback";
pub const FAILED_STATE: &str = "Failed";
pub const SUCCEEDED_STATE: &str = "Succeeded";
pub const SUPERSEDED_STATE: &str = "Superseded";

/// The gate state in front of a stage.
pub fn gate_state(stage: &str) -> String {
    format!("Enter {stage}")
}

/// The stage a gate state stands in front of; `None` for any other state (action states are
/// `Stage:Action`, so they never look like a gate).
pub fn gate_stage(state: &str) -> Option<&str> {
    state.strip_prefix("Enter ").filter(|_| !state.contains(':'))
}

pub fn placeholder(function: &str) -> String {
    format!("${{{function}FunctionArn}}")
}

/// Default time limits: CodeBuild's default build timeout, and CodeDeploy's hour per hook.
const DEFAULT_BUILD_TIMEOUT: u64 = 3600;
const DEFAULT_DEPLOY_TIMEOUT: u64 = 3600;
/// Slack on top of a bake's window for the timer and the final alarm check.
const BAKE_SLACK: u64 = 300;
/// CodePipeline's limit for a manual approval: seven days.
const DEFAULT_APPROVAL_TIMEOUT: u64 = 7 * 86_400;

/// Renders the state machine as pretty JSON with a trailing newline (the committed form).
pub fn to_json(pipeline: &Pipeline) -> String {
    let mut text = serde_json::to_string_pretty(&synth(pipeline)).unwrap_or_default();
    text.push('\n');
    text
}

pub fn synth(p: &Pipeline) -> Value {
    let mut states = Map::new();
    let mut producers: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut namespaces: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut last_deploy: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let rollback_groups = p.rollback_groups();
    let mut deployed_yet = false;

    // Each run-order group of each stage becomes one step; a step's states are named first so
    // the previous step can point at it.
    struct Step<'a> {
        stage: &'a str,
        order: u32,
        actions: Vec<&'a Action>,
    }
    let mut steps: Vec<Step> = Vec::new();
    for stage in &p.stages {
        for a in &stage.actions {
            match steps.last_mut() {
                Some(s) if s.stage == stage.name && s.order == a.run_order => s.actions.push(a),
                _ => steps.push(Step {
                    stage: &stage.name,
                    order: a.run_order,
                    actions: vec![a],
                }),
            }
        }
    }
    let step_name = |s: &Step| match s.actions.as_slice() {
        [one] => state_name(s.stage, &one.name),
        _ => format!("{} (run order {})", s.stage, s.order),
    };
    let gated = p.execution_mode != ExecutionMode::Parallel;
    let opens_stage = |i: usize| i == 0 || steps[i - 1].stage != steps[i].stage;
    // Where the flow goes to reach step `i`: its stage's gate when it is the stage's first step.
    let entry = |i: usize| match steps.get(i) {
        None => SUCCEEDED_STATE.to_string(),
        Some(s) if gated && opens_stage(i) => gate_state(s.stage),
        Some(s) => step_name(s),
    };

    let first = entry(0);
    let stage_names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
    let mut source = json!({
        "Type": "Task",
        "Comment": "Snapshot the source revision and open the execution document",
        "Resource": placeholder("Source"),
        "Parameters": {
            "pipeline": p.name,
            "stages": stage_names,
            "execution_id.$": "$$.Execution.Name",
            "revision.$": "$.revision",
            "variables.$": "$.variables",
        },
        "ResultPath": "$",
        "Retry": [transient_retry()],
        "Next": first,
    });
    source["Catch"] = json!([catch(FAILED_STATE)]);
    states.insert(SOURCE_STATE.into(), source);
    // The source is a stage too: queueing in front of it fixes each execution's place in line
    // the moment it starts, as CodePipeline's source stage does.
    if gated {
        states.insert(gate_state(SOURCE_STATE), gate_task(p, SOURCE_STATE, SOURCE_STATE, FAILED_STATE));
    }

    let mut done_in_stage: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        let next = entry(i + 1);
        let catch_target = |deployed: bool| {
            if deployed && !rollback_groups.is_empty() {
                ROLLBACK_STATE
            } else {
                FAILED_STATE
            }
        };
        if gated && opens_stage(i) {
            states.insert(
                gate_state(step.stage),
                gate_task(p, step.stage, &step_name(step), catch_target(deployed_yet)),
            );
        }
        if step.actions.iter().any(|a| matches!(a.kind, ActionKind::Deploy { .. })) {
            deployed_yet = true;
        }
        let catch_target = catch_target(deployed_yet);
        // A superseded approval ends the execution as its gates do: SUPERSEDED, no rollback.
        let superseded_approval =
            p.execution_mode == ExecutionMode::Superseded && step.actions.iter().any(|a| matches!(a.kind, ActionKind::Approval { .. }));
        let catches = if superseded_approval {
            json!([superseded_catch(), catch(catch_target)])
        } else {
            json!([catch(catch_target)])
        };
        let tasks: Vec<(String, Value)> = step
            .actions
            .iter()
            .map(|a| {
                (
                    state_name(step.stage, &a.name),
                    action_task(
                        p,
                        step.stage,
                        a,
                        &Earlier {
                            producers: &producers,
                            last_deploy: &last_deploy,
                            namespaces: &namespaces,
                        },
                    ),
                )
            })
            .collect();
        match tasks.as_slice() {
            [(name, task)] => {
                let mut task = task.clone();
                task["Next"] = json!(next);
                task["Catch"] = catches;
                states.insert(name.clone(), task);
            }
            _ => {
                let stage_done = done_in_stage.get(step.stage).cloned().unwrap_or_default();
                let mut selector = Map::new();
                for prior in &stage_done {
                    selector.insert(format!("{prior}.$"), json!(format!("$[0].results.{}.{prior}", step.stage)));
                }
                let branches: Vec<Value> = tasks
                    .iter()
                    .enumerate()
                    .map(|(b, (name, task))| {
                        let action = &step.actions[b].name;
                        selector.insert(format!("{action}.$"), json!(format!("$[{b}].results.{}.{action}", step.stage)));
                        let mut task = task.clone();
                        task["End"] = json!(true);
                        json!({ "StartAt": name, "States": { name.clone(): task } })
                    })
                    .collect();
                states.insert(
                    step_name(step),
                    json!({
                        "Type": "Parallel",
                        "Comment": format!("Actions of stage {} with run order {}, in parallel", step.stage, step.order),
                        "Branches": branches,
                        "ResultSelector": selector,
                        "ResultPath": format!("$.results.{}", step.stage),
                        "Next": next,
                        "Catch": catches,
                    }),
                );
            }
        }
        for a in &step.actions {
            done_in_stage.entry(step.stage).or_default().push(&a.name);
            match &a.kind {
                ActionKind::Build { outputs, namespace, .. } => {
                    for o in outputs {
                        producers.insert(o, (step.stage, &a.name));
                    }
                    if let Some(ns) = namespace {
                        namespaces.insert(ns, (step.stage, &a.name));
                    }
                }
                ActionKind::Deploy { group, .. } => {
                    last_deploy.insert(group, (step.stage, &a.name));
                }
                ActionKind::Bake { .. } | ActionKind::Approval { .. } => {}
            }
        }
    }

    states.insert(SUCCEEDED_STATE.into(), json!({ "Type": "Succeed" }));
    if gated && !steps.is_empty() {
        states.insert(
            SUPERSEDED_STATE.into(),
            json!({ "Type": "Fail", "Comment": "A newer execution overtook this one in front of a stage", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause" }),
        );
    }
    if !rollback_groups.is_empty() {
        let branches: Vec<Value> = rollback_groups
            .iter()
            .map(|g| {
                let name = state_name(ROLLBACK_STATE, &g.name);
                let task = callback_task(
                    p,
                    "Rollback",
                    &name,
                    with_variables(
                        p,
                        json!({
                            "group": g.name,
                            "on_failure": g.rollback_on_failure,
                            "on_alarm": g.rollback_on_alarm,
                            "error.$": "$.error.Error",
                        }),
                    ),
                    DEFAULT_DEPLOY_TIMEOUT,
                );
                let mut task = task;
                task["ResultPath"] = Value::Null;
                task["End"] = json!(true);
                json!({ "StartAt": name, "States": { name: task } })
            })
            .collect();
        states.insert(
            ROLLBACK_STATE.into(),
            json!({
                "Type": "Parallel",
                "Comment": "Return every group whose policy covers the failure to its last-good revision",
                "Branches": branches,
                "ResultPath": "$.rollback",
                "Next": FAILED_STATE,
                "Catch": [{ "ErrorEquals": ["States.ALL"], "ResultPath": "$.rollback_error", "Next": FAILED_STATE }],
            }),
        );
    }
    states.insert(
        FAILED_STATE.into(),
        json!({ "Type": "Fail", "Comment": "Fail with the error that stopped the pipeline", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause" }),
    );

    json!({
        "Comment": format!("Baton pipeline `{}`, synthesized from pipeline.yml by `baton synth`. Do not edit by hand.", p.name),
        "StartAt": if gated { gate_state(SOURCE_STATE) } else { SOURCE_STATE.to_string() },
        "States": states,
    })
}

/// What earlier steps produced, by the `(stage, action)` whose result holds it.
struct Earlier<'a> {
    producers: &'a BTreeMap<&'a str, (&'a str, &'a str)>,
    last_deploy: &'a BTreeMap<&'a str, (&'a str, &'a str)>,
    namespaces: &'a BTreeMap<&'a str, (&'a str, &'a str)>,
}

fn action_task(p: &Pipeline, stage: &str, a: &Action, earlier: &Earlier<'_>) -> Value {
    let name = state_name(stage, &a.name);
    let mut task = match &a.kind {
        ActionKind::Build {
            buildspec,
            outputs,
            env,
            batch,
            ..
        } => {
            // The action's own env; the pipeline's variables go separately, as defaults the
            // execution's variables (`baton run --var`, a start's input) override.
            // The output variables this build's env refers to, read from the producers' results.
            let used: Map<String, Value> = env
                .values()
                .flat_map(|v| crate::variables::references(v))
                .filter_map(|(ns, _)| {
                    let (s, a) = earlier.namespaces.get(ns)?;
                    Some((format!("{ns}.$"), json!(format!("$.results.{s}.{a}.variables"))))
                })
                .collect();
            let mut fields = json!({
                "buildspec": buildspec,
                "outputs": outputs,
                "env": env,
                "timeout_secs": a.timeout_secs.unwrap_or(DEFAULT_BUILD_TIMEOUT),
                "source.$": "$.source.artifact",
                "commit_id.$": "$.source.commit_id",
            });
            if let (Some(map), Value::Object(vars)) = (fields.as_object_mut(), PipelineVariables::payload_fields(&p.variables)) {
                map.extend(vars);
            }
            if !used.is_empty() {
                fields["namespaces"] = Value::Object(used);
            }
            if *batch {
                fields["batch"] = Value::Bool(true);
            }
            callback_task(p, "Build", &name, fields, a.timeout_secs.unwrap_or(DEFAULT_BUILD_TIMEOUT))
        }
        ActionKind::Deploy { input, group } => {
            // The source revision itself may be deployed (a static site, a scripts-only bundle).
            let artifact = match earlier.producers.get(input.as_str()) {
                Some((ps, pa)) => format!("$.results.{ps}.{pa}.artifacts.{input}"),
                None => "$.source.artifact".to_string(),
            };
            let mut fields = json!({
                "group": group,
                "artifact.$": artifact,
                "mark_good": !p.bakes(group),
            });
            // A Lambda group's shift is CodeDeploy's: its analysis runs on timers the deploy
            // action sets (an instance group's is judged by the deployer watching its front door).
            if let Some(g) = p.groups.get(group).filter(|g| g.lambda.is_some())
                && let Some(spec) = &g.analysis
            {
                fields["canary"] = json!(spec);
            }
            callback_task(
                p,
                "Deploy",
                &name,
                with_variables(p, fields),
                a.timeout_secs.unwrap_or(DEFAULT_DEPLOY_TIMEOUT),
            )
        }
        ActionKind::Bake { group, duration_secs } => {
            let (ds, da) = earlier.last_deploy.get(group.as_str()).copied().unwrap_or_default();
            let alarms = p.groups.get(group).map(|g| g.alarms.clone()).unwrap_or_default();
            callback_task(
                p,
                "Bake",
                &name,
                json!({
                    "group": group,
                    "alarms": alarms,
                    "duration_secs": duration_secs,
                    "artifact.$": format!("$.results.{ds}.{da}.artifact"),
                }),
                a.timeout_secs.unwrap_or(duration_secs.saturating_add(BAKE_SLACK)),
            )
        }
        ActionKind::Approval { message } => {
            let mut fields = json!({ "message": message });
            if p.execution_mode == ExecutionMode::Superseded {
                // Who is newer, should another execution arrive while this one waits.
                fields["stage"] = json!(stage);
                fields["mode"] = json!(p.execution_mode);
                fields["started.$"] = json!("$$.Execution.StartTime");
            }
            callback_task(p, "Approval", &name, fields, a.timeout_secs.unwrap_or(DEFAULT_APPROVAL_TIMEOUT))
        }
    };
    task["ResultPath"] = json!(format!("$.results.{stage}.{}", a.name));
    task
}

/// The gate in front of a stage: waits until the stage's lock is this execution's. Being
/// overtaken is not a failure: it ends the execution in `Superseded`, with no rollback.
fn gate_task(p: &Pipeline, stage: &str, next: &str, on_error: &str) -> Value {
    json!({
        "Type": "Task",
        "Comment": format!("Wait until stage {stage} is free ({} mode)", p.execution_mode.as_str()),
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {
            "FunctionName": placeholder("Gate"),
            "Payload": {
                "task_token.$": "$$.Task.Token",
                "pipeline": p.name,
                "execution_id.$": "$$.Execution.Name",
                "stage": stage,
                "mode": p.execution_mode,
                "started.$": "$$.Execution.StartTime",
            },
        },
        "ResultPath": null,
        "Retry": [transient_retry()],
        "Next": next,
        "Catch": [superseded_catch(), catch(on_error)],
    })
}

/// Being overtaken is not a failure: it ends the execution in `Superseded`, with no rollback.
fn superseded_catch() -> Value {
    json!({ "ErrorEquals": [error_types::SUPERSEDED], "ResultPath": "$.error", "Next": SUPERSEDED_STATE })
}

/// A Task that invokes a stage Lambda with a task token and waits for the callback.
/// A deployment's fields with the pipeline's variables, for its hooks, when it declares any.
fn with_variables(p: &Pipeline, mut fields: Value) -> Value {
    if let (false, Some(map), Value::Object(vars)) = (
        p.variables.is_empty(),
        fields.as_object_mut(),
        PipelineVariables::payload_fields(&p.variables),
    ) {
        map.extend(vars);
    }
    fields
}

fn callback_task(p: &Pipeline, function: &str, state: &str, fields: Value, timeout_secs: u64) -> Value {
    let mut payload = json!({
        "task_token.$": "$$.Task.Token",
        "pipeline": p.name,
        "execution_id.$": "$$.Execution.Name",
        "action": state,
        "attempt.$": "$$.State.RetryCount",
        "redrive.$": "$$.Execution.RedriveCount",
    });
    if let (Some(payload), Value::Object(fields)) = (payload.as_object_mut(), fields) {
        payload.extend(fields);
    }
    json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": { "FunctionName": placeholder(function), "Payload": payload },
        "TimeoutSeconds": timeout_secs,
        "Retry": [transient_retry()],
    })
}

/// Lambda's own transient failures and our adapters' `Transient`, retried with jittered backoff.
fn transient_retry() -> Value {
    json!({
        "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Transient"],
        "IntervalSeconds": 1,
        "MaxAttempts": 3,
        "BackoffRate": 2,
        "JitterStrategy": "FULL",
    })
}

fn catch(next: &str) -> Value {
    json!({ "ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": next })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `batch: true` reaches the build function's input, which starts a batch build with it.
    #[test]
    fn a_batch_action_asks_its_build_for_a_batch() {
        let text = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Ci, type: build, batch: true }\n      - { name: One, type: build }\n";
        let p = crate::spec::validate::parse_pipeline(std::path::Path::new("pipeline.yml"), text).expect("valid");
        let machine = synth(&p).to_string();
        assert_eq!(machine.matches("\"batch\":true").count(), 1, "{machine}");
    }
}
