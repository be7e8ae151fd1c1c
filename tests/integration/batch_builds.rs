//! Batch builds through `baton run`, as CodeBuild runs them (user guide, "Batch builds in
//! CodeBuild"; "Batch build buildspec reference"): a buildspec of only `batch:` runs each build
//! of its graph, list or matrix with its own buildspec and variables, in dependency order; an
//! `ignore-failure` build fails without failing the batch; the batch fails when another does,
//! and the builds waiting on it never start; artifacts are combined under each build's
//! identifier (CodeBuild's `combine-artifacts`). The graph is the shape of the Amplify CLI's
//! own `codebuild_specs/pr_workflow.yml` (in `tests/corpus`), cut down.

use crate::util::Project;

/// The action asks for a batch build (CodePipeline's `BatchEnabled`).
const PIPELINE: &str = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Ci, type: build, outputs: [dist], batch: true }\n";

const GRAPH: &str = "version: 0.2
env:
  variables:
    WHO: batch-file
batch:
  fast-fail: false
  build-graph:
    - identifier: build_linux
      buildspec: specs/build.yml
    - identifier: lint
      buildspec: specs/lint.yml
      depend-on:
        - build_linux
      env:
        variables:
          STRICT: 1
    - identifier: flaky
      buildspec: specs/flaky.yml
      ignore-failure: true
";

const BUILD: &str = "version: 0.2
phases:
  build:
    commands:
      - mkdir -p out && echo \"built by $CODEBUILD_BATCH_BUILD_IDENTIFIER\" > out/app.txt
artifacts:
  base-directory: out
  files: ['**/*']
";

const LINT: &str = "version: 0.2
phases:
  build:
    commands:
      - echo \"lint strict=$STRICT id=$CODEBUILD_BATCH_BUILD_IDENTIFIER\"
";

const FLAKY: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo flaking; exit 7\n";

fn project(lint: &str) -> Project {
    Project::with_files(&[
        ("pipeline.yml", PIPELINE),
        ("buildspec.yml", GRAPH),
        ("specs/build.yml", BUILD),
        ("specs/lint.yml", lint),
        ("specs/flaky.yml", FLAKY),
    ])
}

fn log_of(project: &Project, execution: &str) -> String {
    let builds = baton_local::query::builds(&project.db(), execution).expect("builds");
    std::fs::read_to_string(&builds[0].log_path).expect("batch log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_graph_runs_in_dependency_order_and_combines_its_artifacts() {
    let project = project(LINT);
    let rt = project.runtime().await;
    let record = rt.run(None, serde_json::Map::new()).await.expect("run completes");
    let log = log_of(&project, &record.id);
    assert!(record.succeeded(), "{record:?}\n{log}");

    for said in [
        "[baton] batch (build-graph): 3 builds: build_linux, lint, flaky",
        "[lint] lint strict=1 id=lint",
        "[baton] batch: build `flaky` FAILED (ignore-failure: the batch goes on)",
        "[baton] batch: build `lint` SUCCEEDED",
        "[baton] batch SUCCEEDED",
    ] {
        assert!(log.contains(said), "{said:?} missing from the batch log:\n{log}");
    }
    let finished = |id: &str| log.find(&format!("batch: build `{id}` ")).expect("finished");
    assert!(
        finished("build_linux") < log.find("[lint] ").expect("lint ran"),
        "lint waits for build_linux:\n{log}"
    );

    // Combined: each build's artifact under its identifier.
    let dist = rt.store().list("p", Some("dist")).expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    rt.store().fetch("p", &dist[0].artifact, dir.path()).expect("fetch");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("build_linux/app.txt")).expect("combined artifact"),
        "built by build_linux\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_build_fails_the_batch_and_what_depends_on_it_never_starts() {
    let project = Project::with_files(&[
        ("pipeline.yml", PIPELINE),
        ("buildspec.yml", &GRAPH.replace("specs/build.yml", "specs/broken.yml")),
        (
            "specs/broken.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo compiling; exit 2\n",
        ),
        ("specs/lint.yml", LINT),
        ("specs/flaky.yml", FLAKY),
    ]);
    let rt = project.runtime().await;
    let record = rt.run(None, serde_json::Map::new()).await.expect("run completes");
    let log = log_of(&project, &record.id);
    assert_eq!(record.status, "FAILED", "{log}");
    assert!(!log.contains("[lint] "), "lint depends on the failed build:\n{log}");
    assert!(
        log.contains("[baton] batch: not run, as a build they wait for failed or the batch stopped: lint"),
        "{log}"
    );
    let cause = record.cause.clone().unwrap_or_default();
    assert!(
        cause.contains("build `build_linux` FAILED") && cause.contains("not run: lint"),
        "the failure names the build: {cause}"
    );
}

/// A matrix runs every combination of its dynamic variables, each build seeing its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_matrix_runs_every_combination() {
    let matrix = "version: 0.2
batch:
  build-matrix:
    static:
      env:
        variables:
          SUITE: e2e
    dynamic:
      env:
        variables:
          BROWSER: [chrome, firefox]
          WORKER: [1, 2]
phases:
  build:
    commands:
      - mkdir -p out && echo \"$SUITE $BROWSER $WORKER\" > out/run.txt
artifacts:
  base-directory: out
  files: ['**/*']
";
    // Without `batch: true` a buildspec with phases runs them once, as CodePipeline's default.
    let once = PIPELINE.replace(", batch: true", "");
    let project = Project::with_files(&[("pipeline.yml", once.as_str()), ("buildspec.yml", matrix)]);
    let rt = project.runtime().await;
    let record = rt.run(None, serde_json::Map::new()).await.expect("run completes");
    let log = log_of(&project, &record.id);
    assert!(record.succeeded(), "{record:?}\n{log}");
    assert!(log.contains("batch: is not run here"), "{log}");

    // With it, the matrix runs, each of its builds running the file's phases.
    let project = Project::with_files(&[("pipeline.yml", PIPELINE), ("buildspec.yml", matrix)]);
    let rt = project.runtime().await;
    let record = rt.run(None, serde_json::Map::new()).await.expect("run completes");
    let log = log_of(&project, &record.id);
    assert!(record.succeeded(), "{record:?}\n{log}");
    assert!(
        log.contains("[baton] batch (build-matrix): 4 builds: build1, build2, build3, build4"),
        "{log}"
    );
    let dist = rt.store().list("p", Some("dist")).expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    rt.store().fetch("p", &dist[0].artifact, dir.path()).expect("fetch");
    let runs: Vec<String> = (1..=4)
        .map(|i| std::fs::read_to_string(dir.path().join(format!("build{i}/run.txt"))).expect("each build's artifact"))
        .collect();
    assert_eq!(runs, ["e2e chrome 1\n", "e2e chrome 2\n", "e2e firefox 1\n", "e2e firefox 2\n"]);
}

/// `baton validate` holds a pipeline to what CodePipeline needs: a buildspec of only `batch:`
/// runs only from an action with `batch: true`, and `batch: true` needs a `batch:` to run.
#[test]
fn validate_matches_the_action_to_its_buildspec() {
    let check = |pipeline: &str, buildspec: &str| {
        let project = Project::with_files(&[("pipeline.yml", pipeline), ("buildspec.yml", buildspec), ("specs/build.yml", BUILD)]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["validate"])
            .arg(project.pipeline())
            .env("NO_COLOR", "1")
            .output()
            .expect("validate");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let batch_only = "version: 0.2\nbatch:\n  build-list:\n    - identifier: one\n      buildspec: specs/build.yml\n";
    assert_eq!(check(PIPELINE, batch_only).0, Some(0));
    let (code, said) = check(&PIPELINE.replace(", batch: true", ""), batch_only);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("holds only `batch:`: add `batch: true` to the action"), "{said}");
    let (code, said) = check(PIPELINE, BUILD);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains("the action runs a batch build (`batch: true`) but buildspec `buildspec.yml` has no `batch:`"),
        "{said}"
    );
}
