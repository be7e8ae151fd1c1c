//! Secrets masked in every stream and record a build leaves: a multi-line secret (a PEM key) in
//! its log, a secret in a JUnit test name, an exported variable's file on disk.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::util::Project;

const PEM: &str =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----";
const TOKEN: &str = "tok-9f8e7d6c5b";

const BUILDSPEC: &str = r#"version: 0.2
env:
  exported-variables: [KEY_COPY]
  secrets-manager:
    PEM: tls/pair:key
    TOKEN: tls/pair:token
phases:
  build:
    commands:
      - printf 'key:\n%s\ndone\n' "$PEM"
      - export KEY_COPY="$PEM"
      - mkdir -p reports && printf '<testsuite><testcase classname="auth" name="login with %s"><failure/></testcase></testsuite>' "$TOKEN" > reports/junit.xml
reports:
  unit:
    files: [reports/junit.xml]
"#;

fn baton(project: &Project, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("BATON_STATE_DIR")
        .current_dir(project.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("baton starts");
    if let Some(text) = stdin {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("baton runs")
}

fn leaks(text: &str) -> bool {
    PEM.lines().skip(1).take(2).any(|line| text.contains(line)) || text.contains(TOKEN)
}

#[test]
fn no_secret_leaves_a_build_unmasked() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", BUILDSPEC),
    ]);
    let value = serde_json::json!({ "key": PEM, "token": TOKEN }).to_string();
    let set = baton(&project, &["params", "set", "tls/pair", "--secret"], Some(&value));
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let run = baton(&project, &["run", "--logs", "."], None);
    let shown = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{shown}");
    assert!(!leaks(&shown), "the run's output: {shown}");

    let id = baton_local::query::execution(&project.db(), None).expect("query").expect("exec").id;
    let logs = baton(&project, &["logs", &id], None);
    let logs = String::from_utf8_lossy(&logs.stdout).into_owned();
    assert!(
        logs.contains("key:\n***\ndone"),
        "the key is masked whole, across its lines: {logs}"
    );
    let status = baton(&project, &["status", "--json"], None);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        status.contains("auth.login with ***"),
        "the failing test is named, masked: {status}"
    );
    for shown in [&logs, &status] {
        assert!(!leaks(shown), "{shown}");
    }
    let history: Vec<String> = project
        .db()
        .lock()
        .prepare("SELECT event FROM history")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .expect("history");
    assert!(!leaks(&history.concat()), "the history");

    // Nothing a build left on disk holds a secret either.
    for entry in walk(&project.state_dir().join("builds")) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(!leaks(&String::from_utf8_lossy(&bytes)), "{} holds a secret", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
