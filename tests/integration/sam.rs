//! `baton synth --sam` for six pipelines of different shapes (tests/sam/*): each template is read
//! back, and every group, alarm, schedule and stage of its pipeline is in it with the same
//! settings, and nothing of another pipeline is. (scripts/test.sh runs cfn-lint and
//! `sam validate --lint` over the same six.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use baton_core::alarm::Statistic;
use baton_core::model::{DeploymentConfig, Pipeline};
use serde_json::Value;

use crate::util::repo_root;

fn pipelines() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/sam"))
        .expect("tests/sam")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 6, "six pipelines");
    dirs
}

fn synth(pipeline: &Path, out: &Path) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["synth", "--sam"])
        .arg(out)
        .arg(pipeline)
        .arg("--functions")
        .arg(repo_root().join("functions"))
        .env("NO_COLOR", "1")
        .output()
        .expect("baton runs");
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{}: {stderr}", pipeline.display());
    stderr
}

fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The resources of one type, by logical id.
fn of_type<'a>(template: &'a Value, ty: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .collect()
}

fn check(pipeline: &Pipeline, template: &Value) {
    let name = &pipeline.name;
    // Deployment groups: exactly the pipeline's, each with its configuration, alarms and rollbacks.
    let groups = of_type(template, "AWS::CodeDeploy::DeploymentGroup");
    let named: BTreeSet<&str> = groups
        .iter()
        .filter_map(|(_, g)| g["Properties"]["DeploymentGroupName"].as_str())
        .collect();
    assert_eq!(
        named,
        pipeline.groups.keys().map(String::as_str).collect(),
        "{name}: deployment groups"
    );
    for (_, g) in &groups {
        let p = &g["Properties"];
        let group = &pipeline.groups[p["DeploymentGroupName"].as_str().unwrap_or_default()];
        let config = p["DeploymentConfigName"].as_str().unwrap_or_default();
        match group.config {
            DeploymentConfig::OneAtATime | DeploymentConfig::HalfAtATime | DeploymentConfig::AllAtOnce if group.lambda.is_none() => {
                assert_eq!(config, group.config.to_string(), "{name}/{}", group.name);
            }
            DeploymentConfig::MinimumHealthyHosts(m) => {
                let generated = &template["Resources"][config]["Properties"];
                assert_eq!(generated["MinimumHealthyHosts"]["Value"], m.value, "{name}/{}", group.name);
            }
            DeploymentConfig::TrafficShift(t) => match t.lambda_config_name() {
                Some(predefined) => assert_eq!(config, predefined),
                None => {
                    let routing = &template["Resources"][config]["Properties"]["TrafficRoutingConfig"];
                    let percent = routing
                        .as_object()
                        .and_then(|r| r.values().find_map(|v| v.get("LinearPercentage").or(v.get("CanaryPercentage"))));
                    assert_eq!(percent, Some(&Value::from(t.percentage)), "{name}/{}", group.name);
                }
            },
            _ => assert_eq!(config, "CodeDeployDefault.LambdaAllAtOnce"),
        }
        let alarms: BTreeSet<String> = p["AlarmConfiguration"]["Alarms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["Name"].as_str().map(str::to_string))
            .collect();
        assert_eq!(alarms.len(), group.alarms.len(), "{name}/{}: alarms", group.name);
        if group.lambda.is_none() {
            // Behind a load balancer when the stack is given one: traffic moves through it.
            assert_eq!(
                p["LoadBalancerInfo"][0].as_str().map(|c| c.ends_with("BehindLoadBalancer")),
                Some(true),
                "{name}/{}",
                group.name
            );
        }
        let events = strings(&p["AutoRollbackConfiguration"]["Events"]);
        assert_eq!(events.contains("DEPLOYMENT_FAILURE"), group.rollback_on_failure);
        assert_eq!(events.contains("DEPLOYMENT_STOP_ON_ALARM"), group.rollback_on_alarm);
        assert_eq!(events.contains("DEPLOYMENT_STOP_ON_REQUEST"), group.rollback_on_stop);
    }
    // Alarms: exactly the pipeline's, prefixed by the stack, with the same settings.
    let alarms = of_type(template, "AWS::CloudWatch::Alarm");
    let composites = of_type(template, "AWS::CloudWatch::CompositeAlarm");
    let alarm_name = |a: &Value| {
        a["Properties"]["AlarmName"]
            .as_str()
            .and_then(|n| n.strip_prefix("${AWS::StackName}-"))
            .map(str::to_string)
    };
    let names: BTreeSet<String> = alarms.iter().chain(&composites).filter_map(|(_, a)| alarm_name(a)).collect();
    let declared: BTreeSet<String> = pipeline.alarms.keys().chain(pipeline.composite_alarms.keys()).cloned().collect();
    assert_eq!(names, declared, "{name}: alarms");
    for (_, a) in &alarms {
        let alarm = &pipeline.alarms[&alarm_name(a).unwrap_or_default()];
        // A Server group's HealthCheckFailed alarm reads the group's target group when the stack
        // is given one (`!If [<Group>BehindLoadBalancer, load balancer, Baton]`, read here as a
        // list): the pipeline's settings are the `else` branch.
        let mut p = a["Properties"].clone();
        let watched_by = pipeline
            .groups
            .values()
            .find(|g| g.lambda.is_none() && g.alarms.contains(&alarm.name));
        if alarm.metric == "HealthCheckFailed"
            && let Some(group) = watched_by
        {
            let condition = format!("{}BehindLoadBalancer", group.name[..1].to_uppercase() + &group.name[1..]);
            let props = p.as_object_mut().expect("properties");
            for key in ["Namespace", "MetricName", "Dimensions", "Statistic", "Period"] {
                let branch = props.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
                assert_eq!(
                    branch.first().and_then(Value::as_str),
                    Some(condition.as_str()),
                    "{name}/{}: {key}",
                    alarm.name
                );
                props.insert(key.into(), branch[2].clone());
            }
            assert_eq!(a["Properties"]["MetricName"][1], "UnHealthyHostCount");
            assert_eq!(a["Properties"]["Namespace"][1], "AWS/ApplicationELB");
        }
        let p = &p;
        assert_eq!(p["MetricName"], alarm.metric.as_str());
        assert_eq!(p["Namespace"], alarm.namespace.as_str());
        assert_eq!(p["Threshold"].as_f64(), Some(alarm.threshold));
        assert_eq!(p["EvaluationPeriods"], alarm.evaluation_periods);
        assert_eq!(p["DatapointsToAlarm"], alarm.datapoints_to_alarm);
        assert_eq!(
            p["Period"],
            alarm.period_secs.max(10),
            "{name}/{}: 1 and 5 s become 10 s",
            alarm.name
        );
        let statistic = p["Statistic"].as_str().or(p["ExtendedStatistic"].as_str()).unwrap_or_default();
        assert_eq!(statistic, alarm.statistic.to_string());
        // A percentile alarm says what it does on few samples; CloudWatch reads it of no other.
        let low = p["EvaluateLowSampleCountPercentile"].as_str();
        match alarm.statistic {
            Statistic::Percentile(_) => {
                let wire = serde_json::to_value(alarm.low_sample_count).expect("wire");
                assert_eq!(low, wire.as_str(), "{name}/{}", alarm.name);
            }
            _ => assert_eq!(low, None, "{name}/{}", alarm.name),
        }
        let dimensions: BTreeSet<(String, String)> = p["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                (
                    d["Name"].as_str().unwrap_or_default().to_string(),
                    d["Value"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(dimensions, alarm.dimensions.clone().into_iter().collect(), "{name}/{}", alarm.name);
    }
    for (_, c) in &composites {
        let composite = &pipeline.composite_alarms[&alarm_name(c).unwrap_or_default()];
        let rule = c["Properties"]["AlarmRule"].as_str().unwrap_or_default();
        for child in composite.rule.alarms() {
            assert!(rule.contains(&format!("\"${{AWS::StackName}}-{child}\"")), "{name}: {rule}");
        }
        // The rule AWS gets reads back as the pipeline's, once the stack's prefix is gone.
        let back = baton_core::alarm::composite::Rule::parse(&rule.replace("${AWS::StackName}-", ""));
        assert_eq!(back.as_ref(), Ok(&composite.rule), "{name}: {rule}");
    }
    // Schedules: one rule each, named as the trigger function looks them up.
    let rules = of_type(template, "AWS::Events::Rule");
    assert_eq!(rules.len(), pipeline.triggers.schedules.len(), "{name}: schedule rules");
    for (n, schedule) in pipeline.triggers.schedules.iter().enumerate() {
        let rule = &template["Resources"][format!("Schedule{n}Rule")]["Properties"];
        assert_eq!(rule["ScheduleExpression"], schedule.expression.as_str());
        assert_eq!(rule["Name"], format!("${{AWS::StackName}}-schedule-{n}").as_str());
    }
    // The dashboard: every stage's duration, no other pipeline's metrics.
    let body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"][0]
        .as_str()
        .expect("a dashboard");
    let body: Value = serde_json::from_str(body).expect("the dashboard is JSON");
    let text = body.to_string();
    for stage in &pipeline.stages {
        assert!(
            text.contains(&format!("\"Stage\",\"{}\"", stage.name)),
            "{name}: stage {}",
            stage.name
        );
    }
    let pipelines_named: BTreeSet<&str> = text
        .match_indices("\"Pipeline\",\"")
        .map(|(i, m)| text[i + m.len()..].split('"').next().unwrap_or_default())
        .collect();
    assert_eq!(
        pipelines_named,
        BTreeSet::from([name.as_str()]),
        "{name}: the dashboard's pipelines"
    );
    // The definition the trigger and gate functions read is this pipeline's.
    let definition = template["Resources"]["TriggerFunction"]["Properties"]["Environment"]["Variables"]["BATON_PIPELINE_YAML"]
        .as_str()
        .expect("the definition");
    let read = baton_core::parse_pipeline(Path::new("BATON_PIPELINE_YAML"), definition).expect("it parses");
    assert_eq!(read.name, *name);
    assert_eq!(read.stages.len(), pipeline.stages.len());
    // A Lambda group's canary analysis: the deploy function sets each check's timer, the events
    // function reads Lambda's metrics and may stop the deployment; without one, neither may.
    let analysed = pipeline.groups.values().any(|g| g.lambda.is_some() && g.analysis.is_some());
    let deploy = &template["Resources"]["DeployFunction"]["Properties"];
    assert_eq!(
        deploy["Environment"]["Variables"].get("BATON_SCHEDULE_GROUP").is_some(),
        analysed,
        "{name}: the deploy function's timers"
    );
    let events_policy = template["Resources"]["EventsFunction"]["Properties"]["Policies"].to_string();
    for action in ["cloudwatch:GetMetricData", "codedeploy:StopDeployment"] {
        assert_eq!(events_policy.contains(action), analysed, "{name}: {action}");
    }
}

#[test]
fn every_group_alarm_schedule_and_stage_of_each_pipeline_is_in_its_template_and_nothing_else() {
    let out = tempfile::tempdir().expect("tempdir");
    for dir in pipelines() {
        let file = dir.join("pipeline.yml");
        let pipeline = baton_core::load_pipeline(&file).expect("valid");
        let target = out.path().join(dir.file_name().expect("name"));
        synth(&dir, &target);
        let text = std::fs::read_to_string(target.join("template.yaml")).expect("template");
        let template: Value = serde_saphyr::from_str(&text).expect("the template is YAML");
        check(&pipeline, &template);
        let asl = std::fs::read_to_string(target.join("statemachine/pipeline.asl.json")).expect("ASL");
        assert_eq!(asl, baton_core::synth::to_json(&pipeline), "{}", pipeline.name);
        assert!(target.join("samconfig.toml").is_file());
    }
}

#[test]
fn synth_sam_writes_the_same_bytes_again_and_keeps_a_samconfig_it_did_not_write() {
    let out = tempfile::tempdir().expect("tempdir");
    let dir = repo_root().join("tests/sam/two-groups-approval");
    synth(&dir, out.path());
    let first = std::fs::read(out.path().join("template.yaml")).expect("template");
    std::fs::write(out.path().join("samconfig.toml"), "# the team's own\n").expect("write");
    synth(&dir, out.path());
    assert_eq!(
        std::fs::read(out.path().join("template.yaml")).expect("template"),
        first,
        "idempotent"
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("samconfig.toml")).expect("samconfig"),
        "# the team's own\n"
    );
}

#[test]
fn what_aws_cannot_carry_is_an_error_and_what_it_carries_differently_a_warning() {
    let project = crate::util::Project::with_files(&[(
        "pipeline.yml",
        "name: p\nstages:\n  - name: Ship\n    actions:\n      - { name: Deploy, type: deploy, input: source, group: web }\ndeployment_groups:\n  web:\n    config: Canary10Percent5Minutes\n",
    )]);
    let out = project.path().join("aws");
    let run = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["synth", "--sam"])
        .arg(&out)
        .arg(project.path())
        .arg("--functions")
        .arg(repo_root().join("functions"))
        .env("NO_COLOR", "1")
        .output()
        .expect("baton runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("pipeline.yml:8:5: group `web` shifts traffic, which CodeDeploy's EC2/On-premises platform does not"),
        "{stderr}"
    );
    assert!(!out.join("template.yaml").exists(), "nothing is written");

    let warned = synth(&repo_root().join("tests/sam/one-server"), &project.path().join("one"));
    assert!(
        warned.contains("pipeline.yml:44:13: alarm `staging-health`: CloudWatch alarms take a period of 10, 20, 30 s"),
        "{warned}"
    );
}
