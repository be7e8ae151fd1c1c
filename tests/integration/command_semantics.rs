//! How a build's commands run, as CodeBuild runs them: each command is judged by its own exit
//! status, in the shell state (variables, exports, working directory) the command before it
//! left. `exit 0` ends only its own command (`... || exit 0` is common in real buildspecs), a
//! failing command fails its phase there and then, and `finally` and POST_BUILD still run
//! (CodeBuild user guide, "Build phase transitions"; buildspec reference, `finally` and
//! `on-failure`). State carries across commands and phases in buildspec 0.2 (CodeBuild user
//! guide, "Shells and commands in build environments").

use baton_local::query;

use crate::util::Project;

const ONE_BUILD: &str = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n";

async fn build(buildspec: &str) -> (baton_local::PipelineStatus, String, Vec<(String, String)>) {
    let project = Project::with_files(&[("pipeline.yml", ONE_BUILD), ("buildspec.yml", buildspec)]);
    let (_, record) = project.run().await;
    let builds = query::builds(&project.db(), &record.id).expect("builds");
    let log = std::fs::read_to_string(&builds[0].log_path).unwrap_or_else(|e| panic!("{record:?}: {e}"));
    let phases: String = project
        .db()
        .lock()
        .query_row("SELECT phases FROM builds WHERE id = ?1", [&builds[0].id], |r| r.get(0))
        .expect("phases");
    let phases: Vec<serde_json::Value> = serde_json::from_str(&phases).expect("JSON");
    let phases = phases
        .iter()
        .map(|p| {
            (
                p["phaseType"].as_str().unwrap_or_default().to_string(),
                p["phaseStatus"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (record.status, log, phases)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_zero_ends_only_its_command_and_state_carries_to_the_next() {
    let (status, log, _) = build(
        r#"version: 0.2
env:
  variables:
    DROPPED: from-the-environment
phases:
  install:
    commands:
      - mkdir -p sub && cd sub
      - LOCAL=kept; export SHARED=exported; unset DROPPED
      - 'test -f no-such-file || exit 0; echo "never: the command ended at exit 0"' 
  build:
    commands:
      - echo "pwd=$(basename "$PWD") local=$LOCAL shared=$SHARED dropped=${DROPPED-unset}"
      - sh -c 'echo "child sees local=${LOCAL-unset} shared=${SHARED-unset}"'
      - set -e; set -u
      - false; echo "set -e and -u did not carry over"
      - (sleep 0.2; echo "background job done") & echo "started in the background"
      - echo "next command ran"
"#,
    )
    .await;
    assert_eq!(status, "SUCCEEDED", "{log}");
    assert!(!log.lines().any(|l| l.starts_with("never:")), "{log}");
    assert!(log.contains("pwd=sub local=kept shared=exported dropped=unset"), "{log}");
    assert!(log.contains("child sees local=unset shared=exported"), "{log}");
    assert!(log.contains("set -e and -u did not carry over"), "{log}");
    assert!(
        log.contains("started in the background") && log.contains("next command ran"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_command_fails_its_phase_and_finally_and_post_build_still_run() {
    for failing in ["set -e; false; echo never", "set -u; echo \"$NOT_SET\"; echo never", "exit 3"] {
        let buildspec = format!(
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo first\n      - {failing}\n      - echo skipped\n    finally:\n      - echo cleanup\n  post_build:\n    commands:\n      - echo \"post_build succeeding=$CODEBUILD_BUILD_SUCCEEDING\"\n"
        );
        let (status, log, phases) = build(&buildspec).await;
        assert_eq!(status, "FAILED", "{failing}: {log}");
        assert!(!log.lines().any(|l| l == "never" || l == "skipped"), "{failing}: {log}");
        assert!(
            log.contains("cleanup") && log.contains("post_build succeeding=0"),
            "{failing}: {log}"
        );
        assert!(
            log.contains(&format!("[Container] Command did not exit successfully {failing} exit status")),
            "{failing}: {log}"
        );
        let status_of = |phase: &str| phases.iter().find(|(p, _)| p == phase).map(|(_, s)| s.as_str());
        assert_eq!(status_of("BUILD"), Some("FAILED"), "{failing}: {phases:?}");
        assert_eq!(status_of("POST_BUILD"), Some("SUCCEEDED"), "{failing}: {phases:?}");
    }
}

/// `$VAR` and `${VAR}` in `artifacts` expand with the environment the commands left, a variable
/// a command exported included (buildspec reference, "artifacts": "files … can contain
/// environment variables"); before, the pattern was taken literally ("no matching artifact
/// paths found for [\"$VERSION_FILE\"]").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_in_artifact_paths_expand_with_the_builds_environment() {
    let buildspec = r#"version: 0.2
env:
  variables:
    OUT_DIR: dist
phases:
  build:
    commands:
      - mkdir -p dist/v7 && echo seven > dist/v7/notes.txt && echo skip > dist/v7/skip.log
      - export VERSION_DIR=v7
artifacts:
  base-directory: ${OUT_DIR}
  files:
    - $VERSION_DIR/*.txt
"#;
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, outputs: [notes] }\n",
        ),
        ("buildspec.yml", buildspec),
    ]);
    let (rt, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let notes = rt.store().list("p", Some("notes")).expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    rt.store().fetch("p", &notes[0].artifact, dir.path()).expect("fetch");
    assert_eq!(std::fs::read_to_string(dir.path().join("v7/notes.txt")).expect("notes"), "seven\n");
    assert!(!dir.path().join("v7/skip.log").exists());
    let leftovers: Vec<_> = std::fs::read_dir(project.state_dir().join("builds"))
        .expect("builds")
        .flat_map(|b| std::fs::read_dir(b.expect("build").path()).expect("dir"))
        .map(|f| f.expect("file").file_name().to_string_lossy().into_owned())
        .filter(|n| n == "environment" || n == "state")
        .collect();
    assert!(leftovers.is_empty(), "the build's environment is not left on disk: {leftovers:?}");
}
