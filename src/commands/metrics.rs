//! `baton metrics`: the local metric store, like `ListMetrics` and `GetMetricData`, and DORA.

use std::collections::BTreeMap;
use std::path::Path;

use baton_core::alarm::Statistic;
use baton_core::metrics::{MetricSeries, MetricWindow};
use baton_core::operations::Operations;
use baton_core::spec::duration::Span;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use crate::Usage;
use crate::out::println;
use crate::style;

pub(crate) struct Query {
    pub name: Option<String>,
    pub dimensions: Vec<(String, String)>,
    pub statistic: String,
    pub period: String,
    pub since: Option<String>,
    pub json: bool,
}

fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(Usage(message))
}

fn span(text: &str, flag: &str) -> anyhow::Result<i64> {
    let s = Span::parse(text).map_err(|e| usage(format!("{flag}: {e}")))?;
    i64::try_from(s.secs())
        .map(|s| s * 1000)
        .map_err(|_| usage(format!("{flag} is too long")))
}

/// Eight levels of bar, so a series reads at a glance in a terminal.
fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    values
        .iter()
        .map(|v| {
            if hi > lo {
                BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize]
            } else {
                BARS[3]
            }
        })
        .collect()
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// DORA's four key metrics from this machine's records.
/// DORA's four key metrics, from this machine's records or the stack's executions.
async fn dora(ops: &dyn Operations, pipeline: &str, q: &Query) -> anyhow::Result<u8> {
    let now = Utc::now().timestamp_millis();
    let since = now - span(q.since.as_deref().unwrap_or("30d"), "--since")?;
    let d = ops.dora(since, now).await?;
    if q.json {
        println!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        let secs = |s: Option<f64>| s.map_or("-".into(), |s| style::duration(Some((s * 1000.0) as i64)));
        println!(
            "DORA for {pipeline} since {} ({} deploying executions)",
            d.since, d.deploying_executions
        );
        println!(
            "  deployment frequency   {:.2} per day ({} successful)",
            d.deployment_frequency_per_day, d.successful_deployments
        );
        println!("  lead time for changes  {}", secs(d.lead_time_seconds));
        println!(
            "  change failure rate    {}",
            d.change_failure_rate.map_or("-".into(), |r| format!("{:.0} %", r * 100.0))
        );
        println!("  time to restore        {}", secs(d.time_to_restore_seconds));
    }
    Ok(0)
}

pub(crate) async fn run(pipeline: &Path, state_dir: Option<&Path>, stack: Option<&crate::stack::Remote>, q: Query) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    if q.name.as_deref() == Some("dora") {
        let model = baton_core::load_pipeline(&crate::locate::pipeline_file(pipeline)?)?;
        return dora(&*ops, &model.name, &q).await;
    }
    let now = Utc::now().timestamp_millis();
    let wanted: BTreeMap<String, String> = q.dimensions.into_iter().collect();
    let series: Vec<MetricSeries> = ops
        .metric_series()
        .await?
        .into_iter()
        .filter(|s| q.name.as_ref().is_none_or(|n| &s.name == n) && wanted.iter().all(|(k, v)| s.dimensions.get(k) == Some(v)))
        .collect();
    let Some(name) = q.name else {
        if q.json {
            println!("{}", serde_json::to_string_pretty(&series)?);
        } else {
            for s in &series {
                let dims = s.dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
                match (s.datapoints, s.last_timestamp_ms) {
                    (Some(n), Some(last)) => println!("{:<22} {:<60} {n:>6} points, last {}", s.name, dims, time(last)),
                    _ => println!("{:<22} {dims}", s.name),
                }
            }
        }
        return Ok(0);
    };
    if series.is_empty() {
        return Err(usage(format!(
            "no series of metric `{name}` with those dimensions; `baton metrics` lists them"
        )));
    }
    let statistic = Statistic::parse(&q.statistic).ok_or_else(|| {
        usage(format!(
            "--statistic `{}` is not a CloudWatch statistic: {}",
            q.statistic,
            baton_core::alarm::STATISTICS
        ))
    })?;
    let period = span(&q.period, "--period")?.max(1000);
    let window = MetricWindow {
        statistic,
        period_secs: u64::try_from(period / 1000).unwrap_or(1),
        since_ms: now - span(q.since.as_deref().unwrap_or("1h"), "--since")?,
    };
    let mut out = Vec::new();
    for s in &series {
        out.push((s, ops.metric_data(s, window).await?));
    }
    if q.json {
        let doc: Vec<_> = out
            .iter()
            .map(|(s, rows)| json!({"name": s.name, "dimensions": s.dimensions, "statistic": statistic.to_string(), "period_seconds": period / 1000, "datapoints": rows.iter().map(|(t, v)| json!({"timestamp": time(*t), "value": v})).collect::<Vec<_>>()}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    for (s, rows) in &out {
        let dims = s.dimensions.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
        let values: Vec<f64> = rows.iter().map(|r| r.1).collect();
        println!(
            "{}{name}{} {{{dims}}} · {statistic} per {}s",
            style::BOLD.render(),
            style::BOLD.render_reset(),
            period / 1000
        );
        println!("  {}", sparkline(&values));
        for (t, v) in rows {
            println!("  {}  {v}", time(*t));
        }
    }
    Ok(0)
}
