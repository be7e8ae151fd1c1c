//! The `alarms` of a pipeline: metric alarms with CloudWatch's settings, composite alarms whose
//! rules read other alarms (never in a cycle, which CloudWatch refuses too).

use std::collections::BTreeMap;

use super::{Pos, Reporter, pos};
use crate::model::{Alarm, CompositeAlarm};
use crate::spec::pipeline::PipelineSpec;

/// "A single composite alarm can monitor 100 underlying alarms" (CloudWatch user guide,
/// "Composite alarms").
const MAX_ALARMS_PER_RULE: usize = 100;

pub(super) fn validate_alarms(spec: &PipelineSpec, r: &mut Reporter<'_>) -> (BTreeMap<String, Alarm>, BTreeMap<String, CompositeAlarm>) {
    let mut alarms = BTreeMap::new();
    let mut composites = BTreeMap::new();
    let mut rule_at = BTreeMap::new();
    for (name, a) in &spec.alarms {
        let at = pos(a);
        let a = &a.value;
        if let Some(rule) = &a.rule {
            let metric_fields = a.metric.is_some()
                || a.statistic.is_some()
                || a.period.is_some()
                || a.threshold.is_some()
                || a.comparison.is_some()
                || a.evaluation_periods.is_some();
            if metric_fields {
                r.error(pos(rule), format!("alarm `{name}` has a `rule`, so it is a composite alarm: leave out metric, statistic, period, threshold, comparison and evaluation_periods"));
            }
            match crate::alarm::composite::Rule::parse(&rule.value) {
                Ok(parsed) => {
                    rule_at.insert(name.clone(), pos(rule));
                    let read: std::collections::BTreeSet<&str> = parsed.alarms().into_iter().collect();
                    if read.len() > MAX_ALARMS_PER_RULE {
                        r.error(
                            pos(rule),
                            format!(
                                "the rule of alarm `{name}` reads {} alarms; a CloudWatch composite alarm can read at most {MAX_ALARMS_PER_RULE}",
                                read.len()
                            ),
                        );
                    }
                    for child in parsed.alarms() {
                        if !spec.alarms.contains_key(child) {
                            r.error(
                                pos(rule),
                                format!("the rule of alarm `{name}` reads alarm `{child}`, which is not defined"),
                            );
                        } else if child == name {
                            r.error(pos(rule), format!("the rule of alarm `{name}` reads its own state"));
                        }
                    }
                    composites.insert(
                        name.clone(),
                        CompositeAlarm {
                            name: name.clone(),
                            rule: parsed,
                            text: rule.value.clone(),
                        },
                    );
                }
                Err(e) => r.error(pos(rule), e.to_string()),
            }
            continue;
        }
        let users: Vec<&String> = spec
            .deployment_groups
            .iter()
            .filter(|(_, g)| g.value.alarms.iter().any(|x| &x.value == name))
            .map(|(n, _)| n)
            .collect();
        let dimensions = match (&a.dimensions, users.as_slice()) {
            (Some(d), _) => d.clone(),
            (None, [group]) => BTreeMap::from([
                ("Pipeline".to_string(), spec.name.value.clone()),
                ("DeploymentGroup".to_string(), (*group).clone()),
            ]),
            (None, _) => {
                let users = if users.is_empty() {
                    "no deployment group directly".to_string()
                } else {
                    format!("{} deployment groups", users.len())
                };
                r.error(
                    at,
                    format!("alarm `{name}` is used by {users}, so its dimensions cannot default to one group's; give it `dimensions`"),
                );
                BTreeMap::new()
            }
        };
        let missing: Vec<&str> = [
            ("metric", a.metric.is_none()),
            ("statistic", a.statistic.is_none()),
            ("period", a.period.is_none()),
            ("threshold", a.threshold.is_none()),
            ("comparison", a.comparison.is_none()),
            ("evaluation_periods", a.evaluation_periods.is_none()),
        ]
        .into_iter()
        .filter_map(|(f, absent)| absent.then_some(f))
        .collect();
        if !missing.is_empty() {
            r.error(
                at,
                format!("alarm `{name}` needs {} (or a `rule`, for a composite alarm)", missing.join(", ")),
            );
            continue;
        }
        if let Some(why) = a.statistic.and_then(|s| s.alarm_refusal()) {
            r.error(at, format!("alarm `{name}`: {why}"));
        }
        let pairs: Vec<(&str, &str)> = dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if let Some(why) = crate::alarm::metric_out_of_bounds(Some(&a.namespace), a.metric.as_deref().unwrap_or_default(), &pairs) {
            r.error(at, format!("alarm `{name}`: {why}"));
        }
        let (Some(period), Some(n_spec)) = (&a.period, &a.evaluation_periods) else {
            continue;
        };
        if let Some(t) = &a.threshold
            && !t.value.is_finite()
        {
            r.error(pos(t), format!("threshold must be a finite number, not {}", t.value));
        }
        let period_secs = period.value.secs();
        if !crate::alarm::valid_pipeline_period(period_secs) {
            r.error(
                pos(period),
                "an alarm's period is 10, 20 or 30 seconds or a multiple of 60, as on CloudWatch (or 1 or 5 seconds, locally)",
            );
        }
        let n = n_spec.value;
        if n == 0 {
            r.error(pos(n_spec), "evaluation_periods must be at least 1");
        } else if let Some(why) = crate::alarm::range_too_long(period_secs, n) {
            r.error(pos(n_spec), why);
        }
        let m = a.datapoints_to_alarm.as_ref().map_or(n, |d| d.value);
        if let Some(d) = &a.datapoints_to_alarm
            && (d.value == 0 || d.value > n)
        {
            r.error(
                pos(d),
                format!("datapoints_to_alarm must be between 1 and evaluation_periods ({n})"),
            );
        }
        alarms.insert(
            name.clone(),
            Alarm {
                name: name.clone(),
                namespace: a.namespace.clone(),
                metric: a.metric.clone().unwrap_or_default(),
                dimensions,
                statistic: a.statistic.unwrap_or(crate::alarm::Statistic::Sum),
                period_secs,
                threshold: a.threshold.as_ref().map_or(0.0, |t| t.value),
                comparison: a
                    .comparison
                    .unwrap_or(crate::alarm::ComparisonOperator::GreaterThanOrEqualToThreshold),
                evaluation_periods: n,
                datapoints_to_alarm: m,
                treat_missing_data: a.treat_missing_data,
                // The default on AWS too: the synthesized alarm sets no EvaluationWindow.
                window: crate::alarm::EvaluationWindow::Sliding,
                low_sample_count: a.evaluate_low_sample_count_percentile.as_ref().map(|l| l.value).unwrap_or_default(),
                // The synthesized alarm always gives DatapointsToAlarm.
                reason_wording: crate::alarm::reason::ReasonWording::OutOfTheLast,
            },
        );
    }
    refuse_cycles(&composites, &rule_at, r);
    (alarms, composites)
}

/// A composite alarm whose rule reads, through other composites, its own state: CloudWatch's
/// PutCompositeAlarm refuses such a cycle, and locally it would never settle. Reported once per
/// cycle, at the rule of its first alarm by name.
fn refuse_cycles(composites: &BTreeMap<String, CompositeAlarm>, rule_at: &BTreeMap<String, Pos>, r: &mut Reporter<'_>) {
    let mut reported: Vec<Vec<String>> = Vec::new();
    for start in composites.keys() {
        // Depth-first along the composites a rule reads; `path` is the chain from `start`.
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            let Some(c) = composites.get(&at) else { continue };
            for child in c.rule.alarms() {
                if child == start && path.len() > 1 {
                    let mut members = path.clone();
                    members.sort();
                    if !reported.contains(&members) {
                        reported.push(members);
                        let chain = path.iter().chain([start]).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" → ");
                        r.error(
                            rule_at.get(start).copied().unwrap_or_default(),
                            format!("the rules of alarms {chain} read each other in a cycle; CloudWatch refuses a composite alarm that depends on itself"),
                        );
                    }
                } else if !path.iter().any(|p| p == child) && composites.contains_key(child) {
                    let mut next = path.clone();
                    next.push(child.to_string());
                    stack.push((child.to_string(), next));
                }
            }
        }
    }
}
