//! What starts an execution besides `baton run`: pushes that pass a pipeline's filters
//! ([`push`]) and schedules ([`schedule`]).

pub mod push;
pub mod schedule;

pub use push::{GlobFilter, PushFilter, PushTriggers, RefChange, Verdict};
pub use schedule::Schedule;

/// A scheduled start: the expression as written, parsed, and the branch it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRun {
    pub expression: String,
    pub schedule: Schedule,
    /// `None`: the branch checked out where the pipeline lives.
    pub branch: Option<String>,
}
