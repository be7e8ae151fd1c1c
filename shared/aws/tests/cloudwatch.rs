//! The CloudWatch adapters with the real SDK over aws-smithy-mocks (moto does not route the CBOR
//! protocol the current aws-sdk-cloudwatch speaks).

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::operation::describe_alarm_history::DescribeAlarmHistoryOutput;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::operation::put_metric_data::{PutMetricDataError, PutMetricDataOutput};
use aws_sdk_cloudwatch::types::error::InvalidParameterValueException;
use aws_sdk_cloudwatch::types::{AlarmHistoryItem, CompositeAlarm, MetricAlarm, MetricDataResult, StateValue};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::DateTime;
use aws_smithy_types::body::SdkBody;
use baton_aws::cloudwatch::{CloudWatchAlarms, CloudWatchMetrics, HistoryItem};
use baton_core::alarm::AlarmState;
use baton_core::ports::{AlarmWatch, MetricDatum, MetricsSink};

fn datum(namespace: &str, i: usize) -> MetricDatum {
    MetricDatum {
        namespace: namespace.into(),
        name: "ActionDuration".into(),
        dimensions: BTreeMap::from([("Pipeline".into(), "hello".into()), ("Stage".into(), "Build".into())]),
        value: i as f64,
        unit: "Milliseconds".into(),
        timestamp_ms: 1_700_000_000_000,
    }
}

#[tokio::test]
async fn put_metric_data_batches_within_the_api_limit() {
    let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let rule = mock!(Client::put_metric_data)
        .match_requests(|req| {
            let d = &req.metric_data()[0];
            req.namespace() == Some("Baton")
                && d.metric_name() == Some("ActionDuration")
                && d.dimensions()
                    .iter()
                    .any(|x| x.name() == Some("Stage") && x.value() == Some("Build"))
                && d.unit().map(|u| u.as_str()) == Some("Milliseconds")
                && d.timestamp().map(|t| t.to_millis().unwrap()) == Some(1_700_000_000_000)
        })
        .then_compute_output(move |req| {
            seen.lock().unwrap().push(req.metric_data().len());
            PutMetricDataOutput::builder().build()
        });
    let other = mock!(Client::put_metric_data)
        .match_requests(|req| req.namespace() == Some("Other"))
        .then_output(|| PutMetricDataOutput::builder().build());
    let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule, &other]);
    let mut data: Vec<MetricDatum> = (0..2500).map(|i| datum("Baton", i)).collect();
    data.push(datum("Other", 0));
    CloudWatchMetrics::new(client).put(&data).await.unwrap();
    assert_eq!(*sizes.lock().unwrap(), [1000, 1000, 500]);
    assert_eq!(other.num_calls(), 1, "each namespace is its own request");
}

#[tokio::test]
async fn service_faults_are_transient_errors() {
    // CloudWatch answers an internal fault with HTTP 500.
    let rule =
        mock!(Client::put_metric_data).then_http_response(|| HttpResponse::new(StatusCode::try_from(500).unwrap(), SdkBody::from("")));
    let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule]);
    let err = CloudWatchMetrics::new(client).put(&[datum("Baton", 1)]).await.unwrap_err();
    assert!(err.transient, "{err:?}");
    assert!(err.message.contains("PutMetricData"), "{err:?}");
    assert!(rule.num_calls() >= 1);

    // A modeled client error (a bad request) is not worth a retry.
    let rule = mock!(Client::put_metric_data).then_error(|| {
        PutMetricDataError::InvalidParameterValueException(InvalidParameterValueException::builder().message("bad unit").build())
    });
    let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&rule]);
    let err = CloudWatchMetrics::new(client).put(&[datum("Baton", 1)]).await.unwrap_err();
    assert!(!err.transient, "{err:?}");
}

#[tokio::test]
async fn alarm_states_come_from_describe_alarms() {
    let metric = mock!(Client::describe_alarms)
        .match_requests(|req| req.alarm_names() == ["staging-health"])
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("staging-health")
                        .state_value(StateValue::Alarm)
                        .build(),
                )
                .build()
        });
    let composite = mock!(Client::describe_alarms)
        .match_requests(|req| req.alarm_names() == ["any"])
        .then_output(|| {
            DescribeAlarmsOutput::builder()
                .composite_alarms(CompositeAlarm::builder().alarm_name("any").state_value(StateValue::Ok).build())
                .build()
        });
    let missing = mock!(Client::describe_alarms)
        .match_requests(|req| req.alarm_names() == ["nope"])
        .then_output(|| DescribeAlarmsOutput::builder().build());
    let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&metric, &composite, &missing]);
    let alarms = CloudWatchAlarms::new(client);
    assert_eq!(alarms.state("staging-health").await.unwrap(), AlarmState::Alarm);
    assert_eq!(alarms.state("any").await.unwrap(), AlarmState::Ok);
    let err = alarms.state("nope").await.unwrap_err();
    assert!(!err.transient && err.message.contains("nope"));
}

#[tokio::test]
async fn history_and_metric_data_are_mapped() {
    let history = mock!(Client::describe_alarm_history).then_output(|| {
        DescribeAlarmHistoryOutput::builder()
            .alarm_history_items(
                AlarmHistoryItem::builder()
                    .timestamp(DateTime::from_millis(1_700_000_060_000))
                    .history_summary("Alarm updated from OK to ALARM")
                    .build(),
            )
            .build()
    });
    let data = mock!(Client::get_metric_data)
        .match_requests(|req| {
            let stat = req.metric_data_queries()[0].metric_stat().unwrap();
            stat.period() == Some(60) && stat.stat() == Some("p99") && stat.metric().unwrap().metric_name() == Some("ActionDuration")
        })
        .then_output(|| {
            GetMetricDataOutput::builder()
                .metric_data_results(
                    MetricDataResult::builder()
                        .id("q")
                        .timestamps(DateTime::from_millis(1_700_000_000_000))
                        .timestamps(DateTime::from_millis(1_700_000_060_000))
                        .values(5.0)
                        .values(7.0)
                        .build(),
                )
                .build()
        });
    let client = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&history, &data]);
    let alarms = CloudWatchAlarms::new(client);
    assert_eq!(
        alarms.history("staging-health").await.unwrap(),
        [HistoryItem {
            timestamp_ms: 1_700_000_060_000,
            summary: "Alarm updated from OK to ALARM".into()
        }]
    );
    let series = alarms
        .series(&datum("Baton", 0), "p99", 60, 1_700_000_000_000, 1_700_000_120_000)
        .await
        .unwrap();
    assert_eq!(series, [(1_700_000_000_000, 5.0), (1_700_000_060_000, 7.0)]);
}
