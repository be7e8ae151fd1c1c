//! Parameter Store and Secrets Manager values, locally: set with `baton params`, given to the
//! build, masked in its log.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::util::Project;

const BUILDSPEC: &str = "version: 0.2
env:
  exported-variables: [TOKEN]
  parameter-store:
    DB_HOST: /app/db-host
  secrets-manager:
    DB_PASSWORD: prod/db:password
phases:
  build:
    commands:
      - echo \"connecting to $DB_HOST with $DB_PASSWORD\"
      - test \"$DB_PASSWORD\" = 's3cr3t-pw'
      - export TOKEN=\"token-$DB_PASSWORD\"
";

fn baton(project: &Project, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    // `run` and `history` take the pipeline as their argument, the other commands as --pipeline.
    let flag = if matches!(args[0], "run" | "history") {
        None
    } else {
        Some("--pipeline")
    };
    cmd.args(args)
        .args(flag)
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env_remove("BATON_STATE_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("baton starts");
    if let Some(text) = stdin {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("baton runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn secrets_reach_the_build_and_never_its_log() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", BUILDSPEC),
    ]);
    let missing = baton(&project, &["run", "--logs"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing).contains("no parameter `/app/db-host` in the local store; set it with `baton params set /app/db-host"),
        "{}",
        text(&missing)
    );

    assert!(
        baton(&project, &["params", "set", "/app/db-host", "db.internal"], None)
            .status
            .success()
    );
    let set = baton(
        &project,
        &["params", "set", "prod/db", "--secret"],
        Some("{\"password\": \"s3cr3t-pw\"}\n"),
    );
    assert!(set.status.success(), "{}", text(&set));
    let listed = text(&baton(&project, &["params", "list"], None));
    assert!(
        listed.contains("prod/db") && listed.contains("secret") && !listed.contains("s3cr3t"),
        "{listed}"
    );

    let run = baton(&project, &["run", "--logs"], None);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(text(&run).contains("connecting to *** with ***"), "{}", text(&run));
    assert!(!text(&run).contains("s3cr3t-pw"), "the secret leaked into the run output");
    let log = std::fs::read_dir(project.state_dir().join("builds"))
        .expect("builds")
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path().join("build.log")).unwrap_or_default())
        .collect::<String>();
    assert!(log.contains("with ***") && !log.contains("s3cr3t-pw"), "{log}");

    // Nor in what the run records and shows: its history (the exported variable is masked),
    // its status and the execution list, as text and as JSON.
    let db = project.db();
    let history: Vec<String> = db
        .lock()
        .prepare("SELECT event FROM history")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .expect("history");
    let history = history.concat();
    assert!(history.contains("token-***"), "the exported variable is recorded, masked");
    assert!(!history.contains("s3cr3t-pw"), "the secret leaked into the history");
    let id = baton_local::query::execution(&db, None).expect("query").expect("exec").id;
    for args in [&["status", "--json"][..], &["status", &id], &["logs", &id], &["history", "--json"]] {
        let out = baton(&project, args, None);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("s3cr3t-pw"), "{args:?} shows the secret: {}", text(&out));
    }

    assert!(baton(&project, &["params", "rm", "prod/db"], None).status.success());
    assert_eq!(baton(&project, &["params", "rm", "prod/db"], None).status.code(), Some(2));
}
