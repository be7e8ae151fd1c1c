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

fn log_of(project: &Project, execution: &str) -> String {
    let builds = query::builds(&project.db(), execution).expect("builds");
    std::fs::read_to_string(&builds[0].log_path).expect("log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_build_fills_the_cache_for_the_next() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", BUILDSPEC),
    ]);
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
phases:
  install:
    runtime-versions:
      python: 3.12
    commands:
      - echo installing
";
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", buildspec),
    ]);
    let (_, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let log = log_of(&project, &record.id);
    assert!(log.contains("[baton] run-as `builder` (the build) is not applied locally"), "{log}");
    assert!(
        log.contains("[baton] runtime-versions: python 3.12 requested; nothing is installed locally"),
        "{log}"
    );
}
