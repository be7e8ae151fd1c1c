//! The validated pipeline that synthesis, handlers and adapters work from: every reference
//! resolved, every default applied, no source positions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alarm::{ComparisonOperator, EvaluationWindow, LowSampleCount, Statistic, TreatMissingData};
pub use crate::spec::pipeline::{
    DeploymentConfig, ExecutionMode, HealthyHostsType, LambdaTarget, MinimumHealthyHosts, SourceSpec, TrafficRouting, TrafficRoutingType,
};

/// The artifact every pipeline starts from: the source snapshot.
pub const SOURCE_ARTIFACT: &str = "source";

#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub source: SourceSpec,
    pub triggers: Triggers,
    pub execution_mode: ExecutionMode,
    pub variables: BTreeMap<String, String>,
    pub stages: Vec<Stage>,
    pub groups: BTreeMap<String, Group>,
    pub alarms: BTreeMap<String, Alarm>,
    pub composite_alarms: BTreeMap<String, CompositeAlarm>,
}

/// What starts executions besides `baton run`.
#[derive(Debug, Clone, Default)]
pub struct Triggers {
    pub push: crate::trigger::PushTriggers,
    pub schedules: Vec<crate::trigger::ScheduledRun>,
    /// `false`: pipeline.yml has no `triggers`, so pushes to the checked-out branch (locally)
    /// or the template's branch parameter (on AWS) start executions.
    pub declared: bool,
}

impl Triggers {
    /// The push triggers, or without any `triggers` in pipeline.yml, pushes to `default_branch`.
    pub fn push_or_branch(&self, default_branch: &str) -> crate::trigger::PushTriggers {
        if self.declared {
            return self.push.clone();
        }
        crate::trigger::PushTriggers(vec![crate::trigger::PushFilter {
            branches: Some(crate::trigger::GlobFilter::exact(default_branch)),
            ..Default::default()
        }])
    }
}

/// An alarm whose state is a rule over other alarms' states.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeAlarm {
    pub name: String,
    pub rule: crate::alarm::composite::Rule,
    /// The rule's text, as written.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    /// In run order; actions that share a run order run in parallel.
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct Action {
    pub name: String,
    pub run_order: u32,
    pub timeout_secs: Option<u64>,
    pub kind: ActionKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    Build {
        buildspec: String,
        outputs: Vec<String>,
        env: BTreeMap<String, String>,
        /// A test action: a build whose purpose is its verdict rather than its outputs.
        test: bool,
        /// Where its exported variables are published (`#{namespace.NAME}`).
        namespace: Option<String>,
        /// Run the buildspec's `batch:` (CodePipeline's `BatchEnabled`).
        batch: bool,
    },
    Deploy {
        input: String,
        group: String,
    },
    Bake {
        group: String,
        duration_secs: u64,
    },
    /// Wait for a person to approve; rejection or timeout fails the execution.
    Approval {
        message: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub instances: u32,
    pub config: DeploymentConfig,
    pub alarms: Vec<String>,
    pub rollback_on_failure: bool,
    pub rollback_on_alarm: bool,
    /// Whether `baton stop-deployment` rolls back when told neither way (DEPLOYMENT_STOP_ON_REQUEST).
    pub rollback_on_stop: bool,
    pub appspec: String,
    /// Set for a Lambda group: what it deploys instead of instances.
    pub lambda: Option<LambdaTarget>,
    /// Set when the canary is judged against its baseline before the rest of the traffic moves.
    pub analysis: Option<crate::analysis::AnalysisSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub namespace: String,
    pub metric: String,
    pub dimensions: BTreeMap<String, String>,
    pub statistic: Statistic,
    pub period_secs: u64,
    pub threshold: f64,
    pub comparison: ComparisonOperator,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub treat_missing_data: TreatMissingData,
    #[serde(default)]
    pub window: EvaluationWindow,
    #[serde(default)]
    pub low_sample_count: LowSampleCount,
    #[serde(default)]
    pub reason_wording: crate::alarm::reason::ReasonWording,
}

impl Pipeline {
    pub fn actions(&self) -> impl Iterator<Item = (&Stage, &Action)> {
        self.stages.iter().flat_map(|s| s.actions.iter().map(move |a| (s, a)))
    }

    /// Whether a bake action watches `group` after its deploy, in which case the bake, not the
    /// deploy, marks the deployed revision as last-good.
    pub fn bakes(&self, group: &str) -> bool {
        self.actions()
            .any(|(_, a)| matches!(&a.kind, ActionKind::Bake { group: g, .. } if g == group))
    }

    /// Groups a failed execution may have to roll back.
    pub fn rollback_groups(&self) -> Vec<&Group> {
        let mut deployed: Vec<&Group> = Vec::new();
        for (_, a) in self.actions() {
            if let ActionKind::Deploy { group, .. } = &a.kind
                && let Some(g) = self.groups.get(group)
                && (g.rollback_on_failure || g.rollback_on_alarm)
                && !deployed.iter().any(|d| d.name == g.name)
            {
                deployed.push(g);
            }
        }
        deployed
    }
}

/// The key a stage/action pair has in state names and execution results: `Build:Compile`.
pub fn state_name(stage: &str, action: &str) -> String {
    format!("{stage}:{action}")
}
