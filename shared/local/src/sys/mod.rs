//! The machine underneath: child processes in their own groups, `flock` locks, git, and
//! durable file trees.

pub(crate) mod file_lock;
pub(crate) mod git;
pub mod process;
pub mod tree;
