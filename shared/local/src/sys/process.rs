//! Child processes the way builds and hooks need them: their own process group (so a timeout
//! or stop kills everything they started), output appended to a log file, a clean environment.

use std::fs::OpenOptions;
use std::os::fd::AsFd;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::process::Command;

use crate::error::LocalError;
use crate::mask::{Masker, StreamMask};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by a signal it did not ask for.
    Signaled,
    TimedOut,
    /// Ended on request (`StopBuild`): its process group was terminated.
    Stopped,
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
    let mut child = spawn(&mut cmd).await?;
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

/// Starts `cmd`. A script written a moment ago can fail to execute with ETXTBSY while a child
/// forked meanwhile by another thread (a build, another instance's hook) still holds the
/// writing descriptor between its fork and its exec; that passes within milliseconds, so the
/// start is tried again.
async fn spawn(cmd: &mut Command) -> Result<tokio::process::Child, LocalError> {
    let busy = rustix::io::Errno::TXTBSY.raw_os_error();
    let mut attempt = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(busy) && attempt < 50 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(5 * attempt.min(10))).await;
            }
            result => return result.map_err(LocalError::io(Path::new(cmd.as_std().get_program()))),
        }
    }
}

/// SIGKILLs a whole process group; a group that is already gone is fine.
pub fn kill_group(pgid: i32) {
    signal_group(pgid, Signal::KILL);
}

/// SIGTERMs a whole process group: the polite request to end.
fn terminate_group(pgid: i32) {
    signal_group(pgid, Signal::TERM);
}

fn signal_group(pgid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pgid)
        && pgid > 1
    {
        let _ = kill_process_group(pid, signal);
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

/// Whether a live process of group `pgid` has `entry` (`NAME=value`) in its environment, read
/// from `/proc`: the check that a recorded group is still the one Baton started.
pub fn group_carries_env(pgid: i32, entry: &str) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    procs.flatten().any(|p| {
        let dir = p.path();
        // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so read past the last `)`.
        let in_group = std::fs::read_to_string(dir.join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2)?.parse::<i32>().ok())
                == Some(pgid)
        });
        in_group && std::fs::read(dir.join("environ")).is_ok_and(|env| env.split(|b| *b == 0).any(|e| e == entry.as_bytes()))
    })
}

/// Runs a build's shell like [`run_logged`], except that its output goes through Baton: the log
/// stops growing at `cap` bytes (a runaway command cannot fill the disk; the build goes on),
/// every occurrence of a `secrets` value is written as `***`, and when the shell ends whatever it
/// left running in its process group is killed, as CodeBuild's container teardown does.
/// `stop` ends the build early: SIGTERM to the group, SIGKILL after a grace period.
pub async fn run_build_shell(
    mut cmd: Command,
    log: &Path,
    timeout: Duration,
    cap: u64,
    secrets: &[String],
    stop: impl Future<Output = ()>,
) -> Result<Exit, LocalError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = spawn(&mut cmd).await?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or_default();
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(LocalError::io(log))?;
    let sink = LogSink {
        file,
        cap,
        written: 0,
        truncated: false,
    };
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    // Larger pipes mean fewer wake-ups for a chatty build; the default 64 KiB is the kernel's
    // floor, and a refusal (a lower /proc/sys/fs/pipe-max-size) only costs speed.
    for fd in [stdout.as_ref().map(AsFd::as_fd), stderr.as_ref().map(AsFd::as_fd)]
        .into_iter()
        .flatten()
    {
        let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
    }
    let copier = tokio::spawn(copy_streams(stdout, stderr, sink, Masker::new(secrets)));
    let exit = tokio::select! {
        status = tokio::time::timeout(timeout, child.wait()) => match status {
            Ok(status) => status.map_err(LocalError::io(log))?.code().map_or(Exit::Signaled, Exit::Code),
            Err(_) => Exit::TimedOut,
        },
        () = stop => Exit::Stopped,
    };
    if exit == Exit::Stopped {
        // A moment to clean up, as `docker stop` gives a container; then the group dies below.
        terminate_group(pgid);
        let _ = tokio::time::timeout(STOP_GRACE, child.wait()).await;
    }
    // Daemons left behind hold the pipes open; killing the group lets the copier see EOF.
    kill_group(pgid);
    let _ = child.wait().await;
    match copier.await {
        Ok(result) => result.map_err(LocalError::io(log))?,
        Err(e) => tracing::warn!(error = %e, "log copier ended abnormally"),
    }
    Ok(exit)
}

const PIPE_SIZE: usize = 1024 * 1024;

/// The first read buffer of a build's output stream.
const READ_START: usize = 16 * 1024;

/// How long a stopped build's processes have between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// The log file of a build, capped.
struct LogSink {
    file: std::fs::File,
    cap: u64,
    written: u64,
    truncated: bool,
}

impl LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let room = usize::try_from(self.cap.saturating_sub(self.written))
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        if room > 0 {
            self.file.write_all(&bytes[..room])?;
            self.written += room as u64;
        }
        if room < bytes.len() && !self.truncated {
            self.truncated = true;
            writeln!(
                self.file,
                "\n[baton] the log reached its cap of {} bytes; later output is discarded, the build goes on",
                self.cap
            )?;
        }
        Ok(())
    }
}

/// Copies stdout and stderr into the sink in arrival order, each stream masked as it comes: a
/// secret split between two reads, or spanning lines, is still masked whole ([`StreamMask`]).
async fn copy_streams(
    stdout: Option<tokio::process::ChildStdout>,
    stderr: Option<tokio::process::ChildStderr>,
    mut sink: LogSink,
    masker: Masker,
) -> std::io::Result<()> {
    use tokio::io::AsyncReadExt;

    let (mut out, mut err) = (stdout, stderr);
    let (mut mask_out, mut mask_err) = (StreamMask::new(masker.clone()), StreamMask::new(masker));
    // Small at first (a thousand quiet builds at once must not each hold megabytes), doubled
    // up to the pipe's size while reads keep filling them (a chatty build).
    let (mut a, mut b) = (vec![0u8; READ_START], vec![0u8; READ_START]);
    let grow = |buf: &mut Vec<u8>, filled: usize| {
        if filled == buf.len() && buf.len() < PIPE_SIZE {
            buf.resize((buf.len() * 2).min(PIPE_SIZE), 0);
        }
    };
    let (mut filled_a, mut filled_b) = (0, 0);
    while out.is_some() || err.is_some() {
        grow(&mut a, filled_a);
        grow(&mut b, filled_b);
        let (n, from_out) = tokio::select! {
            r = async { out.as_mut().expect("guarded").read(&mut a).await }, if out.is_some() => (r?, true),
            r = async { err.as_mut().expect("guarded").read(&mut b).await }, if err.is_some() => (r?, false),
        };
        let (chunk, mask) = if from_out {
            filled_a = n;
            (&a[..n], &mut mask_out)
        } else {
            filled_b = n;
            (&b[..n], &mut mask_err)
        };
        if n == 0 {
            if from_out {
                out = None;
            } else {
                err = None;
            }
            sink.write(&mask.finish())?; // the stream ended: what was held back
            continue;
        }
        sink.write(&mask.push(chunk))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut cmd = clean_command("bash");
        cmd.arg("-c").arg(script);
        cmd
    }

    /// Running, as opposed to gone or a zombie nobody reaped yet.
    fn alive(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    }

    #[tokio::test]
    async fn a_runaway_log_stops_at_its_cap_and_the_build_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        // One stream only: stdout and stderr are read concurrently, so what each wrote first
        // may reach the log in either order.
        let script = "head -c 300000 /dev/zero | tr '\\0' x; exit 3";
        let exit = run_build_shell(shell(script), &log, Duration::from_secs(30), 1000, &[], std::future::pending())
            .await
            .unwrap();
        assert_eq!(exit, Exit::Code(3), "the build ran to its own end");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.starts_with(&"x".repeat(1000)), "{}", &text[..50]);
        assert!(text.contains("[baton] the log reached its cap of 1000 bytes"), "{text}");
        assert!(text.len() < 1200, "{} bytes", text.len());
    }

    #[tokio::test]
    async fn what_a_build_leaves_running_is_killed_when_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 300 & echo $! > {}; echo started", pid_file.display());
        let exit = run_build_shell(
            shell(&script),
            &dir.path().join("log"),
            Duration::from_secs(30),
            1 << 20,
            &[],
            std::future::pending(),
        )
        .await
        .unwrap();
        assert!(exit.success());
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let pid = pid.trim();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while alive(pid) && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!alive(pid), "the background sleep {pid} outlived its build");
    }

    #[tokio::test]
    async fn a_timed_out_build_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let exit = run_build_shell(
            shell("echo before; sleep 300; echo after"),
            &log,
            Duration::from_millis(300),
            1 << 20,
            &[],
            std::future::pending(),
        )
        .await
        .unwrap();
        assert_eq!(exit, Exit::TimedOut);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "before\n");
    }

    #[tokio::test]
    async fn a_script_still_open_for_writing_a_moment_starts_once_it_is_closed() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("hook.sh");
        let mut writing = std::fs::File::create(&script).unwrap();
        writing.write_all(b"#!/bin/sh\necho ran\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        // As a child forked by another thread would, something holds the script open for
        // writing while it is started: exec fails with ETXTBSY until it lets go.
        let closer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(40)).await;
            drop(writing);
        });
        let log = dir.path().join("log");
        let (exit, _) = run_logged(clean_command(&script), &log, Duration::from_secs(10)).await.unwrap();
        closer.await.unwrap();
        assert!(exit.success());
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "ran\n");
    }

    #[tokio::test]
    async fn a_stopped_build_gets_sigterm_and_leaves_nothing_running() {
        let dir = tempfile::tempdir().unwrap();
        let (log, pid_file) = (dir.path().join("log"), dir.path().join("pid"));
        let script = format!(
            "trap 'echo terminated; exit 143' TERM; sleep 300 & echo $! > {}; echo started; wait",
            pid_file.display()
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let started = std::time::Instant::now();
        let run = run_build_shell(shell(&script), &log, Duration::from_secs(300), 1 << 20, &[], async {
            let _ = stopped.await;
        });
        let (exit, ()) = tokio::join!(run, async {
            while !std::fs::read_to_string(&log).unwrap_or_default().contains("started") {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            stop.send(()).unwrap();
        });
        assert_eq!(exit.unwrap(), Exit::Stopped);
        assert!(started.elapsed() < Duration::from_secs(60), "stopped, not timed out");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("terminated"), "the shell saw SIGTERM first: {text}");
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while alive(pid.trim()) && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(!alive(pid.trim()), "the background sleep outlived the stop");
    }

    #[tokio::test]
    async fn secrets_are_masked_even_when_written_in_pieces() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        // printf without a newline between the halves: the pipe may deliver them apart.
        let script = "printf 'token=hun'; sleep 0.1; printf 'ter22 and again hunter22\\n'; echo err hunter22 >&2; printf 'tail hunter22'";
        let secrets = ["hunter22".to_string(), String::new()];
        run_build_shell(
            shell(script),
            &log,
            Duration::from_secs(30),
            1 << 20,
            &secrets,
            std::future::pending(),
        )
        .await
        .unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains("hunter22"), "{text}");
        // The two pipes are read concurrently, so stderr's line may land between any two of
        // stdout's pieces (a loaded CI machine did): take it out before comparing stdout.
        assert_eq!(text.matches("err ***\n").count(), 1, "{text}");
        assert_eq!(text.replacen("err ***\n", "", 1), "token=*** and again ***\ntail ***", "{text}");
    }
}
