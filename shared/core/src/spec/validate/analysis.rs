//! A deployment group's `analysis:`: the canary judged against its baseline while it holds its
//! first share of traffic. Locally the group's front door measures each fleet, so the metrics
//! are the two it can see; a Lambda group on AWS reads the same two from CloudWatch per version
//! (`Duration`, and `Errors` over `Invocations`), or any metric given its `cloudwatch` source,
//! one point a minute, so its intervals are whole minutes and must be judged before CodeDeploy
//! shifts the rest of the traffic.

use serde_saphyr::Spanned;

use crate::analysis::{AnalysisSpec, Baseline};
use crate::spec::error::{Pos, Reporter};
use crate::spec::pipeline::{DeploymentConfig, GroupSpec};
use crate::stages::canary::METRICS_LAG_SECS;

/// What the local front door measures per fleet: each request's time to its response's first
/// byte (ms), and whether it failed (a 5xx, a refused or dropped connection).
pub const FRONT_DOOR_METRICS: [&str; 2] = ["latency", "errors"];

/// The group's analysis, or `None` with every problem reported at `at`.
pub(super) fn analysis(name: &str, group: &Spanned<GroupSpec>, at: Pos, r: &mut Reporter<'_>) -> Option<AnalysisSpec> {
    let spec = group.value.analysis.as_ref()?;
    let mut ok = true;
    let mut error = |message: String| {
        r.error(at, format!("group `{name}`: analysis: {message}"));
        ok = false;
    };
    if !matches!(group.value.config, DeploymentConfig::TrafficShift(_)) {
        error(format!(
            "a canary is judged while it holds part of the traffic; give the group a traffic_routing config (canary or linear), not {}",
            group.value.config
        ));
    }
    if spec.baseline == Baseline::Fresh {
        if group.value.lambda.is_some() {
            error(
                "baseline: fresh: CodeDeploy shifts a Lambda alias between two versions, so the canary is judged against the version the alias served".into(),
            );
        } else if let DeploymentConfig::TrafficShift(routing) = group.value.config
            && routing.steps().first().is_some_and(|&share| share > 50)
        {
            error(format!(
                "baseline: fresh: the fresh baseline takes as much traffic as the canary, so the canary's first share must be at most 50 %, not {} %",
                routing.percentage
            ));
        }
    }
    if group.value.lambda.is_some() {
        let secs = spec.interval.secs();
        if secs % 60 != 0 {
            error(format!(
                "interval: {} is not a whole number of minutes; Lambda sends its metrics to CloudWatch once a minute",
                spec.interval
            ));
        }
        if spec.load.is_some() {
            error("load: a Lambda group has no front door to send requests through; its callers are its traffic".into());
        }
        // Every interval is judged (its last minute a little late) while the canary holds its
        // first share: after that CodeDeploy moves the rest, and nothing is left to compare.
        if let DeploymentConfig::TrafficShift(routing) = group.value.config {
            let judged = secs.saturating_mul(u64::from(spec.intervals)).saturating_add(METRICS_LAG_SECS);
            if judged > routing.interval.secs() {
                error(format!(
                    "{} intervals of {} (and {} s for CloudWatch's last point) outlast the {} the canary holds its first share; \
                     judge fewer or shorter intervals, or hold the canary longer",
                    spec.intervals, spec.interval, METRICS_LAG_SECS, routing.interval
                ));
            }
        }
    }
    if let Err(e) = spec.check() {
        error(e.to_string());
    }
    let measured = FRONT_DOOR_METRICS.map(|n| format!("`{n}`")).join(" and ");
    for m in &spec.metrics {
        let known = FRONT_DOOR_METRICS.contains(&m.name.as_str());
        match (group.value.lambda.is_some(), &m.cloudwatch) {
            (false, Some(_)) => error(format!(
                "metric `{}`: cloudwatch: a local group's front door measures {measured} per fleet; a version's CloudWatch metrics are read for Lambda groups",
                m.name
            )),
            (false, None) if !known => error(format!("metric `{}`: the front door measures {measured} per fleet", m.name)),
            (true, None) if !known => error(format!(
                "metric `{}`: give it `cloudwatch: {{ metric, statistic }}` (a Lambda metric per version, e.g. Duration with p99), or use {measured}",
                m.name
            )),
            _ => {}
        }
    }
    ok.then(|| spec.clone())
}
