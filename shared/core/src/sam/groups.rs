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
    /// The deploy function's environment: `lambda_env`, and where a Lambda group has a canary
    /// analysis, the Scheduler it sets each check's timer with.
    pub deploy_env: Option<Node>,
    /// The CodeDeploy applications whose state changes the events function hears.
    pub applications: Vec<Node>,
    pub conditions: Vec<(String, Node)>,
    /// Each Server group's health source on AWS, by group name.
    pub health: std::collections::BTreeMap<String, LoadBalancerHealth>,
}

/// Where a Server group's `HealthCheckFailed` comes from on AWS: its load balancer's target
/// group, when the stack is given one. The target group's health checks (`GET /health` on
/// each registered instance, set on the target group) count the unhealthy instances as
/// `UnHealthyHostCount`, the number Baton's local probes publish as `HealthCheckFailed`.
#[derive(Debug, Clone)]
pub(super) struct LoadBalancerHealth {
    /// The condition that the stack was given a target group for the group.
    pub condition: String,
    /// Parameters holding the `TargetGroup` and `LoadBalancer` dimension values.
    pub target_group: String,
    pub load_balancer: String,
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
                let health = load_balancer(&mut out, id, name);
                properties.push((
                    "LoadBalancerInfo",
                    if_lb(
                        &health,
                        map([(
                            "TargetGroupInfoList",
                            // targetgroup/<name>/<id>: CodeDeploy takes the name.
                            seq([map([(
                                "Name",
                                Node::Tag(
                                    "!Select",
                                    Box::new(seq([
                                        Node::Int(1),
                                        Node::Tag("!Split", Box::new(seq([s("/"), r#ref(&health.target_group)]))),
                                    ])),
                                ),
                            )])]),
                        )]),
                    ),
                ));
                properties.push((
                    "DeploymentStyle",
                    if_lb(
                        &health,
                        map([("DeploymentType", s("IN_PLACE")), ("DeploymentOption", s("WITH_TRAFFIC_CONTROL"))]),
                    ),
                ));
                out.health.insert(name.clone(), health);
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
        let analysed = pipeline.groups.values().any(|g| g.lambda.is_some() && g.analysis.is_some());
        lambda(&mut out, &lambda_groups, &lambda_functions, analysed);
    }
    out
}

/// The group's load-balancer parameters and the condition that they are given.
fn load_balancer(out: &mut Groups, id: &str, name: &str) -> LoadBalancerHealth {
    let health = LoadBalancerHealth {
        condition: format!("{id}BehindLoadBalancer"),
        target_group: format!("{id}TargetGroup"),
        load_balancer: format!("{id}LoadBalancer"),
    };
    let parameter = |description: String| map([("Type", s("String")), ("Default", s("")), ("Description", s(description))]);
    out.parameters.push((
        health.target_group.clone(),
        parameter(format!(
            "The {name} group's load balancer target group, as CloudWatch names it (targetgroup/<name>/<id>); empty for none. With it and {id}LoadBalancer, CodeDeploy moves traffic through the load balancer and the group's HealthCheckFailed alarms read its UnHealthyHostCount."
        )),
    ));
    out.parameters.push((
        health.load_balancer.clone(),
        parameter(format!(
            "The {name} group's Application Load Balancer, as CloudWatch names it (app/<name>/<id>)"
        )),
    ));
    // Both given: a target group is read with its load balancer.
    let given = |parameter: &str| {
        Node::Tag(
            "!Not",
            Box::new(seq([Node::Tag("!Equals", Box::new(seq([r#ref(parameter), s("")])))])),
        )
    };
    out.conditions.push((
        health.condition.clone(),
        Node::Tag("!And", Box::new(seq([given(&health.target_group), given(&health.load_balancer)]))),
    ));
    health
}

/// `!If [<the group is behind a load balancer>, then, AWS::NoValue]`.
pub(super) fn if_lb(health: &LoadBalancerHealth, then: Node) -> Node {
    if_else(health, then, r#ref("AWS::NoValue"))
}

pub(super) fn if_else(health: &LoadBalancerHealth, then: Node, otherwise: Node) -> Node {
    Node::Tag("!If", Box::new(seq([s(health.condition.clone()), then, otherwise])))
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
fn lambda(out: &mut Groups, groups: &serde_json::Map<String, serde_json::Value>, functions: &[String], analysed: bool) {
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
    let environment = |extra: Vec<(&str, Node)>| {
        let variables = [("BATON_LAMBDA_GROUPS", sub(json.clone()))].into_iter().chain(extra);
        map([("Environment", map([("Variables", map(variables))]))])
    };
    out.lambda_env = Some(environment(Vec::new()));
    // A canary analysis's checks are Scheduler timers the deploy function sets, each invoking
    // the events function (the bake function's timers, the same way).
    let timers = vec![
        ("BATON_SCHEDULE_GROUP", r#ref("TimerGroup")),
        ("BATON_EVENTS_FUNCTION_ARN", get_att("EventsFunction", "Arn")),
        ("BATON_SCHEDULER_ROLE_ARN", get_att("SchedulerRole", "Arn")),
    ];
    out.deploy_env = Some(environment(if analysed { timers } else { Vec::new() }));
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
    ]
    .into_iter()
    .chain(
        analysed
            .then(|| {
                // The checks: set by the deploy function; judged by the events function from Lambda's
                // per-version metrics (GetMetricData takes no resource), which stops a failing canary.
                [
                    statement(
                        &["scheduler:CreateSchedule"],
                        sub("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${TimerGroup}/*"),
                    ),
                    statement(&["iam:PassRole"], get_att("SchedulerRole", "Arn")),
                    statement(&["cloudwatch:GetMetricData"], s("*")),
                    statement(&["codedeploy:StopDeployment"], groups_arn.clone()),
                ]
            })
            .into_iter()
            .flatten(),
    )));
}
