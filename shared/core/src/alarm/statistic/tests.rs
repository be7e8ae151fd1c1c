//! The statistics of the user guide's "CloudWatch statistics definitions", each example there
//! computed over the values 1 to 100, and the forms PutMetricAlarm's `ExtendedStatistic`
//! reference lists.

use super::*;

fn one_to_hundred() -> Vec<f64> {
    (1..=100).map(f64::from).collect()
}

fn of(statistic: &str) -> Option<f64> {
    Statistic::parse(statistic)
        .unwrap_or_else(|| panic!("{statistic} parses"))
        .aggregate(&one_to_hundred())
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = values.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// PutMetricAlarm's `ExtendedStatistic` reference: "p90, tm90, tc90, ts90, wm90, IQM, PR(n:m),
/// TC(X%:X%), TM(X%:X%), TS(X%:X%), WM(X%:X%)" — each read and written back as it was given.
#[test]
fn every_form_the_alarm_reference_lists_reads_and_writes_back() {
    for text in [
        "p90",
        "p99.9",
        "tm90",
        "tc90",
        "ts90",
        "wm90",
        "IQM",
        "PR(100:2000)",
        "PR(:300)",
        "PR(5:)",
        "TC(10%:90%)",
        "TM(10%:90%)",
        "TS(10%:90%)",
        "WM(10%:90%)",
        "TM(150:1000)",
        "TM(2%:98%)",
        "TM(:95%)",
    ] {
        let statistic = Statistic::parse(text).unwrap_or_else(|| panic!("{text}"));
        assert_eq!(statistic.to_string(), text);
    }
}

/// The guide's own examples: "tm90 calculates the average after removing the 10% of data points
/// with the highest values", "TM(2%:98%) … removing the 2% lowest data points and the 2% highest",
/// "IQM … is equivalent to TM(25%:75%)", "TM(150:1000) … removing all data points that are lower
/// than or equal to 150, or higher than 1000".
#[test]
fn trimmed_means_remove_what_the_guide_says() {
    assert_eq!(of("tm90"), Some(mean((1..=90).map(f64::from))));
    assert_eq!(of("TM(2%:98%)"), Some(mean((3..=98).map(f64::from))));
    assert_eq!(of("IQM"), of("TM(25%:75%)"));
    assert_eq!(of("IQM"), Some(mean((26..=75).map(f64::from))));
    let latencies = [100.0, 150.0, 151.0, 400.0, 1000.0, 1001.0];
    let tm = Statistic::parse("TM(150:1000)").unwrap().aggregate(&latencies);
    assert_eq!(tm, Some(mean([151.0, 400.0, 1000.0].into_iter())));
    // Nothing in the range: no mean, and a count and sum of nothing.
    assert_eq!(Statistic::parse("TM(2000:3000)").unwrap().aggregate(&latencies), None);
    assert_eq!(Statistic::parse("TC(2000:3000)").unwrap().aggregate(&latencies), Some(0.0));
}

/// "wm98 calculates the average while treating the highest 2% of the values to be equal to the
/// value at the 98th percentile"; "WM(10%:90%) … the highest 10% of data points to be the value
/// of the 90% boundary, and … the lowest 10% … the value of the 10% boundary".
#[test]
fn winsorized_means_clamp_to_the_bounds() {
    assert_eq!(of("wm98"), Some(mean((1..=100).map(|v| f64::from(v.min(98))))));
    assert_eq!(of("WM(10%:90%)"), Some(mean((1..=100).map(|v| f64::from(v.clamp(10, 90))))));
}

/// "tc90 returns the number of data points not including any data points that fall in the
/// highest 10% of the values"; trimmed sum "is equivalent to (Trimmed Mean) * (Trimmed count)".
#[test]
fn trimmed_counts_and_sums_are_of_the_kept_values() {
    assert_eq!(of("tc90"), Some(90.0));
    assert_eq!(of("ts90"), Some((1..=90).sum::<u32>().into()));
    assert_eq!(of("TS(10%:90%)").unwrap(), of("TM(10%:90%)").unwrap() * of("TC(10%:90%)").unwrap());
}

/// "PR(:300) returns the percentage of data points that have a value of 300 or less. PR(100:2000)
/// returns the percentage of data points that have a value between 100 and 2000. Percentile rank
/// is exclusive on the lower bound and inclusive on the upper bound."
#[test]
fn a_percentile_rank_is_exclusive_below_and_inclusive_above() {
    let values = [50.0, 100.0, 300.0, 301.0, 2000.0];
    let pr = |s: &str| Statistic::parse(s).unwrap().aggregate(&values);
    assert_eq!(pr("PR(:300)"), Some(60.0));
    assert_eq!(pr("PR(100:2000)"), Some(60.0));
}

#[test]
fn an_alarm_takes_the_upper_case_forms_only_from_10_to_90_percent() {
    let refusal = |s: &str| Statistic::parse(s).unwrap().alarm_refusal();
    for allowed in ["p99", "tm99", "wm1", "IQM", "PR(:300)", "TM(10%:90%)", "TS(25%:75%)"] {
        assert_eq!(refusal(allowed), None, "{allowed}");
    }
    assert!(refusal("TM(150:1000)").unwrap().contains("in percent, such as TM(10%:90%)"));
    assert!(refusal("WM(5%:90%)").unwrap().contains("each from 10% to 90%"));
    assert!(refusal("TC(:90%)").unwrap().contains("takes both bounds"));
}

#[test]
fn what_is_no_statistic_is_refused() {
    for text in [
        "tm0",
        "tm101",
        "TM(90%:10%)",
        "TM(10%:500)",
        "TM(5:5)",
        "PR(5)",
        "PR(a:b)",
        "p99.12345678901",
        "pNaN",
        "p-1",
        "tm",
        "TM()",
        "iqm",
        "Median",
    ] {
        assert_eq!(Statistic::parse(text), None, "{text}");
    }
}
