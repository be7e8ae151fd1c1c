//! The SAM application of a pipeline (`baton synth --sam`): the template that deploys Baton's
//! functions, the state machine, and everything pipeline.yml declares — a CodeDeploy deployment
//! group per group, a CloudWatch alarm per alarm, an EventBridge rule per schedule, the
//! dashboard — named after the pipeline, so any pipeline deploys the way the example does.
//!
//! The fixed part of the template (storage, the build project, the functions and their roles)
//! is `base.yaml`; what varies with the pipeline is written as [`yaml::Node`]s into its slots.
//! What AWS cannot carry is an error, what it carries differently a warning, both located in
//! pipeline.yml.

mod alarms;
mod groups;
pub mod yaml;

use std::path::Path;

use crate::model::Pipeline;
use crate::spec::error::{Diagnostic, Pos, Reporter, SpecError, parse_yaml};
use crate::spec::pipeline::PipelineSpec;
use yaml::{Node, get_att, map, r#ref, s, seq, sub};

const BASE: &str = include_str!("base.yaml");

/// Lambda keeps at most 4 KB of environment variables per function: the pipeline's definition
/// must leave room for the others.
const MAX_DEFINITION_BYTES: usize = 3072;

/// A generated SAM application.
#[derive(Debug, Clone)]
pub struct Application {
    pub template: String,
    /// The state machine (`statemachine/pipeline.asl.json`): what `baton synth` prints.
    pub state_machine: String,
    /// A `samconfig.toml` for a directory that has none: environments `default` and `prod`.
    pub samconfig: String,
    /// What AWS carries differently from a local run.
    pub warnings: Vec<Diagnostic>,
}

/// Where the generated template finds Baton's function crates, relative to itself.
#[derive(Debug, Clone)]
pub struct Options {
    pub functions_dir: String,
}

/// The application for `pipeline`, read from `file` (whose `text` locates its diagnostics).
pub fn application(pipeline: &Pipeline, file: &Path, text: &str, options: &Options) -> Result<Application, SpecError> {
    let spec: PipelineSpec = parse_yaml(file, text)?;
    let mut errors = Reporter::new(file, text);
    let mut warnings = Reporter::new(file, text);
    let repository = repository(pipeline, &mut warnings);
    let definition = definition(text, &mut errors);
    let groups = groups::resources(pipeline, &spec, &mut errors);
    let alarms = alarms::resources(pipeline, &spec, &groups.health, &mut warnings);
    errors.finish()?;

    let slot = |nodes: &[(String, Node)]| map(nodes.iter().cloned()).to_yaml(2);
    let spaced = |nodes: &[(String, Node)]| {
        nodes
            .iter()
            .map(|(k, v)| map([(k.clone(), v.clone())]).to_yaml(2) + "\n")
            .collect::<String>()
    };
    let template = BASE
        .replace("{{PARAMETERS}}", &slot(&groups.parameters))
        .replace("{{CONDITIONS}}", &slot(&groups.conditions))
        .replace("{{DEPLOYMENT_GROUPS}}", &spaced(&groups.resources))
        .replace("{{ALARMS}}", &spaced(&alarms.resources))
        .replace(
            "{{DASHBOARD}}",
            &spaced(&[("Dashboard".to_string(), alarms::dashboard(pipeline, &alarms.ids))]),
        )
        .replace("{{SCHEDULES}}", &spaced(&schedules(pipeline)))
        .replace("{{ALARM_EVENTS}}", &alarm_events(&alarms.ids))
        .replace(
            "{{LAMBDA_ENV}}",
            &groups.lambda_env.as_ref().map_or_else(String::new, |env| env.to_yaml(6)),
        )
        .replace(
            "{{DEPLOY_ENV}}",
            &groups.deploy_env.as_ref().map_or_else(String::new, |env| env.to_yaml(6)),
        )
        .replace(
            "{{LAMBDA_POLICY}}",
            &groups.lambda_policy.as_ref().map_or_else(String::new, |p| p.to_yaml(12)),
        )
        .replace("{{DEPLOY_APPLICATIONS}}", &Node::Seq(groups.applications.clone()).inline_flow())
        .replace("{{DEFINITION}}", &s(definition).inline_flow())
        .replace("{{REPOSITORY}}", &s(repository.clone()).inline_flow())
        .replace("{{FUNCTIONS}}", options.functions_dir.trim_end_matches('/'))
        .replace(
            "{{FILE}}",
            &file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        )
        .replace("{{PIPELINE}}", &pipeline.name);
    Ok(Application {
        template,
        state_machine: crate::synth::to_json(pipeline),
        samconfig: samconfig(pipeline, &repository, &groups.parameter_defaults),
        warnings: warnings.into_diagnostics(),
    })
}

/// The default CodeCommit repository: `source.repository` when it names one, else the
/// pipeline's name. A local directory (`../app`) is no repository name.
fn repository(pipeline: &Pipeline, warnings: &mut Reporter<'_>) -> String {
    match pipeline.source.repository.as_deref() {
        Some(r) if !r.is_empty() && r.len() <= 100 && r.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) => r.to_string(),
        Some(r) => {
            let at = warnings.find(Pos { line: 1, column: 1 }, "repository");
            warnings.error(
                at,
                format!(
                    "source.repository `{r}` is a local directory, not a CodeCommit repository name: on AWS the RepositoryName parameter names it (default `{}`)",
                    pipeline.name
                ),
            );
            pipeline.name.clone()
        }
        None => pipeline.name.clone(),
    }
}

/// pipeline.yml as the trigger and gate functions read it: from the generated template itself,
/// so nothing is kept in step by hand. As compact JSON (JSON is YAML), comments and layout
/// dropped, since a function's environment holds at most 4 KB.
fn definition(text: &str, errors: &mut Reporter<'_>) -> String {
    let compact = serde_saphyr::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string());
    if compact.len() > MAX_DEFINITION_BYTES {
        errors.error(
            Pos { line: 1, column: 1 },
            format!(
                "the pipeline is {} bytes without comments; the functions receive it in their environment, which holds at most {MAX_DEFINITION_BYTES}",
                compact.len()
            ),
        );
    }
    compact
}

/// One EventBridge rule per `schedule` trigger, named `<stack>-schedule-N`: the trigger function
/// finds the N-th schedule of pipeline.yml (and its branch) by that name.
fn schedules(pipeline: &Pipeline) -> Vec<(String, Node)> {
    let mut out = Vec::new();
    for (n, schedule) in pipeline.triggers.schedules.iter().enumerate() {
        let rule = format!("Schedule{n}Rule");
        out.push((
            rule.clone(),
            map([
                ("Type", s("AWS::Events::Rule")),
                (
                    "Properties",
                    map([
                        ("Name", sub(format!("${{AWS::StackName}}-schedule-{n}"))),
                        (
                            "Description",
                            s(format!("Schedule trigger {n} of pipeline.yml: {}", schedule.expression)),
                        ),
                        ("ScheduleExpression", s(schedule.expression.clone())),
                        (
                            "Targets",
                            seq([map([("Id", s("trigger")), ("Arn", get_att("TriggerFunction", "Arn"))])]),
                        ),
                    ]),
                ),
            ]),
        ));
        out.push((
            format!("{rule}Permission"),
            map([
                ("Type", s("AWS::Lambda::Permission")),
                (
                    "Properties",
                    map([
                        ("Action", s("lambda:InvokeFunction")),
                        ("FunctionName", r#ref("TriggerFunction")),
                        ("Principal", s("events.amazonaws.com")),
                        ("SourceArn", get_att(&rule, "Arn")),
                    ]),
                ),
            ]),
        ));
    }
    out
}

/// The events function's rule for the pipeline's alarms, when it has any.
fn alarm_events(alarm_ids: &[(String, String)]) -> String {
    if alarm_ids.is_empty() {
        return String::new();
    }
    map([(
        "Alarms",
        map([
            ("Type", s("EventBridgeRule")),
            (
                "Properties",
                map([(
                    "Pattern",
                    map([
                        ("source", seq([s("aws.cloudwatch")])),
                        ("detail-type", seq([s("CloudWatch Alarm State Change")])),
                        ("resources", seq(alarm_ids.iter().map(|(_, id)| get_att(id, "Arn")))),
                    ]),
                )]),
            ),
        ]),
    )])
    .to_yaml(8)
}

fn samconfig(pipeline: &Pipeline, repository: &str, parameters: &[(String, String)]) -> String {
    let overrides = |branch: &str, tracing: bool, suffix: &str| {
        let mut all = vec![format!("RepositoryName={repository}"), format!("Branch={branch}")];
        all.extend(parameters.iter().map(|(k, v)| format!("{k}={v}{suffix}")));
        all.push(format!("XRayTracing={tracing}"));
        all.join(" ")
    };
    format!(
        r#"# `sam build` then `sam deploy --guided` the first time, `sam deploy` (default) or
# `sam deploy --config-env prod` after. Written once by `baton synth --sam`; yours to edit.
version = 0.1

[default.global.parameters]
stack_name = "baton-{name}"

[default.build.parameters]
cached = true
parallel = false  # 2-core machines: one cargo build at a time shares target/ best

[default.validate.parameters]
lint = true

[default.deploy.parameters]
capabilities = "CAPABILITY_IAM"
confirm_changeset = true
resolve_s3 = true
parameter_overrides = "{default}"

[prod.global.parameters]
stack_name = "baton-{name}-prod"

[prod.deploy.parameters]
capabilities = "CAPABILITY_IAM"
confirm_changeset = true
fail_on_empty_changeset = false
resolve_s3 = true
parameter_overrides = "{prod}"
"#,
        name = pipeline.name,
        default = overrides("main", false, ""),
        prod = overrides("release", true, "-prod"),
    )
}

/// `staging-health` → `StagingHealth`: a CloudFormation logical id (alphanumeric) for a name.
pub(crate) fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| p[..1].to_ascii_uppercase() + &p[1..])
        .collect()
}

/// Logical ids for `names` with `suffix`, made distinct where two names differ only in
/// punctuation (`a-b`, `a_b`).
pub(crate) fn logical_ids<'a>(names: impl IntoIterator<Item = &'a String>, suffix: &str) -> Vec<(String, String)> {
    let mut taken = std::collections::BTreeSet::new();
    names
        .into_iter()
        .map(|name| {
            let base = format!("{}{suffix}", pascal(name));
            let mut id = base.clone();
            let mut n = 2;
            while !taken.insert(id.clone()) {
                id = format!("{base}{n}");
                n += 1;
            }
            (name.clone(), id)
        })
        .collect()
}
