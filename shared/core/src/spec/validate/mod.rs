//! Turns a parsed `pipeline.yml` into a [`Pipeline`], reporting every semantic problem with its
//! position: unknown references, misplaced fields, impossible alarm settings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_saphyr::Spanned;

use crate::model::{Action, ActionKind, Alarm, CompositeAlarm, Group, Pipeline, SOURCE_ARTIFACT, Stage, Triggers};
use crate::spec::error::{Pos, Reporter, SpecError, parse_yaml};
use crate::spec::pipeline::{ActionSpec, ActionType, DeploymentConfig, GlobsSpec, HealthyHostsType, PipelineSpec, RollbackTrigger};
use crate::trigger::{self, GlobFilter, PushFilter, Schedule, ScheduledRun};

mod alarms;
mod analysis;
mod source_files;
mod variables;
mod warnings;

pub use analysis::FRONT_DOOR_METRICS;
pub use source_files::{SourceFile, SourceFileKind, check_source_files, source_dir};
pub use warnings::warnings;

use alarms::validate_alarms;

fn pos<T>(s: &Spanned<T>) -> Pos {
    s.referenced.into()
}

/// Names become JSONPath segments and state names (`Stage:Action`), so they keep to the part of
/// CodePipeline's alphabet that needs no quoting: letters, digits, `_` and `-`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 100 && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
}

const NAME_RULE: &str = "1-100 characters of A-Z, a-z, 0-9, '_' or '-'";

/// Parses and validates `pipeline.yml` text.
pub fn parse_pipeline(file: &Path, text: &str) -> Result<Pipeline, SpecError> {
    let spec: PipelineSpec = parse_yaml(file, text)?;
    let mut r = Reporter::new(file, text);
    let pipeline = validate(&spec, &mut r);
    r.finish()?;
    Ok(pipeline)
}

fn validate(spec: &PipelineSpec, r: &mut Reporter<'_>) -> Pipeline {
    if !valid_name(&spec.name.value) {
        r.error(pos(&spec.name), format!("the pipeline name must be {NAME_RULE}"));
    }
    if spec.stages.is_empty() {
        r.error(pos(&spec.name), "a pipeline needs at least one stage under `stages`");
    }

    let (alarms, composite_alarms) = validate_alarms(spec, r);
    let groups = validate_groups(spec, &alarms, &composite_alarms, r);

    // Artifacts become available in execution order: stage by stage, run order by run order.
    let mut available: BTreeSet<String> = BTreeSet::from([SOURCE_ARTIFACT.to_string()]);
    let mut produced_at: BTreeMap<String, Pos> = BTreeMap::new();
    let mut deployed_groups: BTreeSet<String> = BTreeSet::new();
    // Output-variable namespaces, available in execution order like artifacts.
    let mut namespaces: BTreeSet<String> = BTreeSet::new();
    let mut namespace_at: BTreeMap<String, Pos> = BTreeMap::new();
    let mut stage_names = BTreeSet::new();
    let mut stages = Vec::new();
    for stage in &spec.stages {
        if !valid_name(&stage.name.value) {
            r.error(pos(&stage.name), format!("a stage name must be {NAME_RULE}"));
        }
        if !stage_names.insert(stage.name.value.clone()) {
            r.error(pos(&stage.name), format!("there is already a stage named `{}`", stage.name.value));
        }
        if stage.actions.is_empty() {
            r.error(pos(&stage.name), format!("stage `{}` has no actions", stage.name.value));
        }
        let mut specs: Vec<&ActionSpec> = stage.actions.iter().collect();
        specs.sort_by_key(|a| a.run_order()); // stable: declaration order within a run order
        let mut action_names = BTreeSet::new();
        let mut actions = Vec::new();
        let mut i = 0;
        while i < specs.len() {
            let order = specs[i].run_order();
            let group_end = specs[i..]
                .iter()
                .position(|a| a.run_order() != order)
                .map_or(specs.len(), |p| p + i);
            let mut outputs_this_order = Vec::new();
            let mut namespaces_this_order = Vec::new();
            for a in &specs[i..group_end] {
                if !valid_name(&a.name.value) {
                    r.error(pos(&a.name), format!("an action name must be {NAME_RULE}"));
                }
                if !action_names.insert(a.name.value.clone()) {
                    r.error(
                        pos(&a.name),
                        format!("stage `{}` already has an action named `{}`", stage.name.value, a.name.value),
                    );
                }
                if let Some(ro) = &a.run_order
                    && !(1..=999).contains(&ro.value)
                {
                    r.error(pos(ro), "run_order must be between 1 and 999");
                }
                let kind = validate_action(a, &available, &groups, &mut deployed_groups, r);
                variables::check_env(&a.env, pos(&a.name), r);
                for value in a.env.values() {
                    for (ns, name) in crate::variables::references(value) {
                        if !namespaces.contains(ns) {
                            let known: Vec<&str> = namespaces.iter().map(String::as_str).collect();
                            r.error(
                                pos(&a.name),
                                format!("`#{{{ns}.{name}}}` in env: no earlier action has namespace `{ns}` (a namespace is available to later run orders and stages); available here: {}", list(&known)),
                            );
                        }
                    }
                }
                if let Some(ns) = &a.namespace {
                    if !valid_name(&ns.value) {
                        r.error(pos(ns), format!("a namespace must be {NAME_RULE}"));
                    } else if let Some(first) = namespace_at.get(&ns.value) {
                        r.error(pos(ns), format!("namespace `{}` is already used at line {}", ns.value, first.line));
                    } else {
                        namespace_at.insert(ns.value.clone(), pos(ns));
                        namespaces_this_order.push(ns.value.clone());
                    }
                }
                if let ActionKind::Build { outputs, .. } = &kind {
                    for (name, o) in outputs.iter().zip(&a.outputs) {
                        if let Some(first) = produced_at.get(name) {
                            r.error(pos(o), format!("artifact `{name}` is already produced at line {}", first.line));
                        } else {
                            produced_at.insert(name.clone(), pos(o));
                            outputs_this_order.push(name.clone());
                        }
                    }
                }
                actions.push(Action {
                    name: a.name.value.clone(),
                    run_order: order,
                    timeout_secs: a.timeout.as_ref().map(|t| t.value.secs()),
                    kind,
                });
            }
            // Outputs become inputs only for later run orders, never for siblings running in parallel.
            available.extend(outputs_this_order);
            namespaces.extend(namespaces_this_order);
            i = group_end;
        }
        stages.push(Stage {
            name: stage.name.value.clone(),
            actions,
        });
    }

    Pipeline {
        name: spec.name.value.clone(),
        source: spec.source.clone(),
        triggers: validate_triggers(spec, r),
        execution_mode: spec.execution_mode,
        variables: variables::validate(&spec.variables, r),
        stages,
        groups,
        alarms,
        composite_alarms,
    }
}

fn validate_triggers(spec: &PipelineSpec, r: &mut Reporter<'_>) -> Triggers {
    let Some(list) = &spec.triggers else {
        return Triggers::default();
    };
    let mut triggers = Triggers {
        declared: true,
        ..Triggers::default()
    };
    for t in list {
        match (&t.value.push, &t.value.schedule) {
            (Some(_), Some(s)) => r.error(pos(s), "a trigger is either `push` or `schedule`; write them as two triggers"),
            (None, None) => r.error(pos(t), "a trigger needs `push` (with optional branches, tags, paths) or `schedule`"),
            (Some(p), None) => {
                if let Some(b) = &t.value.branch {
                    r.error(
                        pos(b),
                        "`branch` belongs to a `schedule` trigger; a push trigger filters with `branches`",
                    );
                }
                let mut globs = |g: &Option<GlobsSpec>| -> Option<GlobFilter> {
                    let g = g.as_ref()?;
                    for pattern in g.include.iter().chain(&g.exclude) {
                        if let Err(e) = trigger::push::glob(&pattern.value) {
                            r.error(pos(pattern), format!("`{}` is not a glob: {}", pattern.value, e.kind()));
                        }
                    }
                    let strings = |v: &[Spanned<String>]| v.iter().map(|s| s.value.clone()).collect();
                    GlobFilter::new(strings(&g.include), strings(&g.exclude)).ok()
                };
                triggers.push.0.push(PushFilter {
                    branches: globs(&p.branches),
                    tags: globs(&p.tags),
                    paths: globs(&p.paths),
                });
            }
            (None, Some(s)) => match Schedule::parse(&s.value) {
                Ok(schedule) => triggers.schedules.push(ScheduledRun {
                    expression: s.value.clone(),
                    schedule,
                    branch: t.value.branch.as_ref().map(|b| b.value.clone()),
                }),
                Err(e) => r.error(pos(s), e.to_string()),
            },
        }
    }
    triggers
}

fn validate_action(
    a: &ActionSpec,
    available: &BTreeSet<String>,
    groups: &BTreeMap<String, Group>,
    deployed: &mut BTreeSet<String>,
    r: &mut Reporter<'_>,
) -> ActionKind {
    let kind = a.kind.value;
    let only = |field: &str, types: &str| format!("`{field}` applies to {types} actions only, and this is a {} action", kind.as_str());
    let is_build = matches!(kind, ActionType::Build | ActionType::Test);
    if !is_build {
        if let Some(b) = &a.buildspec {
            r.error(pos(b), only("buildspec", "build and test"));
        }
        if let Some(o) = a.outputs.first() {
            r.error(pos(o), only("outputs", "build and test"));
        }
        if let Some(b) = &a.batch {
            r.error(pos(b), only("batch", "build and test"));
        }
        if !a.env.is_empty() {
            r.error(pos(&a.name), only("env", "build and test"));
        }
        if let Some(ns) = &a.namespace {
            r.error(pos(ns), only("namespace", "build and test"));
        }
    }
    if kind != ActionType::Deploy
        && let Some(i) = &a.input
    {
        r.error(pos(i), only("input", "deploy"));
    }
    if kind != ActionType::Bake
        && let Some(d) = &a.duration
    {
        r.error(pos(d), only("duration", "bake"));
    }
    if kind != ActionType::Approval
        && let Some(m) = &a.message
    {
        r.error(pos(m), only("message", "approval"));
    }
    if is_build && let Some(g) = &a.group {
        r.error(pos(g), only("group", "deploy and bake"));
    }
    let group = |r: &mut Reporter<'_>| -> String {
        match &a.group {
            None => {
                r.error(
                    pos(&a.kind),
                    format!("a {} action needs `group`, one of the deployment_groups", kind.as_str()),
                );
                String::new()
            }
            Some(g) if !groups.contains_key(&g.value) => {
                let known: Vec<&str> = groups.keys().map(String::as_str).collect();
                r.error(
                    pos(g),
                    format!("unknown deployment group `{}`; defined groups: {}", g.value, list(&known)),
                );
                g.value.clone()
            }
            Some(g) => g.value.clone(),
        }
    };
    if let Some(b) = &a.buildspec
        && crate::spec::leaves_its_tree(&b.value)
    {
        r.error(
            pos(b),
            format!(
                "buildspec `{}` is outside the source: give its path inside the source, e.g. buildspec.yml or ci/build.yml",
                b.value
            ),
        );
    }
    match kind {
        ActionType::Build | ActionType::Test => ActionKind::Build {
            buildspec: a
                .buildspec
                .as_ref()
                .map_or_else(|| "buildspec.yml".to_string(), |b| b.value.clone()),
            outputs: a
                .outputs
                .iter()
                .map(|o| {
                    if o.value == SOURCE_ARTIFACT || !valid_name(&o.value) {
                        r.error(
                            pos(o),
                            format!(
                                "`{}` cannot name an artifact: `source` is reserved, and names are {NAME_RULE}",
                                o.value
                            ),
                        );
                    }
                    o.value.clone()
                })
                .collect(),
            env: a.env.clone(),
            test: kind == ActionType::Test,
            namespace: a.namespace.as_ref().map(|n| n.value.clone()),
            batch: a.batch.as_ref().is_some_and(|b| b.value),
        },
        ActionType::Deploy => {
            let group = group(r);
            deployed.insert(group.clone());
            let input = match &a.input {
                None => {
                    r.error(pos(&a.kind), "a deploy action needs `input`, the artifact to deploy");
                    String::new()
                }
                Some(i) if !available.contains(&i.value) => {
                    let known: Vec<&str> = available.iter().map(String::as_str).collect();
                    r.error(
                        pos(i),
                        format!("artifact `{}` is not produced by any earlier action (an action's outputs are available to later run orders and stages); available here: {}", i.value, list(&known)),
                    );
                    i.value.clone()
                }
                Some(i) => i.value.clone(),
            };
            ActionKind::Deploy { input, group }
        }
        ActionType::Bake => {
            let group = group(r);
            if !group.is_empty() && groups.contains_key(&group) && !deployed.contains(&group) {
                r.error(
                    pos(&a.kind),
                    format!("bake watches group `{group}`, but no earlier deploy action deploys to it"),
                );
            }
            let duration_secs = match &a.duration {
                None => {
                    r.error(pos(&a.kind), "a bake action needs `duration`, e.g. `duration: 10m`");
                    0
                }
                Some(d) if d.value.secs() == 0 => {
                    r.error(pos(d), "a bake duration must be at least 1s");
                    0
                }
                Some(d) => d.value.secs(),
            };
            if groups.get(&group).is_some_and(|g| g.alarms.is_empty()) {
                r.error(
                    pos(&a.kind),
                    format!("bake watches the alarms of group `{group}`, which has none; add `alarms` to the group"),
                );
            }
            ActionKind::Bake { group, duration_secs }
        }
        ActionType::Approval => {
            if let Some(g) = &a.group {
                r.error(pos(g), only("group", "deploy and bake"));
            }
            ActionKind::Approval {
                message: a.message.as_ref().map(|m| m.value.clone()),
            }
        }
    }
}

fn validate_groups(
    spec: &PipelineSpec,
    alarms: &BTreeMap<String, Alarm>,
    composites: &BTreeMap<String, CompositeAlarm>,
    r: &mut Reporter<'_>,
) -> BTreeMap<String, Group> {
    let mut groups = BTreeMap::new();
    for (name, spanned) in &spec.deployment_groups {
        let at = pos(spanned);
        let analysis = analysis::analysis(name, spanned, at, r);
        let g = &spanned.value;
        if !valid_name(name) {
            r.error(at, format!("`{name}` cannot name a deployment group"));
        }
        if !(1..=100).contains(&g.instances) {
            r.error(at, format!("group `{name}`: instances must be between 1 and 100"));
        }
        if crate::spec::leaves_its_tree(&g.appspec) {
            r.error(
                at,
                format!(
                    "group `{name}`: appspec `{}` is outside the deployed artifact: give its path inside the revision, e.g. appspec.yml",
                    g.appspec
                ),
            );
        }
        if let DeploymentConfig::MinimumHealthyHosts(m) = g.config {
            let bad = match m.kind {
                HealthyHostsType::FleetPercent => m.value >= 100,
                HealthyHostsType::HostCount => m.value >= g.instances,
            };
            if bad {
                r.error(
                    at,
                    format!(
                        "group `{name}`: minimum_healthy_hosts {} leaves no instance free to deploy to (CodeDeploy rejects it too)",
                        g.config
                    ),
                );
            }
        }
        if let Some(target) = &g.lambda {
            let name_ok = |n: &str| !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !(name_ok(&target.function) || target.function.starts_with("arn:")) {
                r.error(
                    at,
                    format!(
                        "group `{name}`: lambda function `{}` is not a function name or ARN",
                        target.function
                    ),
                );
            }
            if !name_ok(&target.alias) || target.alias.chars().all(|c| c.is_ascii_digit()) {
                r.error(at, format!("group `{name}`: lambda alias `{}` is not an alias name", target.alias));
            }
            if !matches!(g.config, DeploymentConfig::TrafficShift(_) | DeploymentConfig::AllAtOnce) {
                r.error(
                    at,
                    format!(
                        "group `{name}` deploys a Lambda function: its config is AllAtOnce or a canary/linear one, not {}",
                        g.config
                    ),
                );
            }
        }
        if let DeploymentConfig::TrafficShift(t) = g.config {
            if !(1..=99).contains(&t.percentage) {
                r.error(
                    at,
                    format!("group `{name}`: traffic_routing percentage must be between 1 and 99 (100 is AllAtOnce)"),
                );
            }
            if t.interval.secs() == 0 {
                r.error(at, format!("group `{name}`: traffic_routing interval must be at least 1s"));
            }
        }
        for a in &g.alarms {
            if !alarms.contains_key(&a.value) && !composites.contains_key(&a.value) {
                let known: Vec<&str> = alarms.keys().chain(composites.keys()).map(String::as_str).collect();
                r.error(pos(a), format!("unknown alarm `{}`; defined alarms: {}", a.value, list(&known)));
            }
        }
        if g.auto_rollback.contains(&RollbackTrigger::Alarm) && g.alarms.is_empty() {
            r.error(at, format!("group `{name}` rolls back on `alarm` but lists no alarms"));
        }
        groups.insert(
            name.clone(),
            Group {
                name: name.clone(),
                instances: g.instances,
                config: g.config,
                alarms: g.alarms.iter().map(|a| a.value.clone()).collect(),
                rollback_on_failure: g.auto_rollback.contains(&RollbackTrigger::Failure),
                rollback_on_alarm: g.auto_rollback.contains(&RollbackTrigger::Alarm),
                rollback_on_stop: g.auto_rollback.contains(&RollbackTrigger::Stop),
                appspec: g.appspec.clone(),
                lambda: g.lambda.clone(),
                analysis,
            },
        );
    }
    groups
}

pub(super) fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    }
}

/// Reads and validates a `pipeline.yml` from disk.
pub fn load_pipeline(file: &Path) -> Result<Pipeline, SpecError> {
    let text = super::read_text(file)?;
    parse_pipeline(file, &text)
}
