//! `baton analysis evaluate`: the canary judge replayed on recorded samples, interval by
//! interval, as `alarm evaluate` replays an alarm.

use std::collections::BTreeMap;
use std::path::Path;

use baton_core::analysis::{self, AnalysisSpec, Decision, IntervalSamples, MAX_SAMPLES};
use serde_json::json;

use crate::Usage;
use crate::cli::AnalysisCommand;
use crate::out::println;
use crate::style;

/// Per metric, each interval's samples.
type PerInterval = BTreeMap<String, Vec<Vec<f64>>>;

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = baton_core::spec::read_text(path).map_err(|e| anyhow::Error::new(Usage(e.to_string())))?;
    crate::json_input::parse_as(path, &text)
}

/// The samples of `path`, every value finite and no interval past [`MAX_SAMPLES`].
fn samples(path: &Path) -> anyhow::Result<PerInterval> {
    let per: PerInterval = read(path)?;
    for (metric, intervals) in &per {
        for (i, values) in intervals.iter().enumerate() {
            if values.len() > MAX_SAMPLES {
                anyhow::bail!(Usage(format!(
                    "{}: {metric}, interval {}: {} samples; at most {MAX_SAMPLES}",
                    path.display(),
                    i + 1,
                    values.len()
                )));
            }
        }
    }
    Ok(per)
}

pub(crate) fn run(command: AnalysisCommand) -> anyhow::Result<u8> {
    let AnalysisCommand::Evaluate {
        config,
        canary,
        baseline,
        json: json_out,
    } = command;
    let spec: AnalysisSpec = read(&config)?;
    spec.check()
        .map_err(|e| anyhow::Error::new(Usage(format!("{}: {e}", config.display()))))?;
    let (canary, baseline) = (samples(&canary)?, samples(&baseline)?);
    let recorded = canary.values().chain(baseline.values()).map(Vec::len).max().unwrap_or(0);
    let at = |per: &PerInterval, i: usize| -> BTreeMap<String, Vec<f64>> {
        per.iter()
            .map(|(name, intervals)| (name.clone(), intervals.get(i).cloned().unwrap_or_default()))
            .collect()
    };
    let intervals: Vec<IntervalSamples> = (0..recorded)
        .map(|i| IntervalSamples {
            canary: at(&canary, i),
            baseline: at(&baseline, i),
        })
        .collect();
    let results = analysis::replay(&spec, intervals);
    let last = results.last();
    let decision = last.map_or(Decision::Continue, |r| r.decision);
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "intervals": results, "decision": decision }))?
        );
    } else {
        for r in &results {
            let score = r.score.map_or_else(|| "-".to_string(), |s| format!("{s:.0}"));
            let s = style::decision(r.decision);
            println!(
                "Interval {} · score {score} · {}{}{} · {}",
                r.interval,
                s.render(),
                r.decision.as_str(),
                s.render_reset(),
                r.reason
            );
            println!(
                "  {:<20} {:<8} {:>9} {:>9}  {:>18}  {:>18}",
                "METRIC", "CLASS", "EFFECT", "P-VALUE", "CANARY n · mean", "BASELINE n · mean"
            );
            for m in &r.metrics {
                let class = m.classification.as_str();
                let effect = m.effect.map_or_else(|| "-".to_string(), style::effect);
                let p = m.p_value.map_or_else(|| "-".to_string(), |p| format!("{p:.4}"));
                let side = |n: usize, mean: Option<f64>| format!("{n} · {}", mean.map_or_else(|| "-".to_string(), |v| format!("{v:.3}")));
                let mark = if m.failed { style::FAIL } else { style::OK };
                println!(
                    "  {:<20} {}{class:<8}{} {effect:>9} {p:>9}  {:>18}  {:>18}{}",
                    m.name,
                    mark.render(),
                    mark.render_reset(),
                    side(m.canary_samples, m.canary_mean),
                    side(m.baseline_samples, m.baseline_mean),
                    if m.critical { "  (critical)" } else { "" }
                );
            }
        }
        match decision {
            Decision::Continue => println!("No decision yet: {} of {} intervals recorded.", results.len(), spec.intervals),
            d => println!("Decision: {} after {} of {} intervals.", d.as_str(), results.len(), spec.intervals),
        }
    }
    Ok(u8::from(decision == Decision::Fail))
}
