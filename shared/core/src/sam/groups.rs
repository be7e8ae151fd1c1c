//! Deployment groups on AWS: a CodeDeploy deployment group per group of pipeline.yml, with its
//! configuration (predefined, or generated for `minimum_healthy_hosts` and custom traffic
//! routing), its alarms and its automatic rollbacks. Server groups target the EC2 instances
//! tagged `Baton-Group=<a parameter per group>`; Lambda groups shift their function's alias, in
//! a CodeDeploy application of the Lambda platform (one application has one platform).

use crate::model::{DeploymentConfig, Group, HealthyHostsType, Pipeline, TrafficRouting, TrafficRoutingType};
use crate::spec::error::{Pos, Reporter};
use crate::spec::pipeline::PipelineSpec;

use super::logical_ids;
use super::yaml::{Node, get_att, map, r#ref, s, seq, sub};

/// What the groups add to the template.
#[derive(Debug, Default)]
pub(super) struct Groups {
    pub parameters: Vec<(String, Node)>,
    /// Each tag parameter with its default, for samconfig.toml.
    pub parameter_defaults: Vec<(String, String)>,
    pub resources: Vec<(String, Node)>,
    /// The deploy, rollback and events functions' `BATON_LAMBDA_GROUPS`, with Lambda groups.
    pub lambda_env: Option<Node>,
    /// What the deploy, rollback and events functions may do to the Lambda groups' functions
    /// (the events function starts deployments that waited for their group).
    pub lambda_policy: Option<Node>,
    /// The CodeDeploy applications whose state changes the events function hears.
    pub applications: Vec<Node>,
}

pub(super) fn resources(pipeline: &Pipeline, spec: &PipelineSpec, errors: &mut Reporter<'_>) -> Groups {
    let mut out = Groups {
        applications: vec![r#ref("DeployApplication")],
        ..Groups::default()
    };
    let alarm_ids: std::collections::BTreeMap<String, String> = super::alarms::ids(pipeline).into_iter().collect();
    let group_ids = logical_ids(pipeline.groups.keys(), "");
    let mut lambda_groups = serde_json::Map::new();
    let mut lambda_functions = Vec::new();
    for (name, id) in &group_ids {
        let g = &pipeline.groups[name];
        let at: Pos = spec.deployment_groups.get(name).map(|g| g.referenced.into()).unwrap_or_default();
        let lambda = g.lambda.is_some();
        let config = match (&g.config, lambda) {
            (DeploymentConfig::TrafficShift(_), false) => {
                errors.error(at, format!("group `{name}` shifts traffic, which CodeDeploy's EC2/On-premises platform does not: on AWS give it OneAtATime, HalfAtATime, AllAtOnce or minimum_healthy_hosts, or make it a Lambda group"));
                continue;
            }
            (DeploymentConfig::OneAtATime | DeploymentConfig::HalfAtATime | DeploymentConfig::MinimumHealthyHosts(_), true) => {
                errors.error(
                    at,
                    format!("Lambda group `{name}` moves traffic between versions: give it AllAtOnce or a canary or linear config"),
                );
                continue;
            }
            (DeploymentConfig::AllAtOnce, true) => s("CodeDeployDefault.LambdaAllAtOnce"),
            (DeploymentConfig::TrafficShift(t), true) => match t.lambda_config_name() {
                Some(predefined) => s(predefined),
                None if !t.interval.secs().is_multiple_of(60) => {
                    errors.error(
                        at,
                        format!(
                            "group `{name}` shifts traffic every {}: CodeDeploy's intervals are whole minutes",
                            t.interval
                        ),
                    );
                    continue;
                }
                None => {
                    let config = format!("{id}DeploymentConfig");
                    out.resources.push((config.clone(), lambda_config(t)));
                    r#ref(config)
                }
            },
            (DeploymentConfig::MinimumHealthyHosts(m), false) => {
                let config = format!("{id}DeploymentConfig");
                let kind = match m.kind {
                    HealthyHostsType::HostCount => "HOST_COUNT",
                    HealthyHostsType::FleetPercent => "FLEET_PERCENT",
                };
                out.resources.push((
                    config.clone(),
                    map([
                        ("Type", s("AWS::CodeDeploy::DeploymentConfig")),
                        (
                            "Properties",
                            map([
                                ("ComputePlatform", s("Server")),
                                (
                                    "MinimumHealthyHosts",
                                    map([("Type", s(kind)), ("Value", Node::Int(i64::from(m.value)))]),
                                ),
                            ]),
                        ),
                    ]),
                ));
                r#ref(config)
            }
            (server, false) => s(server.to_string()),
        };
        let mut properties = vec![
            (
                "ApplicationName",
                r#ref(if lambda { "LambdaApplication" } else { "DeployApplication" }),
            ),
            ("DeploymentGroupName", s(name.clone())),
            ("DeploymentConfigName", config),
            (
                "ServiceRoleArn",
                get_att(if lambda { "LambdaDeployServiceRole" } else { "DeployServiceRole" }, "Arn"),
            ),
        ];
        match &g.lambda {
            Some(target) => {
                properties.push((
                    "DeploymentStyle",
                    map([("DeploymentType", s("BLUE_GREEN")), ("DeploymentOption", s("WITH_TRAFFIC_CONTROL"))]),
                ));
                lambda_groups.insert(
                    name.clone(),
                    serde_json::json!({ "function": target.function, "alias": target.alias, "application": "${LambdaApplication}" }),
                );
                lambda_functions.push(target.function.clone());
            }
            None => {
                let parameter = format!("{id}TagValue");
                let default = format!("{}-{name}", pipeline.name);
                out.parameters.push((
                    parameter.clone(),
                    map([
                        ("Type", s("String")),
                        ("Default", s(default.clone())),
                        (
                            "Description",
                            s(format!(
                                "EC2 instances tagged Baton-Group=<this value> form the {name} deployment group."
                            )),
                        ),
                    ]),
                ));
                out.parameter_defaults.push((parameter.clone(), default));
                properties.push((
                    "Ec2TagFilters",
                    seq([map([
                        ("Key", s("Baton-Group")),
                        ("Value", r#ref(parameter)),
                        ("Type", s("KEY_AND_VALUE")),
                    ])]),
                ));
            }
        }
        if !g.alarms.is_empty() {
            let alarms = g
                .alarms
                .iter()
                .filter_map(|a| alarm_ids.get(a))
                .map(|id| map([("Name", r#ref(id.clone()))]));
            properties.push(("AlarmConfiguration", map([("Enabled", Node::Bool(true)), ("Alarms", seq(alarms))])));
        }
        properties.push(("AutoRollbackConfiguration", rollback(g)));
        out.resources.push((
            format!("{id}DeploymentGroup"),
            map([("Type", s("AWS::CodeDeploy::DeploymentGroup")), ("Properties", map(properties))]),
        ));
    }
    if !lambda_groups.is_empty() {
        lambda(&mut out, &lambda_groups, &lambda_functions);
    }
    out
}

/// CodeDeploy's own rollback follows `auto_rollback`; Baton's Rollback state then finds the
/// group already on its last-good version.
fn rollback(g: &Group) -> Node {
    let events: Vec<Node> = [
        (g.rollback_on_failure, "DEPLOYMENT_FAILURE"),
        (g.rollback_on_alarm, "DEPLOYMENT_STOP_ON_ALARM"),
        (g.rollback_on_stop, "DEPLOYMENT_STOP_ON_REQUEST"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, e)| s(e))
    .collect();
    if events.is_empty() {
        map([("Enabled", Node::Bool(false))])
    } else {
        map([("Enabled", Node::Bool(true)), ("Events", seq(events))])
    }
}

fn lambda_config(t: &TrafficRouting) -> Node {
    let minutes = Node::Int(i64::try_from(t.interval.secs() / 60).unwrap_or(i64::MAX));
    let percentage = Node::Int(i64::from(t.percentage));
    let routing = match t.kind {
        TrafficRoutingType::TimeBasedCanary => map([
            ("Type", s("TimeBasedCanary")),
            (
                "TimeBasedCanary",
                map([("CanaryPercentage", percentage), ("CanaryInterval", minutes)]),
            ),
        ]),
        TrafficRoutingType::TimeBasedLinear => map([
            ("Type", s("TimeBasedLinear")),
            (
                "TimeBasedLinear",
                map([("LinearPercentage", percentage), ("LinearInterval", minutes)]),
            ),
        ]),
    };
    map([
        ("Type", s("AWS::CodeDeploy::DeploymentConfig")),
        (
            "Properties",
            map([("ComputePlatform", s("Lambda")), ("TrafficRoutingConfig", routing)]),
        ),
    ])
}

/// The Lambda platform's application and role, and what the functions need to deploy to it.
fn lambda(out: &mut Groups, groups: &serde_json::Map<String, serde_json::Value>, functions: &[String]) {
    out.resources.push((
        "LambdaApplication".into(),
        map([
            ("Type", s("AWS::CodeDeploy::Application")),
            ("Properties", map([("ComputePlatform", s("Lambda"))])),
        ]),
    ));
    out.resources.push((
        "LambdaDeployServiceRole".into(),
        map([
            ("Type", s("AWS::IAM::Role")),
            (
                "Properties",
                map([
                    (
                        "AssumeRolePolicyDocument",
                        map([
                            ("Version", s("2012-10-17")),
                            (
                                "Statement",
                                seq([map([
                                    ("Effect", s("Allow")),
                                    ("Principal", map([("Service", s("codedeploy.amazonaws.com"))])),
                                    ("Action", s("sts:AssumeRole")),
                                ])]),
                            ),
                        ]),
                    ),
                    (
                        "ManagedPolicyArns",
                        seq([sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda")]),
                    ),
                ]),
            ),
        ]),
    ));
    out.applications.push(r#ref("LambdaApplication"));
    let json = serde_json::Value::Object(groups.clone()).to_string();
    out.lambda_env = Some(map([(
        "Environment",
        map([("Variables", map([("BATON_LAMBDA_GROUPS", sub(json))]))]),
    )]));
    let function_arns = functions.iter().flat_map(|f| {
        [
            sub(format!(
                "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{f}"
            )),
            sub(format!(
                "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{f}:*"
            )),
        ]
    });
    let groups_arn = sub("arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${LambdaApplication}/*");
    let statement = |actions: &[&str], resource: Node| {
        map([
            ("Effect", s("Allow")),
            ("Action", seq(actions.iter().map(|a| s(*a)))),
            ("Resource", resource),
        ])
    };
    out.lambda_policy = Some(seq([
        statement(
            &["lambda:GetAlias", "lambda:ListVersionsByFunction", "lambda:UpdateFunctionCode"],
            seq(function_arns),
        ),
        statement(
            &[
                "codedeploy:CreateDeployment",
                "codedeploy:ListDeployments",
                "codedeploy:GetDeployment",
                "codedeploy:BatchGetDeployments",
            ],
            groups_arn.clone(),
        ),
        statement(
            &["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"],
            sub("arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${LambdaApplication}"),
        ),
    ]));
}
