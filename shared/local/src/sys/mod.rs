//! The machine underneath: child processes in their own groups, `flock` locks, git, and
//! durable file trees.

pub mod file_lock;
pub mod git;
pub mod process;
pub mod tree;
