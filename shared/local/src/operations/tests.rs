//! Each refusal of the operations, by kind: the CLI's exit code and the console's HTTP status
//! both come from it.

use std::path::{Path, PathBuf};

use baton_core::operations::{ApprovalAnswer, MAX_APPROVAL_COMMENT, OperationError, Operations, StopDeployment, StopExecution};

use super::LocalOperations;
use crate::db::Db;

fn hello_app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello-app/pipeline.yml")
}

/// A state directory holding ended executions with these ids.
fn state(ids: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("baton.db")).expect("db");
    for (id, status) in ids {
        db.lock()
            .execute(
                "INSERT INTO executions (id, pipeline, arn, status, started_at, input) VALUES (?1, 'hello', 'arn', ?2, '2026-12-01T07:00:00Z', '{}')",
                [id, status],
            )
            .expect("insert");
    }
    dir
}

/// The refusal of an operation that was expected to be refused.
fn refused<T>(result: Result<T, OperationError>) -> OperationError {
    match result {
        Ok(_) => panic!("the operation was accepted"),
        Err(e) => e,
    }
}

fn stop(id: &str) -> StopExecution {
    StopExecution {
        execution: id.into(),
        cause: "test".into(),
        abandon: false,
    }
}

fn answer(id: &str, comment: usize) -> ApprovalAnswer {
    ApprovalAnswer {
        execution: id.into(),
        action: None,
        approved: true,
        comment: Some("x".repeat(comment)),
        by: "tester".into(),
    }
}

#[tokio::test]
async fn a_pipeline_never_run_has_nothing_to_operate_on_and_no_state_directory_is_made() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("state");
    let ops = LocalOperations::new(&hello_app(), &dir);
    let err = ops.stop(stop("20261201")).await.expect_err("nothing to stop");
    assert!(
        matches!(&err, OperationError::NotFound(m) if m.contains("no executions yet")),
        "{err:?}"
    );
    let err = ops.review_approval("20261201", None).await.expect_err("nothing to approve");
    assert!(matches!(err, OperationError::NotFound(_)), "{err:?}");
    assert_eq!(ops.waiting_approvals("20261201").await.expect("nothing waits"), []);
    assert!(!dir.exists(), "a refused operation made the state directory");
}

#[tokio::test]
async fn an_unknown_id_is_not_found_and_a_prefix_of_two_is_invalid() {
    let dir = state(&[("20261201-070000-a", "SUCCEEDED"), ("20261201-070000-b", "FAILED")]);
    let ops = LocalOperations::new(&hello_app(), dir.path());
    let err = ops.stop(stop("19990101")).await.expect_err("unknown");
    assert!(matches!(err, OperationError::NotFound(_)), "{err:?}");
    let err = ops.stop(stop("20261201")).await.expect_err("ambiguous");
    assert!(
        matches!(&err, OperationError::Invalid(m) if m.contains("more than one execution")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_ended_execution_cannot_be_stopped_or_approved() {
    let dir = state(&[("20261201-070000-a", "FAILED")]);
    let ops = LocalOperations::new(&hello_app(), dir.path());
    let err = ops.stop(stop("20261201-070000-a")).await.expect_err("ended");
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("is FAILED; there is nothing to stop")),
        "{err:?}"
    );
    // A unique prefix names it.
    let err = ops.answer_approval(answer("20261201", 0)).await.expect_err("ended");
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("20261201-070000-a is FAILED")),
        "{err:?}"
    );
}

/// CodePipeline's ApprovalResult summary is at most 512 characters (API reference,
/// `ApprovalResult`); a longer comment is refused before anything else is looked at.
#[tokio::test]
async fn a_comment_longer_than_codepipeline_takes_is_invalid() {
    let dir = state(&[("20261201-070000-a", "FAILED")]);
    let ops = LocalOperations::new(&hello_app(), dir.path());
    let at_limit = ops.answer_approval(answer("20261201-070000-a", MAX_APPROVAL_COMMENT)).await;
    assert!(matches!(at_limit, Err(OperationError::Conflict(_))), "{at_limit:?}");
    let past = ops.answer_approval(answer("20261201-070000-a", MAX_APPROVAL_COMMENT + 1)).await;
    assert!(
        matches!(&past, Err(OperationError::Invalid(m)) if m.contains("at most 512")),
        "{past:?}"
    );
}

#[tokio::test]
async fn a_rollback_names_a_group_and_a_stored_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ops = LocalOperations::new(&hello_app(), dir.path());
    let err = refused(ops.roll_back("prod", None).await);
    assert!(
        matches!(&err, OperationError::NotFound(m) if m.contains("the pipeline has: staging")),
        "{err:?}"
    );
    let err = refused(ops.roll_back("staging", Some("app")).await);
    assert!(
        matches!(&err, OperationError::Invalid(m) if m.contains("not NAME@VERSION")),
        "{err:?}"
    );
    let err = refused(ops.roll_back("staging", Some("app@9")).await);
    assert!(
        matches!(&err, OperationError::NotFound(m) if m.contains("stored versions of `app`: none")),
        "{err:?}"
    );
    let err = refused(ops.roll_back("staging", None).await);
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("no last-good revision yet")),
        "{err:?}"
    );
    let stop = StopDeployment {
        id: "d-NOPE".into(),
        rollback: None,
        cause: "test".into(),
    };
    let err = refused(ops.stop_deployment(stop).await);
    assert!(matches!(err, OperationError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn only_an_execution_that_failed_stopped_or_timed_out_is_retried() {
    let dir = state(&[("20261201-070000-a", "SUCCEEDED"), ("20261201-070000-b", "SUPERSEDED")]);
    let ops = LocalOperations::new(&hello_app(), dir.path());
    let err = refused(ops.retry("20261201-070000-a", false).await);
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("cannot be retried: it succeeded")),
        "{err:?}"
    );
    let err = refused(ops.retry("20261201-070000-b", true).await);
    assert!(
        matches!(&err, OperationError::Conflict(m) if m.contains("a newer execution overtook it")),
        "{err:?}"
    );
    let err = refused(ops.retry("19990101", false).await);
    assert!(matches!(err, OperationError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn a_retry_that_meets_a_corrupt_history_is_the_executors_failure_not_a_refusal() {
    let dir = state(&[("20261201-070000-c", "FAILED")]);
    let db = Db::open(&dir.path().join("baton.db")).expect("db");
    db.lock()
        .execute("INSERT INTO history (execution_id, id, previous_event_id, timestamp, type, event) VALUES ('20261201-070000-c', 1, 0, '2026-12-01T07:00:00Z', 'ExecutionStarted', '{not json')", [])
        .expect("insert");
    let ops = LocalOperations::new(&hello_app(), dir.path());
    let err = refused(ops.retry("20261201-070000-c", false).await);
    assert!(
        matches!(&err, OperationError::Internal(m) if m.contains("execution 20261201-070000-c in the database is corrupt")),
        "{err:?}"
    );
}
