//! The metric reads of [`LocalOperations`]: the SQLite store as `ListMetrics` and
//! `GetMetricData` read CloudWatch.

use std::collections::BTreeMap;

use baton_core::metrics::{MetricSeries, MetricWindow};
use baton_core::operations::OperationError;

use super::LocalOperations;
use crate::cloudwatch::SqliteMetrics;
use crate::query;

pub(super) fn series(ops: &LocalOperations) -> Result<Vec<MetricSeries>, OperationError> {
    if !ops.state_dir.join("baton.db").exists() {
        return Err(OperationError::NotFound(format!(
            "no metrics yet in {}; start a run with `baton run`",
            ops.state_dir.display()
        )));
    }
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
