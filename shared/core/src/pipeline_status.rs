//! A pipeline execution's status, as both executors report it.

/// A pipeline execution's status: Step Functions' execution statuses, and CodePipeline's
/// `SUPERSEDED` for an execution overtaken by a newer one (Step Functions has no such status; the
/// `Superseded` Fail state stands for it). Serialized, stored and printed as the word it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PipelineStatus {
    Running,
    Succeeded,
    Failed,
    Aborted,
    TimedOut,
    Superseded,
}

/// Each status's word, in the order the variants are declared.
const WORDS: [&str; 6] = ["RUNNING", "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT", "SUPERSEDED"];

impl PipelineStatus {
    /// In the order `baton history --status` lists them.
    pub const ALL: [Self; 6] = [
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Aborted,
        Self::TimedOut,
        Self::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        WORDS[self as usize]
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
