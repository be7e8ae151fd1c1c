//! The `baton` binary: exit codes, help, and the JSON of `history` and `status`.

use std::process::{Command, Output};

use crate::util::{Project, repo_root};

pub(crate) fn baton(args: &[&str]) -> Output {
    baton_with_env(args, &[])
}

pub(crate) fn baton_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baton"));
    cmd.args(args).env("NO_COLOR", "1").env_remove("BATON_STATE_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("baton runs")
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn help_teaches_the_commands() {
    let out = baton(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in ["run", "synth", "validate", "history", "status", "down", "Exit codes"] {
        assert!(help.contains(cmd), "--help lacks {cmd}: {help}");
    }
    let run_help = text(&baton(&["run", "--help"]).stdout);
    assert!(
        run_help.contains("--source-revision") && run_help.contains("Examples"),
        "{run_help}"
    );
}

#[test]
fn validate_exits_2_with_the_location() {
    let project = Project::with_files(&[("pipeline.yml", "name: p\nstages:\n  - name: B\n    actoins: []\n")]);
    let out = baton(&["validate", project.pipeline().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("pipeline.yml:4:5: unknown key `actoins`"), "{err}");
    assert!(err.contains("4 |     actoins: []"), "shows the line: {err}");

    let ok = baton(&[
        "validate",
        repo_root().join("examples/hello-app/pipeline.yml").to_str().expect("utf-8"),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(
        text(&ok.stdout).contains("buildspec.yml"),
        "the pipeline's buildspecs are checked too"
    );

    // With no argument, the pipeline in the current directory; a directory, its pipeline.yml.
    let here = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("validate")
        .current_dir(repo_root().join("examples/hello-app"))
        .env("NO_COLOR", "1")
        .output()
        .expect("baton runs");
    assert_eq!(here.status.code(), Some(0), "{}", text(&here.stderr));
    assert!(text(&here.stdout).contains("pipeline.yml"), "{}", text(&here.stdout));
    let dir = baton(&["validate", project.path().to_str().expect("utf-8")]);
    assert_eq!(dir.status.code(), Some(2), "the directory's pipeline.yml is checked");
    let empty = tempfile::tempdir().expect("tempdir");
    let none = baton(&["validate", empty.path().to_str().expect("utf-8")]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no pipeline at"), "{}", text(&none.stderr));
}

#[test]
fn validate_takes_lambda_appspecs_too() {
    let good = "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties: { Name: fn, Alias: live, CurrentVersion: 1, TargetVersion: 2 }\nHooks:\n  - BeforeAllowTraffic: check\n";
    let project = Project::with_files(&[
        ("appspec.yml", good),
        ("bad/appspec.yml", &good.replace("BeforeAllowTraffic", "BeforeInstall")),
    ]);
    let ok = baton(&["validate", project.path().join("appspec.yml").to_str().expect("utf-8")]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let bad = baton(&["validate", project.path().join("bad/appspec.yml").to_str().expect("utf-8")]);
    assert_eq!(bad.status.code(), Some(2));
    let err = text(&bad.stderr);
    assert!(
        err.contains("appspec.yml:7:5: unknown lifecycle event `BeforeInstall` (that is a Server hook)"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(baton(&["run", "/nonexistent/dir"]).status.code(), Some(2));
    assert_eq!(baton(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn synth_writes_the_committed_definition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_file = dir.path().join("sm.asl.json");
    let out = baton(&[
        "synth",
        repo_root().join("examples/hello-app").to_str().expect("utf-8"),
        "-o",
        out_file.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(out_file).expect("written");
    let committed = std::fs::read_to_string(repo_root().join("infra/statemachine/pipeline.asl.json")).expect("committed");
    assert_eq!(written, committed);
}

#[test]
fn failed_run_exits_1_and_history_and_status_report_it() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Test\n    actions:\n      - { name: Unit, type: test }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'false'\n"),
    ]);
    let dir = project.path().to_str().expect("utf-8");
    // The state directory comes from BATON_STATE_DIR here and from --state-dir below.
    let state = tempfile::tempdir().expect("tempdir");
    let state_dir = state.path().to_str().expect("utf-8");
    let run = baton_with_env(&["run", dir], &[("BATON_STATE_DIR", state_dir)]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stdout));
    assert!(text(&run.stdout).contains("FAILED"));
    assert!(!project.path().join(".baton").exists(), "nothing written beside the pipeline");

    let empty = baton(&["history", dir, "--json"]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&empty.stdout).expect("history JSON"),
        serde_json::json!([])
    );
    let history = baton(&["history", dir, "--json", "--state-dir", state_dir]);
    let rows: serde_json::Value = serde_json::from_slice(&history.stdout).expect("history JSON");
    assert_eq!(rows[0]["status"], "FAILED");
    assert_eq!(rows[0]["error"], "BuildFailed");
    let found = |filter: &[&str]| {
        let out = baton(&[&["history", dir, "--json", "--state-dir", state_dir], filter].concat());
        assert_eq!(out.status.code(), Some(0), "{filter:?}: {}", text(&out.stderr));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("history JSON");
        rows.as_array().map_or(0, Vec::len)
    };
    assert_eq!(found(&["--status", "FAILED", "--search", "buildfailed manual"]), 1);
    assert_eq!(found(&["--status", "SUCCEEDED"]), 0);
    assert_eq!(found(&["--search", "no-such-word"]), 0);
    let bad = baton(&["history", dir, "--status", "DONE"]);
    assert_eq!(bad.status.code(), Some(2), "an unknown status is a usage error");
    assert!(
        text(&bad.stderr).contains("SUPERSEDED"),
        "the statuses are named: {}",
        text(&bad.stderr)
    );

    let status = baton(&["--state-dir", state_dir, "status", "--pipeline", dir, "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&status.stdout).expect("status JSON");
    assert_eq!(doc["execution"]["id"], rows[0]["id"]);
    let unit = doc["states"]
        .as_array()
        .expect("states")
        .iter()
        .find(|s| s["name"] == "Test:Unit")
        .expect("Test:Unit")
        .clone();
    assert_eq!(unit["status"], "FAILED");
    assert_eq!(unit["error"], "BuildFailed");

    let metrics = baton(&[
        "--state-dir",
        state_dir,
        "metrics",
        "ActionFailed",
        "--pipeline",
        dir,
        "--statistic",
        "Sum",
        "--json",
    ]);
    assert!(metrics.status.success(), "{}", text(&metrics.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&metrics.stdout).expect("metrics JSON");
    assert_eq!(doc[0]["dimensions"]["Action"], "Unit");
    assert_eq!(doc[0]["datapoints"][0]["value"], 1.0);

    let id = rows[0]["id"].as_str().expect("id");
    let logs = baton(&["--state-dir", state_dir, "logs", id, "Unit", "--pipeline", dir]);
    assert!(logs.status.success(), "{}", text(&logs.stderr));
    let shown = text(&logs.stdout);
    assert!(shown.contains("==> Test:Unit · FAILED"), "{shown}");
    assert!(shown.contains("Command did not exit successfully false exit status 1"), "{shown}");
    // Without an id, the latest execution's, as `status` does.
    let latest = baton(&["--state-dir", state_dir, "logs", "--pipeline", dir]);
    assert!(latest.status.success(), "{}", text(&latest.stderr));
    assert!(text(&latest.stdout).contains("==> Test:Unit · FAILED"), "{}", text(&latest.stdout));
    let followed = baton(&["--state-dir", state_dir, "logs", id, "--follow", "--pipeline", dir]);
    assert!(followed.status.success(), "an ended execution's logs end the follow");
    assert!(
        text(&followed.stdout).contains("Test:Unit                │ [Container] Running command false"),
        "{}",
        text(&followed.stdout)
    );
    let unknown = baton(&["--state-dir", state_dir, "logs", id, "Deploy", "--pipeline", dir]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("has no build for action `Deploy`"),
        "{}",
        text(&unknown.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_are_listed_shown_fetched_and_diffed() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Pack, type: build, outputs: [app] }\n",
        ),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && cp *.txt dist/\nartifacts:\n  base-directory: dist\n  files: ['**/*']\n",
        ),
        ("same.txt", "unchanged"),
        ("edit.txt", "v1"),
        ("gone.txt", "bye"),
    ]);
    assert!(project.run().await.1.succeeded());
    project.edit("edit.txt", "v1", "version two");
    std::fs::remove_file(project.path().join("gone.txt")).expect("rm");
    std::fs::write(project.path().join("new.txt"), "hi").expect("write");
    assert!(project.run().await.1.succeeded());

    let dir = project.path().to_str().expect("utf-8");
    let list = text(&baton(&["artifacts", "list", "app", "--pipeline", dir]).stdout);
    assert!(
        list.contains("app@1") && list.contains("app@2") && list.contains("Build:Pack"),
        "{list}"
    );

    let diff = baton(&["artifacts", "diff", "app@1", "app@2", "--pipeline", dir]);
    assert!(diff.status.success(), "{}", text(&diff.stderr));
    let shown = text(&diff.stdout);
    let lines: Vec<&str> = shown.lines().map(str::trim_end).collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert!(lines[0].starts_with("~ edit.txt") && lines[0].ends_with("2 B → 11 B"), "{shown}");
    assert!(lines[1].starts_with("- gone.txt") && lines[2].starts_with("+ new.txt"), "{shown}");

    let show: serde_json::Value =
        serde_json::from_slice(&baton(&["artifacts", "show", "app@2", "--json", "--pipeline", dir]).stdout).expect("manifest JSON");
    assert_eq!(show["provenance"]["action"], "Build:Pack");
    assert_eq!(show["provenance"]["inputs"][0]["name"], "source");
    // Without --json, a reading for people (the help's example uses --json, which did not exist).
    let read = text(&baton(&["artifacts", "show", "app@2", "--pipeline", dir]).stdout);
    assert!(
        read.starts_with("app@2  sha256:") && read.contains("made by Build:Pack in execution"),
        "{read}"
    );

    let out = tempfile::tempdir().expect("tempdir");
    let target = out.path().join("app1");
    let get = baton(&[
        "artifacts",
        "get",
        "app@1",
        "-o",
        target.to_str().expect("utf-8"),
        "--pipeline",
        dir,
    ]);
    assert!(get.status.success(), "{}", text(&get.stderr));
    assert_eq!(std::fs::read_to_string(target.join("edit.txt")).expect("edit.txt"), "v1");

    // As a bundle: reproducible bytes, and unpacking gives the same files back.
    let zip_of = |name: &str| {
        let path = out.path().join(name);
        let get = baton(&["artifacts", "get", "app@1", "-o", path.to_str().expect("utf-8"), "--pipeline", dir]);
        assert!(get.status.success(), "{}", text(&get.stderr));
        assert!(text(&get.stdout).contains("reproducible"), "{}", text(&get.stdout));
        std::fs::read(path).expect("bundle")
    };
    let bundle = zip_of("a.zip");
    assert_eq!(bundle, zip_of("b.zip"), "the same version always gives the same bundle");
    let unpacked = out.path().join("unpacked");
    baton_core::bundle::unpack(std::io::Cursor::new(bundle), &unpacked, baton_core::bundle::Limits::default()).expect("unpacks");
    assert_eq!(std::fs::read_to_string(unpacked.join("edit.txt")).expect("edit.txt"), "v1");

    let missing = baton(&["artifacts", "show", "app@7", "--pipeline", dir]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("stored versions of `app`: 1, 2"),
        "{}",
        text(&missing.stderr)
    );
}

/// A failed execution keeps the commit it built: it is recorded when Source has it, not read
/// from an output a failed execution does not have (`history` showed `commit -`, and
/// `history --search <commit>` could not find it).
#[test]
fn a_failed_execution_keeps_its_commit() {
    use crate::util::git;
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Test\n    actions:\n      - { name: Unit, type: test }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'false'\n"),
    ]);
    git(project.path(), &["init", "-q"]);
    git(project.path(), &["add", "."]);
    git(project.path(), &["commit", "-q", "-m", "first"]);
    let commit = git(project.path(), &["rev-parse", "HEAD"]);
    let dir = project.path().to_str().expect("utf-8");
    assert_eq!(baton(&["run", dir]).status.code(), Some(1));
    let history = baton(&["history", dir, "--json", "--search", &commit[..10]]);
    let rows: serde_json::Value = serde_json::from_slice(&history.stdout).expect("history JSON");
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["status"], "FAILED");
    assert_eq!(rows[0]["commit_id"], serde_json::json!(commit), "{rows}");

    // Two executions share the prefix `2`: an ambiguous prefix is invalid input, naming both.
    assert_eq!(baton(&["run", dir]).status.code(), Some(1));
    let ambiguous = baton(&["status", "2", "--pipeline", dir]);
    assert_eq!(ambiguous.status.code(), Some(2), "{}", text(&ambiguous.stderr));
    let err = text(&ambiguous.stderr);
    assert!(
        err.contains("`2` matches more than one execution") && err.matches(", ").count() >= 1,
        "{err}"
    );
}

/// The hints a run prints repeat what reaches its state (`--state-dir` above all), and
/// `baton down` without that state says why it stops nothing instead of creating `.baton/`.
#[test]
fn hints_repeat_the_state_dir_and_down_says_why_it_stops_nothing() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n"),
    ]);
    let dir = project.path().to_str().expect("utf-8");
    let state = tempfile::tempdir().expect("tempdir");
    let state_dir = state.path().to_str().expect("utf-8");
    let run = baton(&["run", dir, "--state-dir", state_dir]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let said = text(&run.stdout);
    let hint = said.lines().find(|l| l.contains("details: baton status")).expect("a details hint");
    assert!(hint.ends_with(&format!(" --pipeline {dir} --state-dir {state_dir}")), "{hint}");

    let down = baton(&["down", dir]);
    assert_eq!(down.status.code(), Some(0));
    assert!(
        text(&down.stderr).contains("nothing to stop: there is no state directory at"),
        "{}",
        text(&down.stderr)
    );
    assert!(!project.path().join(".baton").exists(), "down created a state directory");
}

/// What validate accepts but a run will not do is said: a variable in an approval's message
/// is shown as written.
#[test]
fn validate_warns_that_an_approval_message_takes_no_variables() {
    let project = Project::with_files(&[(
        "pipeline.yml",
        "name: p\nstages:\n  - name: Ship\n    actions:\n      - { name: Ok, type: approval, message: \"Release #{Build.VERSION}?\" }\n",
    )]);
    let out = baton(&["validate", project.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains("warning:") && said.contains("`#{Build.VERSION}` is shown to the approver as written"),
        "{said}"
    );
}

/// Every command takes the pipeline as `--pipeline`; those that take nothing else take it as
/// their argument too, and `baton status DIR` means that pipeline's latest execution.
#[test]
fn every_command_takes_the_pipeline_the_same_way() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n"),
    ]);
    let dir = project.path().to_str().expect("utf-8");
    let run = baton(&["run", "--pipeline", dir]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    for args in [
        vec!["history", "--pipeline", dir, "--json"],
        vec!["history", dir, "--json"],
        vec!["status", "--pipeline", dir, "--json"],
        vec!["status", dir, "--json"],
        vec!["synth", "--pipeline", dir],
    ] {
        let out = baton(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let both = baton(&["history", dir, "--pipeline", dir]);
    assert_eq!(both.status.code(), Some(2), "the argument and --pipeline are one thing: give one");
}

#[test]
fn validate_checks_the_appspec_a_deployment_group_names_when_the_source_holds_it() {
    let pipeline = "name: p\nstages:\n  - name: B\n    actions:\n      - { name: Make, type: build, outputs: [app] }\n  - name: D\n    actions:\n      - { name: Ship, type: deploy, input: app, group: web }\ndeployment_groups:\n  web:\n    appspec: deploy/appspec.yml\n";
    let broken = "version: 0.0\nos: linux\nhooks:\n  BeforeInstal:\n    - location: scripts/x.sh\n";
    let project = Project::with_files(&[
        ("pipeline.yml", pipeline),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - true\n"),
        ("deploy/appspec.yml", broken),
        // Not the file the group names: never read.
        ("appspec.yml", "not: [an appspec"),
    ]);
    let out = baton(&["validate", project.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("deploy/appspec.yml:4:3:"), "the appspec's own location: {err}");
    assert!(!err.contains("not: [an appspec"), "{err}");

    // One that would leave the revision is refused where it is written, as a buildspec is.
    let pipeline_path = project.path().join("pipeline.yml");
    std::fs::write(&pipeline_path, pipeline.replace("deploy/appspec.yml", "../../etc/passwd")).expect("write");
    let out = baton(&["validate", project.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("appspec `../../etc/passwd` is outside the deployed artifact"),
        "{}",
        text(&out.stderr)
    );
    std::fs::write(&pipeline_path, pipeline).expect("write");

    // An appspec the source does not hold may be written by the build: not an error.
    std::fs::remove_file(project.path().join("deploy/appspec.yml")).expect("remove");
    let out = baton(&["validate", project.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("appspec"), "{}", text(&out.stdout));
}
