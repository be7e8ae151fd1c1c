//! A pipeline execution's status, as both executors report it.

/// A pipeline execution's status: Step Functions' execution statuses , and CodePipeline's `SUPERSEDED` for an execution overtaken by
/// a newer one (Step Functions has no such status; the `Superseded` Fail state stands for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PipelineStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
    Superseded,
}

impl PipelineStatus {
    pub const ALL: [Self; 6] = [
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Aborted,
        Self::TimedOut,
        Self::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
            Self::Superseded => "SUPERSEDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for PipelineStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// So a status reads as the word it is written as (`record.status == "FAILED"`).
impl PartialEq<&str> for PipelineStatus {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
