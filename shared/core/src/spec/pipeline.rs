//! `pipeline.yml`: what a team writes. See `docs/pipeline.md` for the user-facing reference.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::alarm::{ComparisonOperator, LowSampleCount, Statistic, TreatMissingData};
use crate::spec::duration::Span;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub name: Spanned<String>,
    #[serde(default)]
    pub source: SourceSpec,
    #[serde(default)]
    pub triggers: Option<Vec<Spanned<TriggerSpec>>>,
    #[serde(default)]
    pub execution_mode: ExecutionMode,
    #[serde(default)]
    pub variables: Option<Spanned<BTreeMap<String, String>>>,
    pub stages: Vec<StageSpec>,
    #[serde(default)]
    pub deployment_groups: BTreeMap<String, Spanned<GroupSpec>>,
    #[serde(default)]
    pub alarms: BTreeMap<String, Spanned<AlarmSpec>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// On AWS, the CodeCommit repository; locally, a directory or git work tree (default: the
    /// directory that holds `pipeline.yml`).
    #[serde(default)]
    pub repository: Option<String>,
}

/// One entry of `triggers`: a `push` filter, or a `schedule` (with the `branch` it builds).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    #[serde(default)]
    pub push: Option<PushSpec>,
    #[serde(default)]
    pub schedule: Option<Spanned<String>>,
    #[serde(default)]
    pub branch: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSpec {
    #[serde(default)]
    pub branches: Option<GlobsSpec>,
    #[serde(default)]
    pub tags: Option<GlobsSpec>,
    #[serde(default)]
    pub paths: Option<GlobsSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobsSpec {
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

/// How executions share the pipeline (CodePipeline V2's execution modes; SUPERSEDED is its
/// default, and Baton's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionMode {
    #[default]
    Superseded,
    Queued,
    Parallel,
}

impl ExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Superseded => "SUPERSEDED",
            Self::Queued => "QUEUED",
            Self::Parallel => "PARALLEL",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSpec {
    pub name: Spanned<String>,
    pub actions: Vec<ActionSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionType {
    Build,
    Test,
    Deploy,
    Bake,
    Approval,
}

impl ActionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Test => "test",
            Self::Deploy => "deploy",
            Self::Bake => "bake",
            Self::Approval => "approval",
        }
    }
}

/// One action. Fields are flat (as in CodePipeline's console) and checked per type by the
/// validator, which can then say "`duration` applies to bake actions only" at the right line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<ActionType>,
    #[serde(default)]
    pub run_order: Option<Spanned<u32>>,
    /// build/test: the buildspec file in the source (default `buildspec.yml`).
    #[serde(default)]
    pub buildspec: Option<Spanned<String>>,
    /// build/test: artifacts this action produces (the buildspec's primary artifact first).
    #[serde(default)]
    pub outputs: Vec<Spanned<String>>,
    /// deploy: the artifact to deploy.
    #[serde(default)]
    pub input: Option<Spanned<String>>,
    /// deploy/bake: the deployment group.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// bake: how long to watch the group's alarms.
    #[serde(default)]
    pub duration: Option<Spanned<Span>>,
    /// approval: what the approver is asked.
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    /// Any action: give up after this long.
    #[serde(default)]
    pub timeout: Option<Spanned<Span>>,
    /// build/test: run the buildspec's `batch:` (CodePipeline's `BatchEnabled`).
    #[serde(default)]
    pub batch: Option<Spanned<bool>>,
    /// build/test: publish the buildspec's exported variables as `#{<namespace>.NAME}`.
    #[serde(default)]
    pub namespace: Option<Spanned<String>>,
    /// build/test: extra environment variables for the build; values may use
    /// `#{Namespace.NAME}` of earlier actions.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// Locally, how many instances (directories with their own port) the group has.
    #[serde(default = "one")]
    pub instances: u32,
    #[serde(default)]
    pub config: DeploymentConfig,
    #[serde(default)]
    pub alarms: Vec<Spanned<String>>,
    #[serde(default)]
    pub auto_rollback: Vec<RollbackTrigger>,
    /// The appspec file inside the deployed artifact.
    #[serde(default = "default_appspec")]
    pub appspec: String,
    /// A Lambda group: the artifact is the function's code bundle, deployed by publishing a
    /// version and shifting the alias to it (on AWS, through CodeDeploy's Lambda platform).
    #[serde(default)]
    pub lambda: Option<LambdaTarget>,
    /// Canary analysis: the new fleet judged against the old one while it holds its first share
    /// of traffic (docs/canary-analysis.md).
    #[serde(default)]
    pub analysis: Option<crate::analysis::AnalysisSpec>,
}

/// The function and alias a Lambda deployment group shifts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaTarget {
    pub function: String,
    #[serde(default = "default_alias")]
    pub alias: String,
}

fn default_alias() -> String {
    "live".into()
}

fn one() -> u32 {
    1
}

fn default_appspec() -> String {
    "appspec.yml".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RollbackTrigger {
    Failure,
    Alarm,
    /// A stop on request rolls back unless the stop says otherwise (DEPLOYMENT_STOP_ON_REQUEST).
    Stop,
}

/// CodeDeploy's deployment configuration: the Server platform's in-place pacing, or the traffic
/// routing of groups that shift traffic from the running version to the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeploymentConfig {
    #[default]
    OneAtATime,
    HalfAtATime,
    AllAtOnce,
    MinimumHealthyHosts(MinimumHealthyHosts),
    TrafficShift(TrafficRouting),
}

/// CodeDeploy's `TrafficRoutingConfig`: a canary share held for an interval before the rest, or
/// equal shares every interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficRouting {
    #[serde(rename = "type")]
    pub kind: TrafficRoutingType,
    /// Percent of traffic moved at the first step (canary) or at every step (linear).
    pub percentage: u32,
    /// How long each share is held, its alarms watched, before the next step.
    pub interval: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TrafficRoutingType {
    TimeBasedCanary,
    TimeBasedLinear,
}

impl TrafficRouting {
    /// The shares of traffic (percent on the new version) the deployment moves through, each
    /// held for `interval` but the last, which is always 100.
    pub fn steps(&self) -> Vec<u32> {
        let p = self.percentage.clamp(1, 100);
        match self.kind {
            TrafficRoutingType::TimeBasedCanary => {
                if p < 100 {
                    vec![p, 100]
                } else {
                    vec![100]
                }
            }
            TrafficRoutingType::TimeBasedLinear => {
                let mut steps: Vec<u32> = (1..).map(|k| k * p).take_while(|&w| w < 100).collect();
                steps.push(100);
                steps
            }
        }
    }

    /// The name of CodeDeploy's predefined Lambda configuration that routes traffic this way,
    /// if there is one (a custom routing needs a deployment configuration of its own on AWS).
    pub fn lambda_config_name(&self) -> Option<String> {
        let minutes = self.interval.secs() / 60;
        if self.percentage != 10 || !self.interval.secs().is_multiple_of(60) {
            return None;
        }
        let name = match self.kind {
            TrafficRoutingType::TimeBasedCanary => format!("Canary10Percent{minutes}Minutes"),
            TrafficRoutingType::TimeBasedLinear if minutes == 1 => "Linear10PercentEvery1Minute".to_string(),
            TrafficRoutingType::TimeBasedLinear => format!("Linear10PercentEvery{minutes}Minutes"),
        };
        (Self::predefined(&name).as_ref() == Some(self)).then(|| format!("CodeDeployDefault.Lambda{name}"))
    }

    /// CodeDeploy's predefined traffic-shifting configurations, by name without the
    /// `CodeDeployDefault.` and `Lambda`/`ECS` prefixes.
    fn predefined(name: &str) -> Option<Self> {
        let minutes = |m: u64| Span(std::time::Duration::from_secs(m * 60));
        let (kind, interval) = match name {
            "Canary10Percent5Minutes" => (TrafficRoutingType::TimeBasedCanary, 5),
            "Canary10Percent10Minutes" => (TrafficRoutingType::TimeBasedCanary, 10),
            "Canary10Percent15Minutes" => (TrafficRoutingType::TimeBasedCanary, 15),
            "Canary10Percent30Minutes" => (TrafficRoutingType::TimeBasedCanary, 30),
            "Linear10PercentEvery1Minute" | "Linear10PercentEvery1Minutes" => (TrafficRoutingType::TimeBasedLinear, 1),
            "Linear10PercentEvery2Minutes" => (TrafficRoutingType::TimeBasedLinear, 2),
            "Linear10PercentEvery3Minutes" => (TrafficRoutingType::TimeBasedLinear, 3),
            "Linear10PercentEvery10Minutes" => (TrafficRoutingType::TimeBasedLinear, 10),
            _ => return None,
        };
        Some(Self {
            kind,
            percentage: 10,
            interval: minutes(interval),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinimumHealthyHosts {
    #[serde(rename = "type")]
    pub kind: HealthyHostsType,
    pub value: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthyHostsType {
    HostCount,
    FleetPercent,
}

impl fmt::Display for DeploymentConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OneAtATime => f.write_str("CodeDeployDefault.OneAtATime"),
            Self::HalfAtATime => f.write_str("CodeDeployDefault.HalfAtATime"),
            Self::AllAtOnce => f.write_str("CodeDeployDefault.AllAtOnce"),
            Self::MinimumHealthyHosts(m) => match m.kind {
                HealthyHostsType::HostCount => write!(f, "MinimumHealthyHosts(HOST_COUNT={})", m.value),
                HealthyHostsType::FleetPercent => write!(f, "MinimumHealthyHosts(FLEET_PERCENT={})", m.value),
            },
            Self::TrafficShift(t) => match t.kind {
                TrafficRoutingType::TimeBasedCanary => write!(f, "Canary{}Percent{}", t.percentage, t.interval),
                TrafficRoutingType::TimeBasedLinear => write!(f, "Linear{}PercentEvery{}", t.percentage, t.interval),
            },
        }
    }
}

impl<'de> Deserialize<'de> for DeploymentConfig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DeploymentConfig;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "OneAtATime, HalfAtATime, AllAtOnce, a predefined canary or linear config (Canary10Percent5Minutes, \
                     Linear10PercentEvery1Minute, …), { minimum_healthy_hosts: { type: HOST_COUNT|FLEET_PERCENT, value: N } } \
                     or { traffic_routing: { type: TimeBasedCanary|TimeBasedLinear, percentage: N, interval: DURATION } }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DeploymentConfig, E> {
                let name = v.strip_prefix("CodeDeployDefault.").unwrap_or(v);
                match name {
                    "OneAtATime" => return Ok(DeploymentConfig::OneAtATime),
                    "HalfAtATime" => return Ok(DeploymentConfig::HalfAtATime),
                    "AllAtOnce" => return Ok(DeploymentConfig::AllAtOnce),
                    _ => {}
                }
                let shifting = name.strip_prefix("Lambda").or_else(|| name.strip_prefix("ECS")).unwrap_or(name);
                if shifting == "AllAtOnce" {
                    return Ok(DeploymentConfig::AllAtOnce);
                }
                TrafficRouting::predefined(shifting)
                    .map(DeploymentConfig::TrafficShift)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "unknown deployment config `{name}`, expected OneAtATime, HalfAtATime, AllAtOnce, \
                         Canary10Percent{{5,10,15,30}}Minutes, Linear10PercentEvery{{1Minute,2Minutes,3Minutes,10Minutes}}, \
                         or a minimum_healthy_hosts or traffic_routing map"
                        ))
                    })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DeploymentConfig, A::Error> {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Custom {
                    minimum_healthy_hosts: Option<MinimumHealthyHosts>,
                    traffic_routing: Option<TrafficRouting>,
                }
                match Custom::deserialize(de::value::MapAccessDeserializer::new(map))? {
                    Custom {
                        minimum_healthy_hosts: Some(m),
                        traffic_routing: None,
                    } => Ok(DeploymentConfig::MinimumHealthyHosts(m)),
                    Custom {
                        minimum_healthy_hosts: None,
                        traffic_routing: Some(t),
                    } => Ok(DeploymentConfig::TrafficShift(t)),
                    _ => Err(de::Error::custom(
                        "a custom deployment config has exactly one of minimum_healthy_hosts and traffic_routing",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A metric alarm (metric, statistic, period, threshold, comparison, evaluation periods), or a
/// composite alarm (`rule`, over other alarms' states).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    /// Composite alarms only: e.g. `ALARM(errors) OR ALARM(latency)`.
    #[serde(default)]
    pub rule: Option<Spanned<String>>,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Defaults to `{Pipeline: <name>, DeploymentGroup: <the group that uses the alarm>}`.
    #[serde(default)]
    pub dimensions: Option<BTreeMap<String, String>>,
    /// One of CloudWatch's statistics ([`crate::alarm::STATISTICS`]).
    #[serde(default)]
    pub statistic: Option<Statistic>,
    #[serde(default)]
    pub period: Option<Spanned<Span>>,
    #[serde(default)]
    pub threshold: Option<Spanned<f64>>,
    #[serde(default)]
    pub comparison: Option<ComparisonOperator>,
    #[serde(default)]
    pub evaluation_periods: Option<Spanned<u32>>,
    #[serde(default)]
    pub datapoints_to_alarm: Option<Spanned<u32>>,
    #[serde(default)]
    pub treat_missing_data: TreatMissingData,
    /// Percentile alarms: `ignore` keeps the state while a period holds too few samples.
    #[serde(default)]
    pub evaluate_low_sample_count_percentile: Option<Spanned<LowSampleCount>>,
}

fn default_namespace() -> String {
    "Baton".into()
}

impl ActionSpec {
    pub fn run_order(&self) -> u32 {
        self.run_order.as_ref().map_or(1, |r| r.value)
    }
}
