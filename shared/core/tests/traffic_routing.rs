//! Canary and linear deployment configurations: CodeDeploy's predefined names, custom
//! `traffic_routing` maps, and the steps traffic moves through.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::path::Path;
use std::time::Duration;

use baton_core::model::{DeploymentConfig, TrafficRouting, TrafficRoutingType};

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
