//! Inbound events: what builds, deployments, alarms and timers report when something changes.
//! Adapters translate their service's notifications (EventBridge on AWS, the in-process bus
//! locally) into these.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::alarm::AlarmState;
use crate::ports::{DeploymentStatus, StagedArtifact};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BuildStatus {
    InProgress,
    Succeeded,
    Failed,
    Fault,
    TimedOut,
    Stopped,
}

impl BuildStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Fault => "FAULT",
            Self::TimedOut => "TIMED_OUT",
            Self::Stopped => "STOPPED",
        }
    }
}

/// One report group's test results (CodeBuild's `TestReportSummary`, plus the failing tests).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    pub group: String,
    pub total: u64,
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub duration_ms: u64,
    /// `classname.name` of each failed or erroring test case.
    pub failing: Vec<String>,
}

/// One report group's code coverage (CodeBuild's `CodeCoverageReportSummary`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageReport {
    pub group: String,
    pub lines_covered: u64,
    pub lines_missed: u64,
    pub branches_covered: u64,
    pub branches_missed: u64,
}

impl CoverageReport {
    /// Covered lines in percent, `None` when the report counts no lines.
    pub fn line_percent(&self) -> Option<f64> {
        percent(self.lines_covered, self.lines_missed)
    }

    pub fn branch_percent(&self) -> Option<f64> {
        percent(self.branches_covered, self.branches_missed)
    }
}

pub fn percent(covered: u64, missed: u64) -> Option<f64> {
    let total = covered + missed;
    (total > 0).then(|| covered as f64 * 100.0 / total as f64)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail-type")]
pub enum Event {
    #[serde(rename = "CodeBuild Build State Change")]
    BuildStateChange {
        build_id: String,
        correlation: String,
        status: BuildStatus,
        outputs: Vec<StagedArtifact>,
        /// Test report summaries of the build's report groups.
        #[serde(default)]
        reports: Vec<TestReport>,
        /// Code coverage summaries of the build's coverage report groups.
        #[serde(default)]
        coverage: Vec<CoverageReport>,
        /// The buildspec's exported variables (the action's output variables).
        #[serde(default)]
        variables: BTreeMap<String, String>,
        /// Why it failed, in one line (the failing phase and command).
        reason: Option<String>,
        log: Option<String>,
    },
    #[serde(rename = "CodeDeploy Deployment State-change Notification")]
    DeploymentStateChange {
        deployment_id: String,
        correlation: String,
        group: String,
        status: DeploymentStatus,
        reason: Option<String>,
    },
    #[serde(rename = "CloudWatch Alarm State Change")]
    AlarmStateChange {
        alarm: String,
        state: AlarmState,
        previous: AlarmState,
        reason: String,
    },
    #[serde(rename = "Baton Bake Window Elapsed")]
    BakeWindowElapsed { correlation: String },
    /// Someone answered a manual approval (`baton approve`; on AWS, the approval link).
    #[serde(rename = "Baton Approval Answered")]
    ApprovalAnswered {
        execution_id: String,
        /// The approval's state name, e.g. `Release:Approve`.
        action: String,
        approved: bool,
        approver: String,
        comment: Option<String>,
    },
    /// The stage an execution waited for is its now (see [`crate::lanes`]).
    #[serde(rename = "Baton Stage Entered")]
    StageEntered { execution_id: String, stage: String },
    /// A newer execution overtook this one while it waited in front of `stage`.
    #[serde(rename = "Baton Execution Superseded")]
    ExecutionSuperseded { execution_id: String, stage: String, by: String },
    /// A canary analysis's interval `interval` ended (a Scheduler timer on AWS): judge it. The
    /// event carries its analysis, so whoever judges needs no pipeline.yml.
    #[serde(rename = "Baton Canary Check Due")]
    CanaryCheck {
        deployment_id: String,
        group: String,
        analysis: crate::analysis::AnalysisSpec,
        /// 1 for the first interval.
        interval: u32,
        /// When the deployment started: interval `n` covers `started_ms + (n-1)·len` to
        /// `started_ms + n·len`.
        started_ms: i64,
    },
    /// An execution ended (Step Functions' `Execution Status Change`). One that was stopped,
    /// timed out or failed in one branch may leave work running that nobody waits for any more.
    #[serde(rename = "Step Functions Execution Status Change")]
    ExecutionEnded {
        execution_id: String,
        /// SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
        status: String,
    },
}
