//! An execution's life on this machine: its record and status, the runners that carry it,
//! how it is resumed or retried, stopped, and how its jobs' ends are kept for the task that resumes.

pub mod continuation;
pub(crate) mod job_ends;
pub mod record;
pub mod runners;
pub(crate) mod status;
pub(crate) mod stopping;
