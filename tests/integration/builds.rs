//! Local builds: the buildspec's `cache` carries workspace files from one build of an action to
//! the next; what a local build cannot do is said in its log.

use baton_local::query;

use crate::util::Project;

const BUILDSPEC: &str = "version: 0.2
phases:
  install:
    commands:
      - |
        if [ -f deps/lib.txt ]; then echo \"cache hit: $(cat deps/lib.txt)\"
        else mkdir -p deps && echo fetched-once > deps/lib.txt && echo 'cache miss'; fi
  build:
    commands:
      - test \"$FAIL\" != yes
cache:
  paths:
    - 'deps/**/*'
";

/// A pipeline of one build action, `Build:Compile`, running `buildspec.yml`.
const ONE_BUILD: &str = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n";

fn log_of(project: &Project, execution: &str) -> String {
    let builds = query::builds(&project.db(), execution).expect("builds");
    std::fs::read_to_string(&builds[0].log_path).expect("log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_build_fills_the_cache_for_the_next() {
    let project = Project::with_files(&[("pipeline.yml", ONE_BUILD), ("buildspec.yml", BUILDSPEC)]);
    let (_, first) = project.run().await;
    assert!(first.succeeded(), "{first:?}");
    let log = log_of(&project, &first.id);
    assert!(
        log.contains("[baton] cache: nothing cached yet") && log.contains("cache miss"),
        "{log}"
    );
    assert!(log.contains("[baton] cache: saved 1 file(s) under key `Build:Compile`"), "{log}");

    let (_, second) = project.run().await;
    assert!(second.succeeded(), "{second:?}");
    let log = log_of(&project, &second.id);
    assert!(log.contains("[baton] cache: restored 1 file(s) from key `Build:Compile`"), "{log}");
    assert!(log.contains("cache hit: fetched-once"), "{log}");

    // A failed build does not overwrite the cache.
    project.edit("pipeline.yml", "type: build }", "type: build, env: { FAIL: 'yes' } }");
    let (_, failed) = project.run().await;
    assert_eq!(failed.status, "FAILED");
    assert!(!log_of(&project, &failed.id).contains("cache: saved"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_local_build_does_not_do_is_said_in_its_log() {
    let buildspec = "version: 0.2
run-as: builder
env:
  compute-type: BUILD_GENERAL1_SMALL
batch:
  fast-fail: true
phases:
  install:
    runtime-versions:
      python: 3.12
    commands: |
      echo installing
      echo one block, one command
";
    let project = Project::with_files(&[("pipeline.yml", ONE_BUILD), ("buildspec.yml", buildspec)]);
    let (_, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let log = log_of(&project, &record.id);
    assert!(log.contains("[baton] run-as `builder` (the build) is not applied locally"), "{log}");
    assert!(
        log.contains("[baton] runtime-versions: python 3.12 requested; nothing is installed locally"),
        "{log}"
    );
    // Keys real buildspecs carry that CodeBuild runs: accepted, and said.
    assert!(log.contains("[baton] env.compute-type is ignored"), "{log}");
    assert!(
        log.contains("[baton] batch: is not run here: this build runs the buildspec's phases once"),
        "{log}"
    );
    assert!(log.contains("one block, one command"), "{log}");
}

/// The shape of the buildspec reference's own example (env variables and parameter-store,
/// `finally`, a report group named by ARN, `discard-paths`, `cache`), with commands that need
/// no Maven or Docker so it runs anywhere.
const AWS_REFERENCE_EXAMPLE: &str = "version: 0.2

env:
  variables:
    JAVA_HOME: \"/usr/lib/jvm/java-8-openjdk-amd64\"
  parameter-store:
    LOGIN_PASSWORD: /CodeBuild/dockerLoginPassword

phases:
  install:
    commands:
      - echo Entered the install phase...
    finally:
      - echo This always runs even if the update or install command fails
  pre_build:
    commands:
      - echo Entered the pre_build phase...
      - test -n \"$LOGIN_PASSWORD\"
    finally:
      - echo This always runs even if the login command fails
  build:
    commands:
      - echo Entered the build phase...
      - echo Build started on `date`
      - mkdir -p target/tests/reports
      - printf '<testsuite><testcase classname=\"MessageUtilTest\" name=\"testPrintMessage\"/></testsuite>' > target/tests/reports/TEST-MessageUtilTest.xml
      - echo jar > target/messageUtil-1.0.jar
    finally:
      - echo This always runs even if the install command fails
  post_build:
    commands:
      - echo Entered the post_build phase...
      - echo Build completed on `date`

reports:
  arn:aws:codebuild:your-region:your-aws-account-id:report-group/report-group-name-1:
    files:
      - \"**/*\"
    base-directory: 'target/tests/reports'
    discard-paths: no

artifacts:
  files:
    - target/messageUtil-1.0.jar
  discard-paths: yes

cache:
  paths:
    - '/root/.m2/**/*'
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buildspec_reference_example_runs_locally() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, outputs: [jar] }\n",
        ),
        ("buildspec.yml", AWS_REFERENCE_EXAMPLE),
    ]);
    let rt = project.runtime().await;
    baton_local::params::set(rt.db(), "/CodeBuild/dockerLoginPassword", "pw-123", true).expect("param");
    let record = rt.run(None, serde_json::Map::new()).await.expect("run completes");
    assert!(record.succeeded(), "{record:?}");
    let db = project.db();

    let log = log_of(&project, &record.id);
    for line in [
        "This always runs even if the update or install command fails",
        "Entered the post_build phase...",
        "[baton] cache: nothing cached yet",
    ] {
        assert!(log.contains(line), "{line:?} missing from the log:\n{log}");
    }
    let st = crate::util::states(&db, &record.id);
    let result = crate::util::state(&st, "Build:Compile").result.clone().expect("result");
    assert_eq!(
        result["reports"][0]["group"],
        "arn:aws:codebuild:your-region:your-aws-account-id:report-group/report-group-name-1"
    );
    assert_eq!(result["reports"][0]["passed"], 1);
    // discard-paths: yes puts the jar at the artifact's root.
    let jar = rt.store().list("p", Some("jar")).expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    rt.store().fetch("p", &jar[0].artifact, dir.path()).expect("fetch");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messageUtil-1.0.jar")).expect("jar"),
        "jar\n"
    );
}

/// `enable-symlinks: yes` keeps links inside the source as links; without it (and for links
/// that leave the source) the file they point at is copied, as CodeBuild does. `s3-prefix` is
/// said to have no effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifact_symlinks_are_kept_only_when_enabled() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("license.txt"), "MIT\n").expect("write");
    let buildspec = format!(
        "version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist && echo v1 > dist/app-1.0 && ln -s app-1.0 dist/app && ln -s {} dist/LICENSE
artifacts:
  files: ['dist/**/*']
  enable-symlinks: yes
  s3-prefix: releases
  secondary-artifacts:
    flat:
      files: ['dist/**/*']
",
        outside.path().join("license.txt").display()
    );
    let pipeline = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, outputs: [linked, flat] }\n";
    let project = Project::with_files(&[("pipeline.yml", pipeline), ("buildspec.yml", &buildspec)]);
    let (rt, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let fetch = |name: &str| {
        let versions = rt.store().list("p", Some(name)).expect("list");
        let dir = tempfile::tempdir().expect("tempdir");
        rt.store().fetch("p", &versions[0].artifact, dir.path()).expect("fetch");
        dir
    };
    let linked = fetch("linked");
    let app = linked.path().join("dist/app");
    assert_eq!(std::fs::read_link(&app).expect("a link").to_str(), Some("app-1.0"));
    let license = linked.path().join("dist/LICENSE");
    assert!(!license.is_symlink(), "a link out of the source is copied, not kept");
    assert_eq!(std::fs::read_to_string(&license).expect("copied"), "MIT\n");
    let flat = fetch("flat");
    assert!(
        !flat.path().join("dist/app").is_symlink(),
        "without enable-symlinks links are followed"
    );
    assert_eq!(std::fs::read_to_string(flat.path().join("dist/app")).expect("copied"), "v1\n");
    let log = log_of(&project, &record.id);
    assert!(log.contains("[baton] s3-prefix `releases` (artifacts) has no effect"), "{log}");
}

/// `discard-paths: yes` with two files of one name: one place in the artifact, so one is kept —
/// the last in name order — and the log says which, rather than dropping the other silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flattening_two_files_of_one_name_keeps_the_last_and_says_so() {
    let buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p a b && echo from-a > a/x.txt && echo from-b > b/x.txt\nartifacts:\n  discard-paths: yes\n  files:\n    - '*/x.txt'\n";
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, outputs: [flat] }\n",
        ),
        ("buildspec.yml", buildspec),
    ]);
    let (rt, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let log = log_of(&project, &record.id);
    assert!(
        log.contains("[baton] discard-paths: a/x.txt and b/x.txt are both x.txt in the artifact; the last one, b/x.txt, is kept"),
        "{log}"
    );
    let flat = rt.store().list("p", Some("flat")).expect("list");
    let dir = tempfile::tempdir().expect("tempdir");
    rt.store().fetch("p", &flat[0].artifact, dir.path()).expect("fetch");
    assert_eq!(std::fs::read_to_string(dir.path().join("x.txt")).expect("x"), "from-b\n");
}
