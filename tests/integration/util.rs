//! Fixtures: a project copied into a temporary directory, a runtime over it, HTTP probes, and
//! a guard that kills every process the project's deployments started, pass or fail.

use std::path::{Path, PathBuf};

use baton_local::db::Db;
use baton_local::{ExecutionRecord, LocalRuntime, RuntimeOptions};
use serde_json::{Map, Value};

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A copy of `examples/<name>`, outside any git repository.
    pub(crate) fn example(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&repo_root().join("examples").join(name), dir.path());
        Self { dir }
    }

    /// A project made of the given files (path, contents); `.sh` files are made executable.
    pub(crate) fn with_files(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
            if path.ends_with(".sh") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            }
        }
        Self { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn pipeline(&self) -> PathBuf {
        self.path().join("pipeline.yml")
    }

    pub(crate) fn state_dir(&self) -> PathBuf {
        self.path().join(".baton")
    }

    pub(crate) async fn runtime(&self) -> LocalRuntime {
        LocalRuntime::open(
            &self.pipeline(),
            RuntimeOptions {
                state_dir: Some(self.state_dir()),
                working_tree: false,
            },
        )
        .await
        .expect("runtime opens")
    }

    pub(crate) async fn run(&self) -> (LocalRuntime, ExecutionRecord) {
        let rt = self.runtime().await;
        let record = rt.run(None, Map::new()).await.expect("run completes");
        (rt, record)
    }

    /// `baton ARGS --pipeline DIR` on this project, without colours or the caller's state
    /// directory.
    pub(crate) fn baton(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(args)
            .arg("--pipeline")
            .arg(self.path())
            .env("NO_COLOR", "1")
            .env_remove("BATON_STATE_DIR")
            .output()
            .expect("baton runs")
    }

    pub(crate) fn edit(&self, file: &str, from: &str, to: &str) {
        let p = self.path().join(file);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&p, text.replace(from, to)).expect("write");
    }

    pub(crate) fn db(&self) -> Db {
        Db::open(&self.state_dir().join("baton.db")).expect("db")
    }
}

impl Drop for Project {
    /// Kills whatever the deployments left running, even when the test failed half way.
    fn drop(&mut self) {
        // What is recorded beside each instance, for a test that damaged the database.
        for group in walkdir(&self.state_dir().join("groups")) {
            if group.file_name().is_some_and(|n| n == "process-group")
                && let Some(g) = std::fs::read_to_string(&group).ok().and_then(|t| t.trim().parse().ok())
            {
                baton_local::sys::process::kill_group(g);
            }
        }
        let db_path = self.state_dir().join("baton.db");
        if !db_path.exists() {
            return;
        }
        if let Ok(db) = Db::open(&db_path) {
            let groups: Vec<i32> = db
                .lock()
                .prepare("SELECT process_group FROM instances WHERE process_group IS NOT NULL")
                .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
                .unwrap_or_default();
            for g in groups {
                baton_local::sys::process::kill_group(g);
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir(from) {
        let rel = entry.strip_prefix(from).expect("under root");
        if rel.components().any(|c| c.as_os_str() == ".baton") {
            continue;
        }
        let dest = to.join(rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(&entry, &dest).expect("copy");
        }
    }
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    if !root.exists() {
        return Vec::new();
    }
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let mut children: Vec<PathBuf> = std::fs::read_dir(&out[i])
                .expect("read_dir")
                .map(|e| e.expect("entry").path())
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

/// GET /health on a loopback port: (HTTP status, JSON body).
pub(crate) fn health(port: u16) -> Option<(u16, Value)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.get(9..12)?.parse().ok()?;
    let body = text.split("\r\n\r\n").nth(1)?;
    Some((status, serde_json::from_str(body).ok()?))
}

/// The states of an execution as `baton status --json` reports them.
pub(crate) fn states(db: &Db, execution: &str) -> Vec<baton_local::query::StateStatus> {
    baton_local::query::states(&baton_local::query::history(db, execution).expect("history"))
}

pub(crate) fn state<'a>(states: &'a [baton_local::query::StateStatus], name: &str) -> &'a baton_local::query::StateStatus {
    states
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no state {name} in {:?}", states.iter().map(|s| &s.name).collect::<Vec<_>>()))
}

/// Every value recorded for a metric, oldest first.
pub(crate) fn metric_values(db: &Db, name: &str) -> Vec<f64> {
    db.lock()
        .prepare("SELECT value FROM metrics WHERE name = ?1 ORDER BY timestamp_ms")
        .and_then(|mut s| s.query_map([name], |r| r.get(0)).and_then(Iterator::collect))
        .expect("metrics")
}

/// Runs git in `dir` with a fixed identity and default branch; panics when it fails.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Baton Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Asks `probe` every 50 ms until it gives a value, and returns it; fails naming `what` once
/// `within` has passed. The one way these tests wait for something another task or process does
/// ([`until_blocking`] is the same for tests that run no async runtime).
pub(crate) async fn until<T>(what: &str, within: std::time::Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: not within {} s", within.as_secs());
        tokio::time::sleep(POLL).await;
    }
}

/// [`until`], for a test that runs no async runtime: the thread sleeps between probes.
pub(crate) fn until_blocking<T>(what: &str, within: std::time::Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: not within {} s", within.as_secs());
        std::thread::sleep(POLL);
    }
}

/// A child process ended however the test ends: a failed assertion must not leave it behind.
pub(crate) struct KillOnDrop(pub(crate) Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// How often a wait looks again: often enough that a test waits little past the event.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);
