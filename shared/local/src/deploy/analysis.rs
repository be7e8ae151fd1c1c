//! A traffic-shifting deployment's canary analysis: while the replacement fleet holds its first
//! share of traffic, the front door's samples of each fleet are judged interval by interval
//! (`baton_core::analysis::Cumulative`: each on every sample since the canary took its share). A
//! failing verdict ends the shift as an alarm does, with the traffic back on the original fleet;
//! promotion lets the shift go on.

use std::collections::BTreeMap;
use std::time::Duration;

use baton_core::analysis::{AnalysisSpec, Baseline, Cumulative, Decision, IntervalResult, IntervalSamples, Load};
use baton_core::model::Group;
use rusqlite::params;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::LocalDeployer;
use super::shift::Interrupt;
use crate::deploy::traffic::{FleetSamples, Sample, TrafficSplit};

/// The front door's samples of each fleet, as the judge's metrics: the replacement is the
/// canary, the baseline the original fleet or the fresh one.
pub fn interval_samples([original, replacement, fresh]: FleetSamples, baseline: Baseline) -> IntervalSamples {
    IntervalSamples {
        canary: metrics(&replacement),
        baseline: metrics(match baseline {
            Baseline::Serving => &original,
            Baseline::Fresh => &fresh,
        }),
    }
}

impl LocalDeployer {
    /// Judges the canary for the analysis's intervals, or until an alarm, a stop or the verdict
    /// interrupts; `None` when it was promoted.
    pub(super) async fn analyse(&self, id: &str, group: &Group, front: &TrafficSplit, spec: &AnalysisSpec) -> Option<Interrupt> {
        let _load = spec.load.as_ref().map(|l| SyntheticLoad::start(front.port(), l));
        // What came before the canary had its share is not the canary's.
        front.take_samples();
        let mut analysis = Cumulative::new(spec);
        for _ in 0..spec.intervals {
            if let Some(interrupt) = self.watch(id, group, spec.interval.0).await {
                return Some(interrupt);
            }
            let result = analysis.judge(interval_samples(front.take_samples(), spec.baseline));
            tracing::info!(
                deployment_id = id,
                group = %group.name,
                interval = result.interval,
                score = result.score,
                decision = result.decision.as_str(),
                reason = %result.reason,
                "canary analysis interval judged"
            );
            self.record_analysis(id, result);
            match result.decision {
                Decision::Continue => {}
                Decision::Promote => return None,
                Decision::Fail => {
                    return Some(Interrupt::Analysis(format!(
                        "the canary analysis failed at interval {} of {}: {}",
                        result.interval, spec.intervals, result.reason
                    )));
                }
            }
        }
        None
    }

    fn record_analysis(&self, id: &str, result: &IntervalResult) {
        let Ok(text) = serde_json::to_string(result) else { return };
        if let Err(e) = self.inner.db.lock().execute(
            "INSERT OR REPLACE INTO canary_analysis (deployment_id, interval, result) VALUES (?1, ?2, ?3)",
            params![id, result.interval, text],
        ) {
            tracing::warn!(deployment_id = id, error = %e, "the analysis interval was not recorded");
        }
    }
}

/// The front door's metrics of one fleet's samples, by the names pipeline.yml gives them.
fn metrics(samples: &[Sample]) -> BTreeMap<String, Vec<f64>> {
    BTreeMap::from([
        ("latency".to_string(), samples.iter().map(|s| s.latency_ms).collect()),
        (
            "errors".to_string(),
            samples.iter().map(|s| f64::from(u8::from(s.failed))).collect(),
        ),
    ])
}

/// `GET` requests sent through a front door at a steady rate until dropped.
#[derive(Debug)]
pub struct SyntheticLoad(tokio::task::JoinHandle<()>);

impl SyntheticLoad {
    pub fn start(port: u16, load: &Load) -> Self {
        let request = format!("GET {} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n", load.path);
        let every = Duration::from_secs(1) / load.per_second.max(1);
        Self(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let request = request.clone();
                // Each on its own task: a slow answer does not hold the next request back.
                tokio::spawn(async move {
                    if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await
                        && s.write_all(request.as_bytes()).await.is_ok()
                    {
                        let mut sink = Vec::new();
                        let _ = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut sink)).await;
                    }
                });
            }
        }))
    }
}

impl Drop for SyntheticLoad {
    fn drop(&mut self) {
        self.0.abort();
    }
}
