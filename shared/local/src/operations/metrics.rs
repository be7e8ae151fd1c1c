//! The metric reads of [`LocalOperations`]: the SQLite store as `ListMetrics` and
//! `GetMetricData` read CloudWatch.

use std::collections::BTreeMap;

use baton_core::dora::Dora;
use baton_core::metrics::{MetricSeries, MetricWindow};
use baton_core::operations::OperationError;

use super::LocalOperations;
use crate::cloudwatch::SqliteMetrics;
use crate::query;

/// Refused before any run: there is nothing to read, and no state directory to make.
fn ran(ops: &LocalOperations) -> Result<(), OperationError> {
    if ops.state_dir.join("baton.db").exists() {
        return Ok(());
    }
    Err(OperationError::NotFound(format!(
        "no metrics yet in {}; start a run with `baton run`",
        ops.state_dir.display()
    )))
}

pub(super) fn series(ops: &LocalOperations) -> Result<Vec<MetricSeries>, OperationError> {
    ran(ops)?;
    Ok(query::metric_series(&*ops.db()?)?
        .into_iter()
        .map(|s| MetricSeries {
            namespace: s.namespace,
            name: s.name,
            dimensions: s.dimensions,
            datapoints: Some(s.datapoints),
            last_timestamp_ms: Some(s.last_timestamp_ms),
            unit: Some(s.unit),
        })
        .collect())
}

/// DORA's figures from this state directory's records ([`crate::dora`]).
pub(super) fn dora(ops: &LocalOperations, since_ms: i64, now_ms: i64) -> Result<Dora, OperationError> {
    ran(ops)?;
    let pipeline = baton_core::load_pipeline(&ops.pipeline_file).map_err(|e| OperationError::Invalid(e.to_string()))?;
    Ok(crate::dora::compute(&*ops.db()?, &pipeline.name, since_ms, now_ms)?)
}

/// The series' datapoints since the window starts, each period's aggregated by its statistic.
pub(super) fn data(ops: &LocalOperations, series: &MetricSeries, window: MetricWindow) -> Result<Vec<(i64, f64)>, OperationError> {
    let store = SqliteMetrics::new(ops.db()?);
    let points = store.series(&series.namespace, &series.name, &series.dimensions, window.since_ms)?;
    let period = i64::try_from(window.period_secs.max(1)).unwrap_or(i64::MAX / 1000) * 1000;
    let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for (t, v) in points {
        buckets.entry(t.div_euclid(period) * period).or_default().push(v);
    }
    Ok(buckets
        .into_iter()
        .filter_map(|(t, vs)| window.statistic.aggregate(&vs).map(|v| (t, v)))
        .collect())
}
