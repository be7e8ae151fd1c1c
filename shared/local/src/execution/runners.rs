//! Runners that died. A `baton run` killed with SIGKILL (or on a machine that stopped) cannot
//! record its execution's end: the row stays RUNNING, its waits stay parked and its build's
//! processes may run on with nobody to read them. Each execution records which process runs
//! it; whoever opens the state directory next ends the executions whose runner is gone:
//! ABORTED with `Baton.RunnerLost`, their in-progress builds FAULT with their processes
//! killed, their deployments Stopped, their waits cleared. `baton resume` carries them on.
//!
//! A process is named by its pid and its start time since boot (`/proc/<pid>/stat`), with the
//! boot's id: a pid reused by another process, or a reboot, is not mistaken for the runner.

use chrono::Utc;
use rusqlite::params;

use crate::db::Db;
use crate::error::LocalError;
use crate::sys::process::kill_group;

/// The error of an execution whose runner died; `baton resume` carries such executions on.
pub const RUNNER_LOST: &str = "Baton.RunnerLost";

/// `boot-id/pid/start-ticks` of a process, `None` when it is not running.
fn identity(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces, so split after its `)`): state is
    // the first, start time the 20th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    let start = fields.get(19)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    Some(format!("{}/{pid}/{start}", boot.trim()))
}

/// Records that this process runs `execution_id`, in the transaction that creates it.
pub(crate) fn claim(tx: &rusqlite::Connection, execution_id: &str) -> Result<(), LocalError> {
    let pid = std::process::id();
    // Without /proc (not Linux) only the pid is known; `alive` then asks the kernel about it.
    let me = identity(pid).unwrap_or_else(|| format!("-/{pid}/-"));
    tx.execute(
        "INSERT OR REPLACE INTO runners (execution_id, runner) VALUES (?1, ?2)",
        params![execution_id, me],
    )
    .map_err(LocalError::sql)?;
    Ok(())
}

pub(crate) fn release(db: &Db, execution_id: &str) -> Result<(), LocalError> {
    db.lock()
        .execute("DELETE FROM runners WHERE execution_id = ?1", [execution_id])
        .map_err(LocalError::sql)?;
    Ok(())
}

fn alive(runner: Option<&str>) -> bool {
    let Some(runner) = runner else {
        return false;
    };
    let Some(pid) = runner.split('/').nth(1).and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    if runner.starts_with("-/") {
        return rustix::process::Pid::from_raw(pid as i32).is_some_and(|p| rustix::process::test_kill_process(p).is_ok());
    }
    identity(pid).as_deref() == Some(runner)
}

/// Ends the executions of this state directory whose runner is gone; returns their ids.
pub fn reconcile(db: &Db) -> Result<Vec<String>, LocalError> {
    let running: Vec<(String, Option<String>)> = {
        let conn = db.lock();
        let mut stmt = conn
            .prepare("SELECT e.id, r.runner FROM executions e LEFT JOIN runners r ON r.execution_id = e.id WHERE e.status = 'RUNNING'")
            .map_err(LocalError::sql)?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?
    };
    let mut ended = Vec::new();
    for (execution, runner) in running {
        if alive(runner.as_deref()) {
            continue;
        }
        let builds: Vec<String> = {
            let conn = db.lock();
            let mut stmt = conn
                .prepare("SELECT id FROM builds WHERE execution_id = ?1 AND status = 'IN_PROGRESS'")
                .map_err(LocalError::sql)?;
            stmt.query_map([&execution], |r| r.get(0))
                .and_then(Iterator::collect)
                .map_err(LocalError::sql)?
        };
        for build in &builds {
            kill_build(build);
        }
        let now = Utc::now().to_rfc3339();
        let cause =
            "the `baton run` that ran it stopped without recording an end (killed, or its machine stopped); nothing runs it any more";
        db.immediate(|tx| {
            // Only if still RUNNING: another opener may have ended it a moment ago.
            if crate::execution::status::runner_lost(tx, &execution, &now, RUNNER_LOST, cause)? {
                // Their keys are freed: a resumed execution starts these again, while a job
                // that ended keeps its key and has its end delivered again instead.
                tx.execute(
                    "UPDATE builds SET status = 'FAULT', ended_at = ?2, correlation = correlation || '#lost-' || id WHERE execution_id = ?1 AND status = 'IN_PROGRESS'",
                    params![execution, now],
                )
                .map_err(LocalError::sql)?;
                tx.execute(
                    "UPDATE deployments SET status = 'Stopped', ended_at = ?2, reason = 'its runner was lost mid-deployment', correlation = correlation || '#lost-' || id WHERE execution_id = ?1 AND status IN ('Created', 'Queued', 'InProgress')",
                    params![execution, now],
                )
                .map_err(LocalError::sql)?;
                for kind in baton_core::stages::abandon::KINDS {
                    tx.execute(
                        "DELETE FROM pending_tasks WHERE substr(key, 1, length(?1)) = ?1",
                        [format!("{kind}/{execution}/")],
                    )
                    .map_err(LocalError::sql)?;
                }
                tx.execute("DELETE FROM runners WHERE execution_id = ?1", [&execution])
                    .map_err(LocalError::sql)?;
            }
            Ok(())
        })?;
        tracing::warn!(execution_id = %execution, builds = builds.len(), "its runner is gone: execution ended as ABORTED");
        ended.push(execution);
    }
    Ok(ended)
}

/// Kills the process groups that still run build `id`: every process whose environment says
/// `CODEBUILD_BUILD_ID=<id>` (the shell Baton started and whatever it left behind).
fn kill_build(id: &str) {
    let needle = format!("CODEBUILD_BUILD_ID={id}");
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in procs.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if !environ.split(|b| *b == 0).any(|var| var == needle.as_bytes()) {
            continue;
        }
        let pgid = std::fs::read_to_string(entry.path().join("stat")).ok().and_then(|s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2).and_then(|g| g.parse::<i32>().ok()))
        });
        tracing::warn!(build_id = id, pid, "killing what a lost runner's build left running");
        if let Some(pgid) = pgid {
            kill_group(pgid);
        }
    }
}
