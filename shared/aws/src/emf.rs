//! `EmfMetricsSink`: metrics as CloudWatch Embedded Metric Format log lines. On Lambda, a line
//! printed to stdout becomes metrics in CloudWatch with no API call on the hot path.
//!
//! One line per (namespace, dimensions, timestamp), following the EMF specification: an `_aws`
//! member with `Timestamp` (ms) and `CloudWatchMetrics` directives (`Namespace`, `Dimensions` as
//! one dimension set, `Metrics` with `Name` and `Unit`), and every dimension and metric as a
//! top-level member (a metric reported twice in a line is an array of values).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;

use async_trait::async_trait;
use baton_core::ports::{MetricDatum, MetricsSink, PortError, PortResult};
use serde_json::{Map, Value, json};

/// The EMF specification's limits on one directive.
pub const MAX_DIMENSIONS: usize = 30;
pub const MAX_METRICS: usize = 100;
pub const MAX_VALUES: usize = 100;

#[derive(Debug)]
pub struct EmfMetricsSink<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> EmfMetricsSink<W> {
    pub fn new(out: W) -> Self {
        Self { out: Mutex::new(out) }
    }

    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl EmfMetricsSink<std::io::Stdout> {
    /// Lambda's log stream.
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }
}

/// The EMF documents for a batch of datums.
pub fn documents(data: &[MetricDatum]) -> Vec<Value> {
    let mut groups: BTreeMap<(String, String, i64), Vec<&MetricDatum>> = BTreeMap::new();
    for d in data {
        let dims = serde_json::to_string(&d.dimensions).unwrap_or_default();
        groups.entry((d.namespace.clone(), dims, d.timestamp_ms)).or_default().push(d);
    }
    let mut docs = Vec::new();
    for ((namespace, _, timestamp), datums) in groups {
        let dimensions = &datums[0].dimensions;
        // Values of one metric name, then lines of at most MAX_METRICS names.
        let mut metrics: BTreeMap<&str, (&str, Vec<f64>)> = BTreeMap::new();
        for d in &datums {
            metrics
                .entry(d.name.as_str())
                .or_insert((d.unit.as_str(), Vec::new()))
                .1
                .push(d.value);
        }
        let names: Vec<_> = metrics.into_iter().collect();
        for chunk in names.chunks(MAX_METRICS) {
            let mut doc = Map::new();
            let dim_names: Vec<&String> = dimensions.keys().take(MAX_DIMENSIONS).collect();
            let directives: Vec<Value> = chunk.iter().map(|(name, (unit, _))| json!({"Name": name, "Unit": unit})).collect();
            doc.insert(
                "_aws".into(),
                json!({"Timestamp": timestamp, "CloudWatchMetrics": [{"Namespace": namespace, "Dimensions": [dim_names], "Metrics": directives}]}),
            );
            for (k, v) in dimensions.iter().take(MAX_DIMENSIONS) {
                doc.insert(k.clone(), Value::String(v.clone()));
            }
            for (name, (_, values)) in chunk {
                let value = match values.as_slice() {
                    [one] => json!(one),
                    many => json!(many.iter().take(MAX_VALUES).collect::<Vec<_>>()),
                };
                doc.insert((*name).to_string(), value);
            }
            docs.push(Value::Object(doc));
        }
    }
    docs
}

#[async_trait]
impl<W: Write + Send> MetricsSink for EmfMetricsSink<W> {
    async fn put(&self, data: &[MetricDatum]) -> PortResult<()> {
        let mut out = self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for doc in documents(data) {
            writeln!(out, "{doc}").map_err(|e| PortError::transient(format!("writing EMF: {e}")))?;
        }
        out.flush().map_err(|e| PortError::transient(format!("writing EMF: {e}")))
    }
}
