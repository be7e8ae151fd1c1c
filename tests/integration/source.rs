//! Sources: a git work tree is snapshotted at a commit, as CodeCommit would deliver it.

use crate::util::{Project, git};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_source_builds_the_committed_tree_of_a_subdirectory() {
    let project = Project::with_files(&[
        (
            "app/pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build, outputs: [out] }\n",
        ),
        (
            "app/buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p dist && cp message.txt dist/ && echo \"$CODEBUILD_RESOLVED_SOURCE_VERSION\" > dist/commit\nartifacts:\n  base-directory: dist\n  files: ['*']\n",
        ),
        ("app/message.txt", "committed\n"),
        ("other/ignored.txt", "not part of app/\n"),
    ]);
    git(project.path(), &["init", "-q"]);
    git(project.path(), &["add", "."]);
    git(project.path(), &["commit", "-q", "-m", "first"]);
    let commit = git(project.path(), &["rev-parse", "HEAD"]);
    std::fs::write(project.path().join("app/message.txt"), "uncommitted\n").expect("edit");

    let rt = baton_local::LocalRuntime::open(
        &project.path().join("app/pipeline.yml"),
        baton_local::RuntimeOptions {
            state_dir: Some(project.state_dir()),
            working_tree: false,
        },
    )
    .await
    .expect("runtime");
    let record = rt.run(None, serde_json::Map::new()).await.expect("run");
    assert!(record.succeeded(), "{record:?}");

    let out = tempfile::tempdir().expect("tempdir");
    let manifest = rt.store().list("p", Some("out")).expect("list").pop().expect("one version");
    rt.store().fetch("p", &manifest.artifact, out.path()).expect("fetch");
    assert_eq!(
        std::fs::read_to_string(out.path().join("message.txt")).expect("file"),
        "committed\n"
    );
    assert_eq!(std::fs::read_to_string(out.path().join("commit")).expect("file").trim(), commit);
    assert_eq!(manifest.provenance.commit_id.as_deref(), Some(commit.as_str()));
    let source = rt.store().list("p", Some("source")).expect("list").pop().expect("source");
    assert_eq!(source.file_count, 3, "only app/ is the source: {source:?}");
}

/// The execution list says what CodePipeline's execution history says of the source: the
/// commit's subject and its branch; a tag is not a branch, a detached head has none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_records_its_commit_message_and_branch() {
    let project = Project::with_files(&[(
        "pipeline.yml",
        "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
    )]);
    std::fs::write(
        project.path().join("buildspec.yml"),
        "version: 0.2\nphases:\n  build:\n    commands: ['true']\n",
    )
    .expect("buildspec");
    git(project.path(), &["init", "-q", "-b", "release"]);
    git(project.path(), &["add", "."]);
    git(
        project.path(),
        &["commit", "-q", "-m", "Ship the greeting\n\nWith a body the list leaves out."],
    );
    git(project.path(), &["tag", "v1"]);
    let rt = baton_local::LocalRuntime::open(
        &project.path().join("pipeline.yml"),
        baton_local::RuntimeOptions {
            state_dir: Some(project.state_dir()),
            working_tree: false,
        },
    )
    .await
    .expect("runtime");
    let row = |id: &str| baton_local::query::execution(rt.db(), Some(id)).expect("query").expect("execution");

    let head = rt.run(None, serde_json::Map::new()).await.expect("run");
    let head = row(&head.id);
    // The summary is the subject line with its author and time, as the source stage writes it.
    let summary = head.revision_summary.clone().unwrap_or_default();
    assert!(summary.starts_with("Ship the greeting (Baton Test, "), "{summary}");
    assert_eq!(head.branch.as_deref(), Some("release"));
    let tagged = rt.run(Some("v1".into()), serde_json::Map::new()).await.expect("run");
    assert_eq!(row(&tagged.id).branch, None, "a tag is not a branch");
    let found = baton_local::query::find_executions(
        rt.db(),
        &baton_local::query::ExecutionFilter::new(None, "release").expect("filter"),
        10,
    )
    .expect("find");
    assert_eq!(found.len(), 1, "the branch is searched");
}
