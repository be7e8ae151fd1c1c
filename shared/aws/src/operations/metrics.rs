//! The metric reads of [`AwsOperations`]: the stack's `Baton` namespace in CloudWatch
//! (`ListMetrics`, `GetMetricData`), what `baton metrics --stack` shows.

use baton_core::metrics::{MetricSeries, MetricWindow, NAMESPACE};
use baton_core::operations::OperationError;
use baton_core::ports::MetricDatum;

use super::{AwsOperations, internal};

/// The periods CloudWatch accepts for a high-resolution metric; above a minute, any multiple
/// of 60 ("Period" in the `MetricStat` reference: 1, 5, 10, 20, 30, 60).
const SHORT_PERIODS: [u64; 5] = [1, 5, 10, 20, 30];

impl AwsOperations {
    pub(super) async fn series(&self) -> Result<Vec<MetricSeries>, OperationError> {
        let mut series: Vec<MetricSeries> = self
            .cloudwatch
            .list(NAMESPACE)
            .await
            .map_err(internal)?
            .into_iter()
            // One stack's pipeline: other pipelines of the account publish to the same namespace.
            .filter(|(_, dims)| dims.get("Pipeline") == Some(&self.pipeline.name))
            .map(|(name, dimensions)| MetricSeries {
                namespace: NAMESPACE.into(),
                name,
                dimensions,
                datapoints: None,
                last_timestamp_ms: None,
                unit: None,
            })
            .collect();
        series.sort_by(|a, b| (&a.name, &a.dimensions).cmp(&(&b.name, &b.dimensions)));
        Ok(series)
    }

    pub(super) async fn data(&self, series: &MetricSeries, window: MetricWindow) -> Result<Vec<(i64, f64)>, OperationError> {
        let period = window.period_secs;
        if !(SHORT_PERIODS.contains(&period) || (period >= 60 && period.is_multiple_of(60))) {
            return Err(OperationError::Invalid(format!(
                "CloudWatch takes a period of 1, 5, 10, 20 or 30 seconds, or a multiple of 60; not {period}s"
            )));
        }
        let period = i32::try_from(period)
            .map_err(|_| OperationError::Invalid(format!("a period of {period}s is longer than CloudWatch keeps data")))?;
        let datum = MetricDatum {
            namespace: series.namespace.clone(),
            name: series.name.clone(),
            dimensions: series.dimensions.clone(),
            value: 0.0,
            unit: String::new(),
            timestamp_ms: 0,
        };
        let now = baton_core::metrics::now_ms();
        self.cloudwatch
            .series(&datum, &window.statistic.to_string(), period, window.since_ms, now)
            .await
            .map_err(internal)
    }
}
