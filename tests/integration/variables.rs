//! Output variables: a build's exported variables reach later actions as `#{Namespace.NAME}`.

use std::path::Path;

use crate::util::{Project, state, states};

const PIPELINE: &str = "name: p
stages:
  - name: Build
    actions:
      - { name: Version, type: build, namespace: BuildVars }
  - name: Test
    actions:
      - name: Check
        type: test
        buildspec: check.yml
        env: { WANT: 'v#{BuildVars.VERSION}' }
";

const BUILDSPEC: &str = "version: 0.2
env:
  exported-variables: [VERSION]
phases:
  build:
    commands:
      - VERSION=1.2.$CODEBUILD_BUILD_NUMBER
";

const CHECK: &str = "version: 0.2
phases:
  build:
    commands:
      - test \"$WANT\" = v1.2.1
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_variables_reach_later_actions() {
    let project = Project::with_files(&[("pipeline.yml", PIPELINE), ("buildspec.yml", BUILDSPEC), ("check.yml", CHECK)]);
    let (_, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let st = states(&project.db(), &record.id);
    let version = state(&st, "Build:Version").result.clone().expect("result");
    assert_eq!(version["variables"]["VERSION"], "1.2.1");
    assert_eq!(state(&st, "Test:Check").status, "SUCCEEDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_the_build_did_not_export_fails_the_action_that_needs_it() {
    let pipeline = PIPELINE.replace("#{BuildVars.VERSION}", "#{BuildVars.RELEASE}");
    let project = Project::with_files(&[("pipeline.yml", &pipeline), ("buildspec.yml", BUILDSPEC), ("check.yml", CHECK)]);
    let (_, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    let cause = record.cause.unwrap_or_default();
    assert!(cause.contains("namespace `BuildVars` exported no variable `RELEASE`"), "{cause}");
    let st = states(&project.db(), &record.id);
    assert_eq!(state(&st, "Test:Check").status, "FAILED");
}

#[test]
fn references_to_unknown_or_later_namespaces_are_located() {
    let parse = |yaml: &str| baton_core::parse_pipeline(Path::new("pipeline.yml"), yaml);
    parse(PIPELINE).expect("valid");
    let err = parse(&PIPELINE.replace("#{BuildVars.VERSION}", "#{Nope.VERSION}"))
        .expect_err("unknown namespace")
        .to_string();
    assert!(
        err.starts_with("pipeline.yml:8:15: `#{Nope.VERSION}` in env: no earlier action has namespace `Nope`"),
        "{err}"
    );
    assert!(err.contains("available here: `BuildVars`"), "{err}");
    let twice = PIPELINE.replace("type: test\n", "type: test\n        namespace: BuildVars\n");
    let err = parse(&twice).expect_err("duplicate namespace").to_string();
    assert!(err.contains("namespace `BuildVars` is already used at line 5"), "{err}");
}

#[test]
fn an_exported_variable_must_be_a_shell_name() {
    let bad = BUILDSPEC.replace("[VERSION]", "[VERSION, 2nd-try]");
    let err = baton_core::spec::buildspec::parse_buildspec(Path::new("buildspec.yml"), &bad)
        .expect_err("not a shell name")
        .to_string();
    assert!(
        err.starts_with("buildspec.yml:3:33: exported variable `2nd-try` is not a shell variable name"),
        "{err}"
    );
}

/// `baton run --var NAME=VALUE` overrides a declared variable in every build, as CodePipeline's
/// pipeline-level variables given at start do; an action's own `env` still wins; an undeclared
/// name is refused (exit 2) naming the declared ones. Before, synth baked the declared values
/// into each build and the override never arrived.
#[test]
fn run_variables_override_the_declared_ones_in_builds() {
    let pipeline = "name: p\nvariables:\n  GREETING: hi\n  TARGET: world\nstages:\n  - name: Build\n    actions:\n      - { name: Say, type: build, env: { TARGET: action } }\n";
    let buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"said=$GREETING to=$TARGET\"\n";
    let project = Project::with_files(&[("pipeline.yml", pipeline), ("buildspec.yml", buildspec)]);
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("run")
            .arg(project.path())
            .args(extra)
            .env("NO_COLOR", "1")
            .env_remove("BATON_STATE_DIR")
            .output()
            .expect("baton runs")
    };
    let out = run(&["--var", "GREETING=override"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let db = project.db();
    let execution = baton_local::query::executions(&db, 1).expect("executions")[0].id.clone();
    let builds = baton_local::query::builds(&db, &execution).expect("builds");
    let log = std::fs::read_to_string(&builds[0].log_path).expect("log");
    assert!(log.contains("said=override to=action"), "{log}");

    let out = run(&["--var", "GRETING=typo"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--var GRETING: no such variable; pipeline.yml declares GREETING, TARGET"),
        "{err}"
    );
}

/// A deployment's hooks get the pipeline's variables as its builds do: declared values,
/// overridden by the run's `--var`. Before, a hook saw none of them.
#[test]
fn deploy_hooks_get_the_pipelines_variables() {
    let project = Project::example("hello-app");
    project.edit(
        "scripts/before_install.sh",
        "echo \"$LIFECYCLE_EVENT for deployment",
        "echo \"greeting=${GREETING:-unset}\"\necho \"$LIFECYCLE_EVENT for deployment",
    );
    // The example's group is three instances one at a time; one is enough here.
    project.edit("pipeline.yml", "    instances: 3\n", "    instances: 1\n");
    let run = project.baton(&["run", "--var", "GREETING=override"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let execution = baton_local::query::executions(&project.db(), 1).expect("executions")[0].id.clone();
    let logs = project.baton(&["logs", &execution, "Deploy"]);
    let _ = project.baton(&["down"]);
    let text = String::from_utf8_lossy(&logs.stdout);
    assert!(
        text.contains("greeting=override"),
        "{text}{}",
        String::from_utf8_lossy(&logs.stderr)
    );
}
