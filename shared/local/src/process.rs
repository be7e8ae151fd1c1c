//! Child processes the way builds and hooks need them: their own process group (so a timeout
//! or stop kills everything they started), output appended to a log file, a clean environment.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::process::Command;

use crate::error::LocalError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by a signal it did not ask for.
    Signaled,
    TimedOut,
}

impl Exit {
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

/// The variables a clean child environment keeps from ours.
const INHERITED: [&str; 6] = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER"];

pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    for key in INHERITED {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd
}

/// Runs `cmd` to completion (or `timeout`), with stdout and stderr appended to `log`.
/// Returns the exit and the process group id, which outlives the child when it left
/// daemons behind (an ApplicationStart hook does, on purpose).
pub async fn run_logged(mut cmd: Command, log: &Path, timeout: Duration) -> Result<(Exit, i32), LocalError> {
    let open = || OpenOptions::new().create(true).append(true).open(log).map_err(LocalError::io(log));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(open()?))
        .stderr(Stdio::from(open()?))
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(LocalError::io(log))?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or_default();
    let exit = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => {
            let status = status.map_err(LocalError::io(log))?;
            status.code().map_or(Exit::Signaled, Exit::Code)
        }
        Err(_) => {
            kill_group(pgid);
            let _ = child.wait().await;
            Exit::TimedOut
        }
    };
    Ok((exit, pgid))
}

/// SIGKILLs a whole process group; a group that is already gone is fine.
pub fn kill_group(pgid: i32) {
    if let Some(pid) = Pid::from_raw(pgid)
        && pgid > 1
    {
        let _ = kill_process_group(pid, Signal::KILL);
    }
}

/// SIGTERM first, then SIGKILL after `grace` if anything in the group is still alive.
pub async fn stop_group(pgid: i32, grace: Duration) {
    let Some(pid) = Pid::from_raw(pgid).filter(|_| pgid > 1) else {
        return;
    };
    if kill_process_group(pid, Signal::TERM).is_err() {
        return; // no such group
    }
    let deadline = tokio::time::Instant::now() + grace;
    while tokio::time::Instant::now() < deadline {
        if rustix::process::test_kill_process_group(pid).is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = kill_process_group(pid, Signal::KILL);
}
