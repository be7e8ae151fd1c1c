//! CloudWatch adapters on aws-sdk-cloudwatch: `CloudWatchMetrics` (`PutMetricData`, in batches
//! within the API's limits; the SDK's standard retries handle throttling) and `CloudWatchAlarms`
//! (`DescribeAlarms`, `DescribeAlarmHistory`, `GetMetricData`), mapped to Baton's domain types.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{AlarmType, Dimension, HistoryItemType, Metric, MetricDataQuery, MetricStat, StandardUnit, StateValue};
use aws_smithy_types::DateTime;
use baton_core::alarm::AlarmState;
use baton_core::ports::{AlarmWatch, MetricDatum, MetricsSink, PortError, PortResult};

use crate::sdk::port_error;

/// `PutMetricData` takes at most 1,000 datums per request.
pub const MAX_DATUMS_PER_REQUEST: usize = 1000;

#[derive(Debug, Clone)]
pub struct CloudWatchMetrics {
    client: Client,
}

impl CloudWatchMetrics {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn dimensions(dims: &BTreeMap<String, String>) -> Vec<Dimension> {
    dims.iter().map(|(k, v)| Dimension::builder().name(k).value(v).build()).collect()
}

#[async_trait]
impl MetricsSink for CloudWatchMetrics {
    async fn put(&self, data: &[MetricDatum]) -> PortResult<()> {
        // One request per namespace, each in chunks the API accepts.
        let mut by_namespace: BTreeMap<&str, Vec<&MetricDatum>> = BTreeMap::new();
        for d in data {
            by_namespace.entry(&d.namespace).or_default().push(d);
        }
        for (namespace, datums) in by_namespace {
            for chunk in datums.chunks(MAX_DATUMS_PER_REQUEST) {
                let items = chunk
                    .iter()
                    .map(|d| {
                        aws_sdk_cloudwatch::types::MetricDatum::builder()
                            .metric_name(&d.name)
                            .set_dimensions(Some(dimensions(&d.dimensions)))
                            .value(d.value)
                            .unit(StandardUnit::from(d.unit.as_str()))
                            .timestamp(DateTime::from_millis(d.timestamp_ms))
                            .build()
                    })
                    .collect();
                self.client
                    .put_metric_data()
                    .namespace(namespace)
                    .set_metric_data(Some(items))
                    .send()
                    .await
                    .map_err(|e| port_error("CloudWatch PutMetricData", &e))?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct CloudWatchAlarms {
    client: Client,
    /// What the deployment puts before pipeline.yml's alarm names (`<stack>-`): alarm names
    /// are unique per account and region, so two stacks of one pipeline need their own.
    prefix: String,
}

/// One state change of an alarm, as `DescribeAlarmHistory` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub timestamp_ms: i64,
    pub summary: String,
}

fn state(v: &StateValue) -> AlarmState {
    match v {
        StateValue::Alarm => AlarmState::Alarm,
        StateValue::Ok => AlarmState::Ok,
        _ => AlarmState::InsufficientData,
    }
}

impl CloudWatchAlarms {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            prefix: String::new(),
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// pipeline.yml's name of a CloudWatch alarm; `None` for alarms of other stacks.
    pub fn pipeline_name<'a>(&self, cloud_name: &'a str) -> Option<&'a str> {
        cloud_name.strip_prefix(&self.prefix)
    }

    pub async fn history(&self, alarm: &str) -> PortResult<Vec<HistoryItem>> {
        let out = self
            .client
            .describe_alarm_history()
            .alarm_name(alarm)
            .history_item_type(HistoryItemType::StateUpdate)
            .send()
            .await
            .map_err(|e| port_error("CloudWatch DescribeAlarmHistory", &e))?;
        Ok(out
            .alarm_history_items()
            .iter()
            .map(|i| HistoryItem {
                timestamp_ms: i.timestamp().map_or(0, |t| t.to_millis().unwrap_or(0)),
                summary: i.history_summary().unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// Every series of `namespace` (`ListMetrics`, page by page).
    pub async fn list(&self, namespace: &str) -> PortResult<Vec<(String, BTreeMap<String, String>)>> {
        let mut series = Vec::new();
        let mut pages = self.client.list_metrics().namespace(namespace).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("CloudWatch ListMetrics", &e))?;
            for m in page.metrics() {
                let dimensions = m
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                    .collect();
                series.push((m.metric_name().unwrap_or_default().to_string(), dimensions));
            }
        }
        Ok(series)
    }

    /// Datapoints of one series with a statistic per period, like `baton metrics` reads locally.
    pub async fn series(&self, datum: &MetricDatum, stat: &str, period_secs: i32, from_ms: i64, to_ms: i64) -> PortResult<Vec<(i64, f64)>> {
        let query = MetricDataQuery::builder()
            .id("q")
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace(&datum.namespace)
                            .metric_name(&datum.name)
                            .set_dimensions(Some(dimensions(&datum.dimensions)))
                            .build(),
                    )
                    .period(period_secs)
                    .stat(stat)
                    .build(),
            )
            .build();
        let out = self
            .client
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from_millis(from_ms))
            .end_time(DateTime::from_millis(to_ms))
            .send()
            .await
            .map_err(|e| port_error("CloudWatch GetMetricData", &e))?;
        let Some(result) = out.metric_data_results().first() else {
            return Ok(Vec::new());
        };
        Ok(result
            .timestamps()
            .iter()
            .zip(result.values())
            .map(|(t, v)| (t.to_millis().unwrap_or(0), *v))
            .collect())
    }
}

#[async_trait]
impl AlarmWatch for CloudWatchAlarms {
    async fn state(&self, alarm: &str) -> PortResult<AlarmState> {
        let out = self
            .client
            .describe_alarms()
            .alarm_names(format!("{}{alarm}", self.prefix))
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .send()
            .await
            .map_err(|e| port_error("CloudWatch DescribeAlarms", &e))?;
        let found = out
            .metric_alarms()
            .iter()
            .find_map(|a| a.state_value())
            .or_else(|| out.composite_alarms().iter().find_map(|a| a.state_value()));
        found
            .map(state)
            .ok_or_else(|| PortError::permanent(format!("CloudWatch has no alarm named {alarm}")))
    }
}
