//! What each action's task answers with: the result the state machine keeps for the action and
//! every reader (the CLI's summaries, the console, the approval review) reads back. Written and
//! read through these types only, so a field has one name and one meaning.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::{CoverageReport, TestReport};
use crate::ports::{ArtifactRef, SourceSnapshot};

/// A build or test action that succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildOutput {
    pub build_id: String,
    /// The artifact versions it stored, by output name.
    #[serde(default)]
    pub artifacts: BTreeMap<String, ArtifactRef>,
    /// The buildspec's exported variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub reports: Vec<TestReport>,
    #[serde(default)]
    pub coverage: Vec<CoverageReport>,
    #[serde(default)]
    pub log: Option<String>,
}

/// A deployment that succeeded (a rollback's too, with `rolled_back`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployOutput {
    pub deployment_id: String,
    pub group: String,
    pub artifact: Option<ArtifactRef>,
    pub rolled_back: bool,
}

/// A bake whose alarms stayed quiet; `last_good` is the version the group now returns to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BakeOutput {
    pub group: String,
    pub passed: bool,
    pub alarms: Vec<String>,
    pub last_good: ArtifactRef,
}

/// An approval that was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalOutput {
    pub approved: bool,
    pub approver: String,
    pub comment: Option<String>,
}

/// A rollback that had nothing to do, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackSkipped {
    pub group: String,
    pub rolled_back: bool,
    pub reason: String,
}

/// The document the source action starts every execution with; later states add to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceOutput {
    pub source: SourceSnapshot,
}

/// An output as the task answers it, the result the state machine keeps. These types hold strings, integers, booleans and string-keyed
/// maps only, which always serialize.
pub(crate) fn result(output: &impl Serialize) -> Value {
    serde_json::to_value(output).unwrap_or_default()
}

/// A task's result, read back by its shape: the field each kind alone has decides.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutput {
    Source(SourceOutput),
    Build(BuildOutput),
    Deploy(DeployOutput),
    Bake(BakeOutput),
    Approval(ApprovalOutput),
    RollbackSkipped(RollbackSkipped),
    /// Anything else (a gate's answer, a Pass state's output): nothing to summarise.
    Other,
}

impl TaskOutput {
    pub fn read(result: &Value) -> Self {
        fn parse<T: serde::de::DeserializeOwned>(v: &Value, wrap: fn(T) -> TaskOutput) -> TaskOutput {
            serde_json::from_value(v.clone()).map_or(TaskOutput::Other, wrap)
        }
        let has = |k: &str| result.get(k).is_some();
        if has("build_id") {
            parse(result, Self::Build)
        } else if has("deployment_id") && has("group") {
            parse(result, Self::Deploy)
        } else if has("last_good") {
            parse(result, Self::Bake)
        } else if has("approved") {
            parse(result, Self::Approval)
        } else if has("reason") && has("rolled_back") {
            parse(result, Self::RollbackSkipped)
        } else if has("source") {
            parse(result, Self::Source)
        } else {
            Self::Other
        }
    }

    /// The artifact versions the task stored or deployed, for provenance and diffs.
    pub fn artifacts(&self) -> Vec<&ArtifactRef> {
        match self {
            Self::Source(s) => vec![&s.source.artifact],
            Self::Build(b) => b.artifacts.values().collect(),
            Self::Deploy(d) => d.artifact.iter().collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app(version: u64) -> ArtifactRef {
        ArtifactRef {
            name: "app".into(),
            version,
            digest: "sha256:00".into(),
        }
    }

    fn value<T: Serialize>(v: &T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn each_kind_reads_back_as_itself() {
        let build = BuildOutput {
            build_id: "b-1".into(),
            artifacts: BTreeMap::from([("app".into(), app(3))]),
            variables: BTreeMap::new(),
            reports: Vec::new(),
            coverage: Vec::new(),
            log: None,
        };
        let deploy = DeployOutput {
            deployment_id: "d-1".into(),
            group: "prod".into(),
            artifact: Some(app(3)),
            rolled_back: false,
        };
        let bake = BakeOutput {
            group: "prod".into(),
            passed: true,
            alarms: vec!["errors".into()],
            last_good: app(3),
        };
        let approval = ApprovalOutput {
            approved: true,
            approver: "ana".into(),
            comment: None,
        };
        let skipped = RollbackSkipped {
            group: "prod".into(),
            rolled_back: false,
            reason: "nothing was ever deployed to the group".into(),
        };
        assert_eq!(TaskOutput::read(&value(&build)), TaskOutput::Build(build.clone()));
        assert_eq!(TaskOutput::read(&value(&deploy)), TaskOutput::Deploy(deploy.clone()));
        assert_eq!(TaskOutput::read(&value(&bake)), TaskOutput::Bake(bake));
        assert_eq!(TaskOutput::read(&value(&approval)), TaskOutput::Approval(approval));
        assert_eq!(TaskOutput::read(&value(&skipped)), TaskOutput::RollbackSkipped(skipped));
        assert_eq!(TaskOutput::read(&json!({ "stage": "Prod", "waited_ms": 3 })), TaskOutput::Other);
        assert_eq!(TaskOutput::read(&value(&build)).artifacts(), [&app(3)]);
    }

    #[test]
    fn a_result_of_the_wrong_shape_is_nothing_to_summarise() {
        assert_eq!(TaskOutput::read(&json!({ "build_id": 7 })), TaskOutput::Other);
    }
}
