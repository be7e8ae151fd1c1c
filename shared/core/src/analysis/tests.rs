//! The judge's classifications and decisions on samples whose answer is known.

use super::*;
use crate::spec::duration::Span;

fn spec(metrics: Vec<MetricSpec>, intervals: u32) -> AnalysisSpec {
    AnalysisSpec {
        metrics,
        interval: Span(std::time::Duration::from_secs(60)),
        load: None,
        baseline: Baseline::Serving,
        intervals,
        thresholds: Thresholds {
            pass: 95.0,
            marginal: 75.0,
        },
        significance: 0.05,
        min_samples: 5,
    }
}

fn metric(name: &str, direction: Direction, critical: bool) -> MetricSpec {
    MetricSpec {
        name: name.into(),
        direction,
        tolerance: 0.1,
        critical,
        weight: 1.0,
        cloudwatch: None,
    }
}

/// Latencies around `center` ms with a deterministic spread (a fixed, repeating pattern).
fn latencies(center: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| center * (0.8 + 0.4 * ((i * 37 % 101) as f64 / 100.0))).collect()
}

fn samples(pairs: &[(&str, Vec<f64>, Vec<f64>)]) -> IntervalSamples {
    IntervalSamples {
        canary: pairs.iter().map(|(n, c, _)| (n.to_string(), c.clone())).collect(),
        baseline: pairs.iter().map(|(n, _, b)| (n.to_string(), b.clone())).collect(),
    }
}

#[test]
fn a_canary_forty_percent_slower_is_high_though_no_threshold_would_see_it() {
    let s = spec(vec![metric("latency", Direction::Increase, false)], 1);
    let r = classify(&s, &s.metrics[0], &latencies(14.0, 200), &latencies(10.0, 200));
    assert_eq!((r.classification, r.failed), (Classification::High, true));
    assert!((r.effect.expect("effect") - 0.4).abs() < 0.01, "{r:?}");
    assert!(r.p_value.expect("p") < 1e-6);
}

#[test]
fn a_noisy_minute_both_fleets_share_is_no_difference() {
    let s = spec(vec![metric("latency", Direction::Increase, false)], 1);
    let mut canary = latencies(10.0, 100);
    let mut baseline = latencies(10.0, 100);
    // The same spike hits both fleets: a threshold alarm would fire; the comparison does not.
    canary.extend(latencies(80.0, 20));
    baseline.extend(latencies(80.0, 20));
    let r = classify(&s, &s.metrics[0], &canary, &baseline);
    assert_eq!((r.classification, r.failed), (Classification::Pass, false), "{r:?}");
}

#[test]
fn a_significant_difference_within_the_tolerance_passes() {
    let s = spec(vec![metric("latency", Direction::Increase, false)], 1);
    let r = classify(&s, &s.metrics[0], &latencies(10.5, 2_000), &latencies(10.0, 2_000));
    assert!(r.p_value.expect("p") < 0.05, "the test sees it: {r:?}");
    assert_eq!(r.classification, Classification::Pass, "5 % is under the 10 % tolerance");
}

#[test]
fn the_good_direction_is_not_a_failure_and_either_catches_both() {
    let faster = latencies(7.0, 100);
    let base = latencies(10.0, 100);
    let s = spec(vec![metric("latency", Direction::Increase, false)], 1);
    let r = classify(&s, &s.metrics[0], &faster, &base);
    assert_eq!((r.classification, r.failed), (Classification::Low, false));
    let either = metric("latency", Direction::Either, false);
    assert!(classify(&s, &either, &faster, &base).failed);
}

#[test]
fn errors_from_none_to_some_are_an_infinite_effect() {
    let s = spec(vec![metric("errors", Direction::Increase, true)], 1);
    let baseline = vec![0.0; 1_000];
    let mut canary = vec![0.0; 1_000];
    for v in canary.iter_mut().step_by(20) {
        *v = 1.0;
    }
    let r = classify(&s, &s.metrics[0], &canary, &baseline);
    assert_eq!((r.classification, r.effect), (Classification::High, Some(f64::INFINITY)), "{r:?}");
}

#[test]
fn too_few_samples_is_no_data_and_no_data_scores_nothing() {
    let s = spec(vec![metric("latency", Direction::Increase, false)], 2);
    let r = classify(&s, &s.metrics[0], &[10.0, 11.0], &latencies(10.0, 50));
    assert_eq!(r.classification, Classification::NoData);
    let first = judge(&s, 1, &[], &IntervalSamples::default());
    assert_eq!((first.score, first.decision), (None, Decision::Continue));
    let last = judge(&s, 2, &[first], &IntervalSamples::default());
    assert_eq!(last.decision, Decision::Fail, "nothing to judge is no reason to promote");
}

#[test]
fn a_critical_metric_fails_the_canary_whatever_the_score() {
    let mut metrics: Vec<MetricSpec> = (0..9).map(|i| metric(&format!("m{i}"), Direction::Increase, false)).collect();
    metrics.push(metric("errors", Direction::Increase, true));
    let s = spec(metrics, 3);
    let mut pairs: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    let names: Vec<String> = (0..9).map(|i| format!("m{i}")).collect();
    for n in &names {
        pairs.push((n, latencies(10.0, 100), latencies(10.0, 100)));
    }
    pairs.push(("errors", latencies(20.0, 100), latencies(10.0, 100)));
    let r = judge(&s, 1, &[], &samples(&pairs));
    assert_eq!(r.score, Some(90.0));
    assert_eq!(r.decision, Decision::Fail);
    assert!(r.reason.contains("critical metric errors"), "{}", r.reason);
}

#[test]
fn intervals_continue_then_promote_or_fail_by_the_thresholds() {
    let s = spec(
        vec![
            metric("latency", Direction::Increase, false),
            metric("errors", Direction::Increase, false),
            metric("cpu", Direction::Increase, false),
            metric("memory", Direction::Increase, false),
        ],
        3,
    );
    let same = samples(&[
        ("latency", latencies(10.0, 100), latencies(10.0, 100)),
        ("errors", latencies(1.0, 100), latencies(1.0, 100)),
        ("cpu", latencies(50.0, 100), latencies(50.0, 100)),
        ("memory", latencies(300.0, 100), latencies(300.0, 100)),
    ]);
    let mut one_worse = same.clone();
    one_worse.canary.insert("latency".into(), latencies(15.0, 100));
    let mut two_worse = one_worse.clone();
    two_worse.canary.insert("cpu".into(), latencies(80.0, 100));

    let all_pass = replay(&s, vec![same.clone(), same.clone(), same.clone()]);
    let decisions: Vec<Decision> = all_pass.iter().map(|r| r.decision).collect();
    assert_eq!(decisions, [Decision::Continue, Decision::Continue, Decision::Promote]);

    // 75 is marginal: the shift goes on, but an interval that did not pass blocks promotion.
    let marginal = replay(&s, vec![same.clone(), one_worse.clone(), same.clone()]);
    assert_eq!(marginal[1].score, Some(75.0));
    assert_eq!(marginal[1].decision, Decision::Continue);
    assert_eq!(marginal[2].decision, Decision::Fail);

    // 50 is under the marginal threshold: fail at once, the later intervals never judged.
    let failed = replay(&s, vec![two_worse, same.clone(), same]);
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].score, failed[0].decision), (Some(50.0), Decision::Fail));
}

#[test]
fn the_same_samples_give_the_same_decision() {
    let s = spec(vec![metric("latency", Direction::Increase, false)], 1);
    let x = samples(&[("latency", latencies(11.5, 300), latencies(10.0, 300))]);
    assert_eq!(judge(&s, 1, &[], &x), judge(&s, 1, &[], &x));
}

#[test]
fn a_spec_out_of_bounds_names_every_field() {
    let mut s = spec(
        vec![metric("a", Direction::Increase, false), metric("a", Direction::Increase, false)],
        0,
    );
    s.thresholds = Thresholds {
        pass: 50.0,
        marginal: 80.0,
    };
    s.metrics[0].weight = f64::INFINITY;
    let Err(AnalysisError::Invalid(why)) = s.check() else {
        panic!("refused");
    };
    for field in ["intervals", "thresholds", "metrics[1]: `a` is named twice", "metrics[0].weight"] {
        assert!(why.contains(field), "{field}: {why}");
    }
}

#[test]
fn a_result_reads_back_as_it_was_written_infinite_effects_included() {
    let s = spec(vec![metric("errors", Direction::Increase, true)], 1);
    let x = samples(&[("errors", vec![1.0; 10], vec![0.0; 10])]);
    let r = judge(&s, 1, &[], &x);
    assert_eq!(r.metrics[0].effect, Some(f64::INFINITY));
    let text = serde_json::to_string(&r).expect("JSON");
    assert!(text.contains(r#""effect":"Infinity""#), "{text}");
    assert_eq!(serde_json::from_str::<IntervalResult>(&text).expect("read back"), r);
}

#[test]
fn the_effect_is_the_medians_so_a_few_slow_outliers_do_not_make_one() {
    let s = spec(vec![metric("latency", Direction::Increase, false)], 1);
    let baseline = latencies(10.0, 500);
    let mut canary = latencies(10.0, 500);
    // Five requests of 500: the mean rises by half, the median does not move.
    for v in canary.iter_mut().take(5) {
        *v = 500.0;
    }
    let r = classify(&s, &s.metrics[0], &canary, &baseline);
    assert!(r.canary_mean.unwrap() > 1.4 * r.baseline_mean.unwrap());
    assert_eq!(r.classification, Classification::Pass, "{r:?}");
    assert!(r.effect.unwrap().abs() < 0.01, "the median barely moves: {r:?}");
}
