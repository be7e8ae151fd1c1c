//! Alarms on AWS: each metric alarm of pipeline.yml as an `AWS::CloudWatch::Alarm` with the same
//! settings, each composite alarm as an `AWS::CloudWatch::CompositeAlarm` with its rule naming the
//! stack's alarms, every name prefixed by the stack (alarm names are per account and region,
//! and the functions add the same prefix); and the dashboard drawn from the pipeline.

use std::collections::BTreeMap;

use crate::alarm::Statistic;
use crate::alarm::composite::Rule;
use crate::model::{ActionKind, Alarm, Pipeline};
use crate::spec::error::Reporter;
use crate::spec::pipeline::PipelineSpec;

use super::groups::{LoadBalancerHealth, if_else};
use super::logical_ids;
use super::yaml::{Node, get_att, map, r#ref, s, seq, sub};

pub(super) struct Alarms {
    pub resources: Vec<(String, Node)>,
    /// (alarm name, logical id) of every alarm, metric and composite.
    pub ids: Vec<(String, String)>,
}

/// Every alarm's logical id: metric and composite alarms share one namespace of names.
pub(super) fn ids(pipeline: &Pipeline) -> Vec<(String, String)> {
    logical_ids(pipeline.alarms.keys().chain(pipeline.composite_alarms.keys()), "Alarm")
}

/// The periods CloudWatch alarms take (PutMetricAlarm's `Period`: 10, 20, 30 or a multiple of
/// 60); locally 1 and 5 s are allowed too, and become 10 s on AWS.
fn aws_period(secs: u64) -> u64 {
    if secs < 10 { 10 } else { secs }
}

pub(super) fn resources(
    pipeline: &Pipeline,
    spec: &PipelineSpec,
    health: &BTreeMap<String, LoadBalancerHealth>,
    warnings: &mut Reporter<'_>,
) -> Alarms {
    let ids = ids(pipeline);
    let id_of: BTreeMap<&str, &str> = ids.iter().map(|(n, i)| (n.as_str(), i.as_str())).collect();
    let mut resources = Vec::new();
    for (name, alarm) in &pipeline.alarms {
        let period = aws_period(alarm.period_secs);
        if period != alarm.period_secs
            && let Some(at) = spec.alarms.get(name).and_then(|a| a.value.period.as_ref())
        {
            warnings.error(
                at.referenced,
                format!(
                    "alarm `{name}`: CloudWatch alarms take a period of 10, 20, 30 s or a multiple of 60, so on AWS it evaluates {period} s periods ({} s locally); write `period: {period}s` for the same alarm everywhere",
                    alarm.period_secs
                ),
            );
        }
        // The Server group that watches this HealthCheckFailed alarm, when there is one.
        let source = (alarm.namespace == "Baton" && alarm.metric == "HealthCheckFailed")
            .then(|| {
                pipeline
                    .groups
                    .values()
                    .filter(|g| g.alarms.contains(name))
                    .find_map(|g| health.get(&g.name))
            })
            .flatten();
        let node = metric_alarm(pipeline, alarm, period);
        resources.push((
            id_of[name.as_str()].to_string(),
            match source {
                Some(lb) => from_load_balancer(node, alarm, lb),
                None => node,
            },
        ));
    }
    for (name, composite) in &pipeline.composite_alarms {
        let children: Vec<Node> = composite
            .rule
            .alarms()
            .iter()
            .filter_map(|c| id_of.get(c))
            .map(|id| s(*id))
            .collect();
        resources.push((
            id_of[name.as_str()].to_string(),
            map([
                ("Type", s("AWS::CloudWatch::CompositeAlarm")),
                // The alarms a rule names must exist before it.
                ("DependsOn", seq(children)),
                (
                    "Properties",
                    map([
                        ("AlarmName", sub(format!("${{AWS::StackName}}-{name}"))),
                        ("AlarmDescription", s(format!("pipeline.yml alarm {name}: {}", composite.text))),
                        ("AlarmRule", sub(rule(&composite.rule))),
                    ]),
                ),
            ]),
        ));
    }
    Alarms { resources, ids }
}

fn metric_alarm(pipeline: &Pipeline, alarm: &Alarm, period: u64) -> Node {
    let mut properties = vec![
        ("AlarmName", sub(format!("${{AWS::StackName}}-{}", alarm.name))),
        (
            "AlarmDescription",
            s(format!("pipeline.yml alarm {} of pipeline {}", alarm.name, pipeline.name)),
        ),
        ("Namespace", s(alarm.namespace.clone())),
        ("MetricName", s(alarm.metric.clone())),
        (
            "Dimensions",
            seq(alarm
                .dimensions
                .iter()
                .map(|(k, v)| map([("Name", s(k.clone())), ("Value", s(v.clone()))]))),
        ),
    ];
    let member = if alarm.statistic.is_extended() {
        "ExtendedStatistic"
    } else {
        "Statistic"
    };
    properties.push((member, s(alarm.statistic.to_string())));
    properties.extend([
        ("Period", Node::Int(i64::try_from(period).unwrap_or(i64::MAX))),
        ("EvaluationPeriods", Node::Int(i64::from(alarm.evaluation_periods))),
        ("DatapointsToAlarm", Node::Int(i64::from(alarm.datapoints_to_alarm))),
        ("Threshold", Node::Float(alarm.threshold)),
        ("ComparisonOperator", s(wire(&alarm.comparison))),
        ("TreatMissingData", s(wire(&alarm.treat_missing_data))),
    ]);
    if matches!(alarm.statistic, Statistic::Percentile(_)) {
        properties.push(("EvaluateLowSampleCountPercentile", s(wire(&alarm.low_sample_count))));
    }
    map([("Type", s("AWS::CloudWatch::Alarm")), ("Properties", map(properties))])
}

/// The alarm reading the group's target group when the stack has one: `UnHealthyHostCount`
/// (Maximum: the load balancer reports it each minute, so 60-second periods at least) in place
/// of `HealthCheckFailed`, which only Baton's local probes publish.
fn from_load_balancer(node: Node, alarm: &Alarm, lb: &LoadBalancerHealth) -> Node {
    let Node::Map(mut resource) = node else { return node };
    let Some((_, Node::Map(properties))) = resource.iter_mut().find(|(k, _)| k == "Properties") else {
        return Node::Map(resource);
    };
    let dimensions = seq([
        map([("Name", s("TargetGroup")), ("Value", r#ref(&lb.target_group))]),
        map([("Name", s("LoadBalancer")), ("Value", r#ref(&lb.load_balancer))]),
    ]);
    let minute = alarm.period_secs.max(60).div_ceil(60) * 60;
    for (key, value) in properties.iter_mut() {
        let aws = match key.as_str() {
            "Namespace" => s("AWS/ApplicationELB"),
            "MetricName" => s("UnHealthyHostCount"),
            "Dimensions" => dimensions.clone(),
            "Statistic" if alarm.statistic == Statistic::Sum => s("Maximum"),
            "Period" => Node::Int(i64::try_from(minute).unwrap_or(i64::MAX)),
            _ => continue,
        };
        *value = if_else(lb, aws, value.clone());
    }
    Node::Map(resource)
}

/// A value as its serde name, which is CloudWatch's.
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A composite rule in CloudWatch's AlarmRule syntax, naming the stack's alarms (for `!Sub`).
fn rule(r: &Rule) -> String {
    let alarm = |name: &str| format!("\"${{AWS::StackName}}-{name}\"");
    match r {
        Rule::State(state, name) => format!("{state}({})", alarm(name)),
        Rule::AtLeast(a) => {
            let alarms: Vec<String> = a.alarms.iter().map(|n| alarm(n)).collect();
            format!("AT_LEAST({}, {}, ({}))", a.threshold, a.condition, alarms.join(", "))
        }
        Rule::Literal(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
        Rule::Not(inner) => format!("NOT ({})", rule(inner)),
        Rule::And(a, b) => format!("({} AND {})", rule(a), rule(b)),
        Rule::Or(a, b) => format!("({} OR {})", rule(a), rule(b)),
    }
}

/// The dashboard: executions, each stage's duration, failures and rollbacks per group, the DORA
/// figures, and every alarm of the pipeline.
pub(super) fn dashboard(pipeline: &Pipeline, alarm_ids: &[(String, String)]) -> Node {
    let name = &pipeline.name;
    let widget = |x: u32, y: u32, title: &str, stat: &str, period: u32, metrics: serde_json::Value| {
        serde_json::json!({"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": {
            "title": title, "region": "${AWS::Region}", "stat": stat, "period": period, "metrics": metrics }})
    };
    let stages: Vec<serde_json::Value> = pipeline
        .stages
        .iter()
        .map(|s| serde_json::json!(["Baton", "StageDuration", "Pipeline", name, "Stage", s.name]))
        .collect();
    let mut failures = vec![serde_json::json!(["Baton", "ExecutionFailed", "Pipeline", name])];
    let deployed: Vec<&String> = pipeline
        .groups
        .keys()
        .filter(|g| {
            pipeline
                .actions()
                .any(|(_, a)| matches!(&a.kind, ActionKind::Deploy { group, .. } if group == *g))
        })
        .collect();
    for g in &deployed {
        failures.push(serde_json::json!([
            "Baton",
            "DeploymentFailed",
            "Pipeline",
            name,
            "DeploymentGroup",
            g
        ]));
        failures.push(serde_json::json!(["Baton", "Rollbacks", "Pipeline", name, "DeploymentGroup", g]));
    }
    let dora = ["DeploymentFrequency", "LeadTimeForChanges", "ChangeFailureRate", "TimeToRestore"]
        .map(|m| serde_json::json!(["Baton", m, "Pipeline", name]));
    let mut widgets = vec![
        widget(
            0,
            0,
            "Executions",
            "Sum",
            300,
            serde_json::json!([
                ["AWS/States", "ExecutionsStarted", "StateMachineArn", "${Machine}"],
                ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", "${Machine}"],
                ["AWS/States", "ExecutionsFailed", "StateMachineArn", "${Machine}"],
                ["AWS/States", "ExecutionsAborted", "StateMachineArn", "${Machine}"]
            ]),
        ),
        widget(12, 0, "Stage durations (p50)", "p50", 3600, serde_json::Value::Array(stages)),
        widget(0, 6, "Failures and rollbacks", "Sum", 3600, serde_json::Value::Array(failures)),
        widget(12, 6, "DORA (last 30 days)", "Maximum", 86400, serde_json::json!(dora)),
    ];
    let mut variables = vec![("Machine".to_string(), r#ref("Pipeline"))];
    if !alarm_ids.is_empty() {
        let arns: Vec<String> = alarm_ids.iter().map(|(_, id)| format!("${{{id}}}")).collect();
        widgets.push(serde_json::json!({"type": "alarm", "x": 0, "y": 12, "width": 24, "height": 3,
            "properties": {"title": "Alarms", "alarms": arns}}));
        variables.extend(alarm_ids.iter().map(|(_, id)| (id.clone(), get_att(id, "Arn"))));
    }
    let body = serde_json::to_string_pretty(&serde_json::json!({ "widgets": widgets })).unwrap_or_default();
    map([
        ("Type", s("AWS::CloudWatch::Dashboard")),
        (
            "Properties",
            map([
                ("DashboardName", sub("${AWS::StackName}-baton")),
                (
                    "DashboardBody",
                    Node::Tag("!Sub", Box::new(seq([Node::Block(body), map(variables)]))),
                ),
            ]),
        ),
    ])
}
