//! What a valid pipeline.yml asks for that Baton accepts but will not do, said by
//! `baton validate` rather than found out in a run.

use std::path::Path;

use crate::alarm::Statistic;
use crate::spec::error::{Diagnostic, Reporter, parse_yaml};
use crate::spec::pipeline::{ActionType, PipelineSpec};

/// An instance group's `analysis` is judged by the local deployer only: on AWS such a group
/// cannot shift traffic at all (CodeDeploy's Server platform does not), and synthesis says so.
///
/// `evaluate_low_sample_count_percentile` on an alarm of another statistic does nothing, as on
/// CloudWatch ("Used only for alarms based on percentiles").
///
/// An approval's `message` is shown as written: a `#{Namespace.NAME}` in it stays those
/// characters (CodePipeline resolves variables in an approval's CustomData; Baton does not).
pub fn warnings(file: &Path, text: &str) -> Vec<Diagnostic> {
    let Ok(spec) = parse_yaml::<PipelineSpec>(file, text) else {
        return Vec::new();
    };
    let mut r = Reporter::new(file, text);
    for a in spec.stages.iter().flat_map(|s| &s.actions) {
        if a.kind.value != ActionType::Approval {
            continue;
        }
        if let Some(message) = &a.message
            && let Some(at) = message.value.find("#{")
        {
            let reference: String = message.value[at..].chars().take_while(|c| *c != '}').chain(['}']).collect();
            r.error(
                message.referenced,
                format!(
                    "`{reference}` is shown to the approver as written: an approval's message takes no variables (CodePipeline resolves them in an approval's CustomData; Baton does not yet)"
                ),
            );
        }
    }
    for (name, alarm) in &spec.alarms {
        if let Some(low) = &alarm.value.evaluate_low_sample_count_percentile
            && !matches!(alarm.value.statistic, Some(Statistic::Percentile(_)))
        {
            r.error(
                low.referenced,
                format!(
                    "alarm `{name}`: evaluate_low_sample_count_percentile applies to percentile statistics (p99, …) only; CloudWatch accepts it here and ignores it"
                ),
            );
        }
    }
    for (name, group) in &spec.deployment_groups {
        if group.value.analysis.is_some() && group.value.lambda.is_none() {
            r.error(
                group.referenced,
                format!(
                    "group `{name}`: an instance group's canary analysis runs in local deployments only: CodeDeploy's EC2/On-premises platform does not shift traffic, so `baton synth --sam` refuses this group (a Lambda group's analysis runs on AWS)"
                ),
            );
        }
    }
    r.into_diagnostics()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_sample_setting_on_a_statistic_that_is_no_percentile_is_said_to_do_nothing() {
        let alarm = |statistic: &str| {
            format!(
                "name: p\nstages: []\nalarms:\n  a:\n    metric: M\n    statistic: {statistic}\n    period: 1m\n    threshold: 1\n    comparison: GreaterThanThreshold\n    evaluation_periods: 1\n    evaluate_low_sample_count_percentile: ignore\n"
            )
        };
        let said = warnings(Path::new("pipeline.yml"), &alarm("Sum"));
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].to_string().contains("applies to percentile statistics"), "{}", said[0]);
        assert!(said[0].to_string().contains("pipeline.yml:11:"), "{}", said[0]);
        assert!(warnings(Path::new("pipeline.yml"), &alarm("p99")).is_empty());
    }
}
