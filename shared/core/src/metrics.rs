//! The metrics Baton publishes: namespace `Baton`, dimensions `Pipeline`, `Stage`, `Action`,
//! `DeploymentGroup`. Handlers build datums here and hand them to a `MetricsSink`.

use std::collections::BTreeMap;

use crate::ports::MetricDatum;

pub const NAMESPACE: &str = "Baton";

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub fn datum(name: &str, value: f64, unit: &str, dimensions: BTreeMap<String, String>) -> MetricDatum {
    MetricDatum {
        namespace: NAMESPACE.into(),
        name: name.into(),
        dimensions,
        value,
        unit: unit.into(),
        timestamp_ms: now_ms(),
    }
}

pub fn pipeline_dims(pipeline: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("Pipeline".to_string(), pipeline.to_string())])
}

/// `{Pipeline, Stage, Action}` from a state name such as `Build:Compile`.
pub fn action_dims(pipeline: &str, state: &str) -> BTreeMap<String, String> {
    let (stage, action) = state.split_once(':').unwrap_or((state, state));
    let mut d = pipeline_dims(pipeline);
    d.insert("Stage".into(), stage.into());
    d.insert("Action".into(), action.into());
    d
}

pub fn group_dims(pipeline: &str, group: &str) -> BTreeMap<String, String> {
    let mut d = pipeline_dims(pipeline);
    d.insert("DeploymentGroup".into(), group.into());
    d
}
