//! `LambdaCanary`: a Lambda group's canary as its analysis reads it on AWS. The shift is the
//! CodeDeploy deployment's (`GetDeployment`: its status, and the appspec Baton gave it naming
//! the function, the alias and the two versions); the samples are Lambda's own per-version
//! metrics in CloudWatch, one point a minute (`GetMetricData` on `AWS/Lambda` with the
//! `FunctionName`, `Resource` = `function:alias` and `ExecutedVersion` dimensions), read as the
//! local front door measures its fleets: `latency` is the minute's average `Duration` (ms), and
//! `errors` the share of the minute's invocations that failed (`Errors` / `Invocations`), and a
//! metric with a `cloudwatch` source that metric with its statistic, each minute.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_codedeploy::Client;
use baton_core::analysis::MetricSpec;
use baton_core::ports::{CanaryShift, CanarySource, MetricDatum, PortError, PortResult, TimedSamples};
use serde::Deserialize;

use crate::cloudwatch::CloudWatchAlarms;
use crate::sdk::port_error;

/// Lambda sends its metrics once a minute.
const PERIOD_SECS: i32 = 60;

#[derive(Debug, Clone)]
pub struct LambdaCanary {
    codedeploy: Client,
    cloudwatch: CloudWatchAlarms,
}

impl LambdaCanary {
    pub fn new(codedeploy: Client, cloudwatch: CloudWatchAlarms) -> Self {
        Self { codedeploy, cloudwatch }
    }

    /// One version's series of a Lambda metric with a statistic per minute.
    async fn series(
        &self,
        shift: &CanaryShift,
        version: &str,
        metric: &str,
        stat: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> PortResult<Vec<(i64, f64)>> {
        let function = shift.target.split_once(':').map_or(shift.target.as_str(), |(f, _)| f);
        let datum = MetricDatum {
            namespace: "AWS/Lambda".into(),
            name: metric.into(),
            dimensions: BTreeMap::from([
                ("FunctionName".to_string(), function.to_string()),
                ("Resource".to_string(), shift.target.clone()),
                ("ExecutedVersion".to_string(), version.to_string()),
            ]),
            value: 0.0,
            unit: String::new(),
            timestamp_ms: 0,
        };
        self.cloudwatch.series(&datum, stat, PERIOD_SECS, from_ms, to_ms).await
    }

    /// One version's samples of `metrics`.
    async fn version(
        &self,
        shift: &CanaryShift,
        version: &str,
        metrics: &[MetricSpec],
        from_ms: i64,
        to_ms: i64,
    ) -> PortResult<BTreeMap<String, Vec<(i64, f64)>>> {
        let mut out = BTreeMap::new();
        for m in metrics {
            let points = match (&m.cloudwatch, m.name.as_str()) {
                (Some(source), _) => {
                    self.series(shift, version, &source.metric, &source.statistic, from_ms, to_ms)
                        .await?
                }
                (None, "latency") => self.series(shift, version, "Duration", "Average", from_ms, to_ms).await?,
                (None, "errors") => {
                    let errors: BTreeMap<i64, f64> = self
                        .series(shift, version, "Errors", "Sum", from_ms, to_ms)
                        .await?
                        .into_iter()
                        .collect();
                    let invocations = self.series(shift, version, "Invocations", "Sum", from_ms, to_ms).await?;
                    error_rates(&invocations, &errors)
                }
                (None, other) => {
                    return Err(PortError::permanent(format!(
                        "a Lambda canary has no metric `{other}`: it reads latency, errors, or a metric with its `cloudwatch` source"
                    )));
                }
            };
            out.insert(m.name.clone(), points);
        }
        Ok(out)
    }
}

/// Each minute's share of failed invocations; a minute without invocations is no sample (Lambda
/// sends nothing for it, and a rate of nothing is not 0).
fn error_rates(invocations: &[(i64, f64)], errors: &BTreeMap<i64, f64>) -> Vec<(i64, f64)> {
    invocations
        .iter()
        .filter(|(_, n)| *n > 0.0)
        .map(|(at, n)| (*at, errors.get(at).copied().unwrap_or(0.0) / n))
        .collect()
}

/// The appspec Baton gives a Lambda deployment (`lambda_deploy::appspec`), the part read here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AppSpec {
    resources: Vec<BTreeMap<String, Resource>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Resource {
    properties: Properties,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    name: String,
    alias: String,
    current_version: String,
    target_version: String,
}

fn shift_of(appspec: &str, in_progress: bool) -> PortResult<CanaryShift> {
    let spec: AppSpec =
        serde_json::from_str(appspec).map_err(|e| PortError::permanent(format!("the deployment's appspec does not read: {e}")))?;
    let p = spec
        .resources
        .into_iter()
        .flat_map(BTreeMap::into_values)
        .next()
        .map(|r| r.properties)
        .ok_or_else(|| PortError::permanent("the deployment's appspec names no function"))?;
    Ok(CanaryShift {
        target: format!("{}:{}", p.name, p.alias),
        baseline: p.current_version,
        canary: p.target_version,
        in_progress,
    })
}

#[async_trait]
impl CanarySource for LambdaCanary {
    async fn shift(&self, deployment_id: &str) -> PortResult<Option<CanaryShift>> {
        let out = match self.codedeploy.get_deployment().deployment_id(deployment_id).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_deployment_does_not_exist_exception()) => return Ok(None),
            Err(e) => return Err(port_error("CodeDeploy GetDeployment", &e)),
        };
        let Some(info) = out.deployment_info() else { return Ok(None) };
        let in_progress = info.status().is_none_or(|s| !crate::codedeploy::status(s).is_terminal());
        let Some(appspec) = info.revision().and_then(|r| r.app_spec_content()).and_then(|a| a.content()) else {
            return Err(PortError::permanent(format!(
                "deployment {deployment_id} has no appspec content: it is not a Lambda deployment"
            )));
        };
        shift_of(appspec, in_progress).map(Some)
    }

    async fn samples(&self, shift: &CanaryShift, metrics: &[MetricSpec], from_ms: i64, to_ms: i64) -> PortResult<TimedSamples> {
        Ok(TimedSamples {
            canary: self.version(shift, &shift.canary, metrics, from_ms, to_ms).await?,
            baseline: self.version(shift, &shift.baseline, metrics, from_ms, to_ms).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_appspec_naming_no_function_is_refused() {
        // The one Baton writes reads back in tests/canary.rs, through moto's CodeDeploy.
        assert!(shift_of("{}", true).is_err());
        assert!(shift_of(r#"{"version": 0.0, "Resources": []}"#, true).is_err());
    }

    #[test]
    fn an_error_rate_is_per_minute_with_invocations() {
        let invocations = [(0, 100.0), (60_000, 0.0), (120_000, 50.0)];
        let errors = BTreeMap::from([(0, 2.0)]);
        assert_eq!(error_rates(&invocations, &errors), [(0, 0.02), (120_000, 0.0)]);
    }
}
