//! A Lambda group's canary as its analysis reads it on AWS (`baton_aws::canary`): the shift from
//! the CodeDeploy deployment's appspec (moto's CodeDeploy, over HTTP), the samples from Lambda's
//! per-version metrics (CloudWatch through aws-smithy-mocks: moto does not route the CBOR
//! protocol its SDK speaks), each version asked by its `ExecutedVersion`.
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataInput, GetMetricDataOutput};
use aws_sdk_cloudwatch::types::MetricDataResult;
use aws_sdk_codedeploy::types::{AppSpecContent, RevisionLocation, RevisionLocationType};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use baton_aws::canary::LambdaCanary;
use baton_aws::cloudwatch::CloudWatchAlarms;
use baton_aws::lambda_deploy::{LambdaGroup, Shift, appspec};
use baton_core::analysis::MetricSpec;
use baton_core::ports::CanarySource;
use common::Moto;

/// The metric, version and statistic a `GetMetricData` request asks for.
fn asked(r: &GetMetricDataInput) -> (String, String, String) {
    let stat = r.metric_data_queries()[0].metric_stat().unwrap();
    let metric = stat.metric().unwrap();
    let version = metric
        .dimensions()
        .iter()
        .find(|d| d.name() == Some("ExecutedVersion"))
        .and_then(|d| d.value())
        .unwrap_or_default();
    (
        metric.metric_name().unwrap_or_default().to_string(),
        version.to_string(),
        stat.stat().unwrap_or_default().to_string(),
    )
}

fn points(values: &[(i64, f64)]) -> GetMetricDataOutput {
    let mut result = MetricDataResult::builder();
    for (secs, v) in values {
        result = result.timestamps(DateTime::from_secs(*secs)).values(*v);
    }
    GetMetricDataOutput::builder().metric_data_results(result.build()).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_canary_is_the_deployments_two_versions_read_from_lambdas_metrics() {
    let moto = Moto::start();
    let codedeploy = moto.deployment_group("hello-lambda", "api").await;
    let group = LambdaGroup {
        function: "hello-api".into(),
        alias: "live".into(),
        deployment_config: None,
        application: None,
    };
    let shift = Shift {
        current: "3".into(),
        target: "4".into(),
    };
    let content = AppSpecContent::builder().content(appspec(&group, &shift)).build();
    let deployment = codedeploy
        .create_deployment()
        .application_name("hello-lambda")
        .deployment_group_name("api")
        .revision(
            RevisionLocation::builder()
                .revision_type(RevisionLocationType::AppSpecContent)
                .app_spec_content(content)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = deployment.deployment_id().unwrap();

    // Version 4 (the canary) is slower and fails one call in 50; version 3 fails none.
    let duration = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r).0 == "Duration" && asked(r).2 == "Average")
        .then_output(|| points(&[(0, 100.0), (60, 110.0)]));
    let canary_duration = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r) == ("Duration".into(), "4".into(), "Average".into()))
        .then_output(|| points(&[(0, 150.0), (60, 160.0)]));
    let invocations = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r).0 == "Invocations" && asked(r).2 == "Sum")
        .then_output(|| points(&[(0, 50.0), (60, 100.0)]));
    let canary_errors = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r) == ("Errors".into(), "4".into(), "Sum".into()))
        .then_output(|| points(&[(0, 1.0)]));
    let errors = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r).0 == "Errors")
        .then_output(|| points(&[]));
    // A metric named with its CloudWatch source: the 99th percentile of Duration, per version.
    let p99 = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r) == ("Duration".into(), "4".into(), "p99".into()))
        .then_output(|| points(&[(0, 900.0)]));
    let baseline_p99 = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .match_requests(|r| asked(r) == ("Duration".into(), "3".into(), "p99".into()))
        .then_output(|| points(&[(0, 300.0)]));
    let cloudwatch = mock_client!(
        aws_sdk_cloudwatch,
        RuleMode::MatchAny,
        [
            &p99,
            &baseline_p99,
            &canary_duration,
            &duration,
            &invocations,
            &canary_errors,
            &errors
        ]
    );
    let canary = LambdaCanary::new(codedeploy, CloudWatchAlarms::new(cloudwatch));

    let read = canary.shift(id).await.unwrap().expect("the deployment");
    assert_eq!(
        (read.target.as_str(), read.baseline.as_str(), read.canary.as_str(), read.in_progress),
        ("hello-api:live", "3", "4", true)
    );
    let metrics: Vec<MetricSpec> = serde_json::from_value(serde_json::json!([
        {"name": "latency", "direction": "increase"},
        {"name": "errors", "direction": "increase"},
        {"name": "tail", "direction": "increase", "cloudwatch": {"metric": "Duration", "statistic": "p99"}}
    ]))
    .unwrap();
    let samples = canary.samples(&read, &metrics, 0, 120_000).await.unwrap();
    assert_eq!(samples.canary["tail"], [(0, 900.0)], "p99 of the canary's Duration");
    assert_eq!(samples.baseline["tail"], [(0, 300.0)], "and of the baseline's");
    assert_eq!(samples.canary["latency"], [(0, 150.0), (60_000, 160.0)]);
    assert_eq!(samples.baseline["latency"], [(0, 100.0), (60_000, 110.0)]);
    assert_eq!(
        samples.canary["errors"],
        [(0, 0.02), (60_000, 0.0)],
        "errors over invocations, per minute"
    );
    assert_eq!(samples.baseline["errors"], [(0, 0.0), (60_000, 0.0)]);

    // A deployment CodeDeploy does not know is nothing to judge.
    assert_eq!(canary.shift("d-NOPE12345").await.unwrap(), None);
}
