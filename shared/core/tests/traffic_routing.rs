//! Canary and linear deployment configurations: CodeDeploy's predefined names, custom
//! `traffic_routing` maps, and the steps traffic moves through.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::path::Path;
use std::time::Duration;

use baton_core::analysis::Baseline;
use baton_core::model::{DeploymentConfig, TrafficRouting, TrafficRoutingType};
use serde_json::json;

fn pipeline(config: &str) -> Result<baton_core::model::Pipeline, String> {
    let yaml = format!(
        "name: p
stages:
  - name: Ship
    actions:
      - name: Deploy
        type: deploy
        input: source
        group: web
deployment_groups:
  web:
    instances: 2
    config: {config}
"
    );
    baton_core::parse_pipeline(Path::new("pipeline.yml"), &yaml).map_err(|e| e.to_string())
}

fn routing(config: &str) -> TrafficRouting {
    match pipeline(config).unwrap().groups["web"].config {
        DeploymentConfig::TrafficShift(t) => t,
        other => panic!("{config}: {other}"),
    }
}

#[test]
fn predefined_names_with_or_without_their_prefixes() {
    for name in [
        "Canary10Percent5Minutes",
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "CodeDeployDefault.ECSCanary10Percent5Minutes",
    ] {
        let t = routing(name);
        assert_eq!(t.kind, TrafficRoutingType::TimeBasedCanary, "{name}");
        assert_eq!((t.percentage, t.interval.0), (10, Duration::from_secs(300)), "{name}");
    }
    let t = routing("CodeDeployDefault.LambdaLinear10PercentEvery3Minutes");
    assert_eq!(t.kind, TrafficRoutingType::TimeBasedLinear);
    assert_eq!(t.interval.0, Duration::from_secs(180));
    // ECS spells the one-minute linear config in the plural.
    assert_eq!(
        routing("CodeDeployDefault.ECSLinear10PercentEvery1Minutes"),
        routing("LambdaLinear10PercentEvery1Minute")
    );
    assert_eq!(
        pipeline("CodeDeployDefault.LambdaAllAtOnce").unwrap().groups["web"].config,
        DeploymentConfig::AllAtOnce
    );
}

#[test]
fn custom_traffic_routing() {
    let t = routing("{ traffic_routing: { type: TimeBasedCanary, percentage: 25, interval: 2s } }");
    assert_eq!((t.percentage, t.interval.0), (25, Duration::from_secs(2)));
    assert_eq!(t.steps(), vec![25, 100]);
    let t = routing("{ traffic_routing: { type: TimeBasedLinear, percentage: 30, interval: 1m } }");
    assert_eq!(t.steps(), vec![30, 60, 90, 100]);
    assert_eq!(
        routing("Linear10PercentEvery1Minute").steps(),
        (1..=10).map(|k| k * 10).collect::<Vec<_>>()
    );
    assert_eq!(routing("Canary10Percent15Minutes").steps(), vec![10, 100]);
}

#[test]
fn bad_configs_are_refused_where_they_are() {
    let err = pipeline("Canary20Percent5Minutes").unwrap_err();
    assert!(
        err.contains("pipeline.yml:12:13") && err.contains("unknown deployment config `Canary20Percent5Minutes`"),
        "{err}"
    );
    let err = pipeline("{ traffic_routing: { type: TimeBasedCanary, percentage: 100, interval: 5m } }").unwrap_err();
    assert!(err.contains("between 1 and 99"), "{err}");
    let err = pipeline("{ traffic_routing: { type: TimeBasedLinear, percentage: 10, interval: 0s } }").unwrap_err();
    assert!(err.contains("at least 1s"), "{err}");
    let err = pipeline("{ traffic_routing: { type: Hourly, percentage: 10, interval: 5m } }").unwrap_err();
    assert!(err.contains("TimeBasedCanary"), "{err}");
    let both = "{ minimum_healthy_hosts: { type: HOST_COUNT, value: 1 }, traffic_routing: { type: TimeBasedCanary, percentage: 10, interval: 5m } }";
    let err = pipeline(both).unwrap_err();
    assert!(err.contains("exactly one of"), "{err}");
}

#[test]
fn lambda_groups_name_their_function_and_a_predefined_config_on_aws() {
    let yaml = "name: p
stages:
  - name: Ship
    actions:
      - { name: Deploy, type: deploy, input: source, group: api }
deployment_groups:
  api:
    lambda: { function: hello-api }
    config: LambdaCanary10Percent5Minutes
";
    let p = baton_core::parse_pipeline(Path::new("pipeline.yml"), yaml).unwrap();
    let g = &p.groups["api"];
    let target = g.lambda.as_ref().unwrap();
    assert_eq!((target.function.as_str(), target.alias.as_str()), ("hello-api", "live"));
    let DeploymentConfig::TrafficShift(t) = g.config else {
        panic!("{}", g.config)
    };
    assert_eq!(
        t.lambda_config_name().as_deref(),
        Some("CodeDeployDefault.LambdaCanary10Percent5Minutes")
    );
    assert_eq!(
        routing("Linear10PercentEvery1Minute").lambda_config_name().as_deref(),
        Some("CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    );
    assert_eq!(
        routing("{ traffic_routing: { type: TimeBasedCanary, percentage: 25, interval: 5m } }").lambda_config_name(),
        None,
        "a custom routing has no predefined name"
    );

    let bad = yaml.replace("config: LambdaCanary10Percent5Minutes", "config: OneAtATime");
    let err = baton_core::parse_pipeline(Path::new("pipeline.yml"), &bad).unwrap_err().to_string();
    assert!(
        err.contains("deploys a Lambda function: its config is AllAtOnce or a canary/linear one"),
        "{err}"
    );
    let bad = yaml.replace("function: hello-api", "function: 'hello api'");
    let err = baton_core::parse_pipeline(Path::new("pipeline.yml"), &bad).unwrap_err().to_string();
    assert!(err.contains("is not a function name or ARN"), "{err}");
}

#[test]
fn an_analysis_is_read_with_its_defaults_and_checked_where_it_stands() {
    let analysis = "
    analysis:
      interval: 30s
      intervals: 4
      thresholds: { pass: 95, marginal: 75 }
      metrics:
        - { name: latency, direction: increase }
        - { name: errors, direction: increase, tolerance: 0, critical: true }";
    let p = pipeline(&format!("Canary10Percent5Minutes{analysis}")).unwrap();
    let spec = p.groups["web"].analysis.as_ref().expect("analysis");
    assert_eq!((spec.interval.0, spec.intervals, spec.min_samples), (Duration::from_secs(30), 4, 5));
    assert_eq!(spec.baseline, Baseline::Serving, "the serving fleet, unless said");
    assert_eq!(
        (spec.metrics[0].tolerance, spec.metrics[0].weight, spec.metrics[1].critical),
        (0.1, 1.0, true)
    );

    // Not a traffic-shifting group, a metric the front door cannot measure, a bound passed: each
    // said, at the group.
    let bad = "
    analysis:
      interval: 0s
      intervals: 2000
      thresholds: { pass: 95, marginal: 75 }
      metrics:
        - { name: cpu, direction: increase }
        - { name: tail, direction: increase, cloudwatch: { metric: Duration, statistic: p99 } }";
    let err = pipeline(&format!("OneAtATime{bad}")).unwrap_err();
    for said in [
        "give the group a traffic_routing config (canary or linear), not CodeDeployDefault.OneAtATime",
        "metric `cpu`: the front door measures `latency` and `errors` per fleet",
        "metric `tail`: cloudwatch: a local group's front door measures `latency` and `errors` per fleet",
        "intervals: 2000 is not 1 to 1000",
        "interval: at least 1s",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    assert!(
        err.contains("pipeline.yml:11:5: group `web`: analysis:"),
        "located at the group: {err}"
    );
}

#[test]
fn a_fresh_baseline_needs_room_for_a_share_as_large_as_the_canarys() {
    let fresh = "
    analysis:
      intervals: 2
      baseline: fresh
      thresholds: { pass: 95, marginal: 75 }
      metrics: [{ name: latency, direction: increase }]";
    let p = pipeline(&format!("Canary10Percent5Minutes{fresh}")).unwrap();
    assert_eq!(p.groups["web"].analysis.as_ref().map(|a| a.baseline), Some(Baseline::Fresh));
    let half = pipeline(&format!(
        "{{ traffic_routing: {{ type: TimeBasedLinear, percentage: 50, interval: 1m }} }}{fresh}"
    ));
    assert!(half.is_ok(), "canary and baseline half each: {half:?}");
    let err = pipeline(&format!(
        "{{ traffic_routing: {{ type: TimeBasedCanary, percentage: 60, interval: 1m }} }}{fresh}"
    ))
    .unwrap_err();
    assert!(
        err.contains("baseline: fresh: the fresh baseline takes as much traffic as the canary, so the canary's first share must be at most 50 %, not 60 %"),
        "{err}"
    );
}

#[test]
fn validate_warns_that_aws_does_not_run_the_analysis() {
    let yaml = "name: p
stages:
  - name: Ship
    actions:
      - { name: Deploy, type: deploy, input: source, group: web }
deployment_groups:
  web:
    config: Canary10Percent5Minutes
    analysis:
      intervals: 1
      thresholds: { pass: 90, marginal: 50 }
      metrics: [{ name: latency, direction: increase }]
";
    let warnings = baton_core::spec::validate::warnings(Path::new("pipeline.yml"), yaml);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .message
            .contains("CodeDeploy's EC2/On-premises platform does not shift traffic, so `baton synth --sam` refuses this group"),
        "{warnings:?}"
    );
}

#[test]
fn a_lambda_groups_analysis_is_whole_minutes_judged_while_the_canary_holds() {
    let yaml = |config: &str, analysis: &str| {
        format!(
            "name: p
stages:
  - name: Ship
    actions:
      - {{ name: Deploy, type: deploy, input: source, group: api }}
deployment_groups:
  api:
    lambda: {{ function: hello-api }}
    config: {config}
    analysis:
{analysis}
      thresholds: {{ pass: 90, marginal: 50 }}
      metrics:
        - {{ name: latency, direction: increase }}
        - {{ name: errors, direction: increase, critical: true }}
        - {{ name: tail, direction: increase, cloudwatch: {{ metric: Duration, statistic: p99 }} }}
"
        )
    };
    // Two 5-minute intervals and CloudWatch's last point fit in a 15-minute canary.
    let fits = yaml("LambdaCanary10Percent15Minutes", "      interval: 5m\n      intervals: 2");
    let p = baton_core::parse_pipeline(Path::new("pipeline.yml"), &fits).unwrap();
    assert_eq!(p.groups["api"].analysis.as_ref().map(|a| a.intervals), Some(2));
    let warnings = baton_core::spec::validate::warnings(Path::new("pipeline.yml"), &fits);
    assert!(warnings.is_empty(), "a Lambda group's analysis runs on AWS: {warnings:?}");
    // Its deploy action sets the checks' timers: it is told when.
    let machine = baton_core::synth::synth(&p);
    let canary = &machine["States"]["Ship:Deploy"]["Parameters"]["Payload"]["canary"];
    assert_eq!((&canary["interval"], &canary["intervals"]), (&json!("5m"), &json!(2)), "{canary}");
    let read: baton_core::analysis::AnalysisSpec = serde_json::from_value(canary.clone()).unwrap();
    assert_eq!(Some(&read), p.groups["api"].analysis.as_ref(), "the analysis reads back whole");

    let outlasts = yaml("LambdaCanary10Percent10Minutes", "      interval: 5m\n      intervals: 2");
    refused(
        &outlasts,
        &["2 intervals of 5m (and 120 s for CloudWatch's last point) outlast the 10m the canary holds its first share"],
    );
    let seconds = yaml(
        "LambdaCanary10Percent15Minutes",
        "      interval: 90s\n      intervals: 2\n      load: { per_second: 5 }\n      baseline: fresh",
    );
    refused(
        &seconds,
        &[
            "interval: 90s is not a whole number of minutes; Lambda sends its metrics to CloudWatch once a minute",
            "load: a Lambda group has no front door to send requests through",
            "baseline: fresh: CodeDeploy shifts a Lambda alias between two versions",
        ],
    );
    let unread = fits.replace("statistic: p99", "statistic: p101").replace(
        "- { name: errors, direction: increase, critical: true }",
        "- { name: cpu, direction: increase }",
    );
    refused(
        &unread,
        &[
            "metrics[2].cloudwatch.statistic: `p101` is not a CloudWatch statistic: SampleCount, Sum,",
            "metric `cpu`: give it `cloudwatch: { metric, statistic }` (a Lambda metric per version, e.g. Duration with p99), or use `latency` and `errors`",
        ],
    );
}

/// `yaml` is refused, and its error says each of `said`.
fn refused(yaml: &str, said: &[&str]) {
    let err = baton_core::parse_pipeline(Path::new("pipeline.yml"), yaml).unwrap_err().to_string();
    for said in said {
        assert!(err.contains(said), "{said}: {err}");
    }
}
