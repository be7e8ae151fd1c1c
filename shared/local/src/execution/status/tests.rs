//! One test per change of an execution's status, and the race each guard is there for.

use baton_asl::{ExecutionOutcome, ExecutionStatus, StatesError};
use baton_core::pipeline_status::PipelineStatus;

use super::{Ended, Started, column, end, of, reopen, runner_lost, start};
use crate::db::Db;

const ID: &str = "20261201-070000-aaaaaaaa";

fn db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("baton.db")).expect("db");
    (dir, db)
}

fn started(db: &Db) {
    let record = Started {
        id: ID,
        pipeline: "p",
        arn: "arn:aws:states:us-east-1:123456789012:execution:p:x",
        started_at: "2026-12-01T07:00:00Z",
        input: "{}",
        definition: "digest",
    };
    db.immediate(|tx| start(tx, &record)).expect("start");
}

fn status(db: &Db) -> PipelineStatus {
    db.lock()
        .query_row("SELECT status FROM executions WHERE id = ?1", [ID], |r| column(r, 0))
        .expect("status")
}

fn ended(status: PipelineStatus) -> Ended<'static> {
    Ended {
        status,
        ended_at: "2026-12-01T07:01:00Z",
        output: None,
        error: Some("States.TaskFailed"),
        cause: Some("the build failed"),
        commit: Some("3fa2c1e".into()),
    }
}

#[test]
fn start_records_a_running_execution() {
    let (_dir, db) = db();
    started(&db);
    assert_eq!(status(&db), PipelineStatus::Running);
}

#[test]
fn end_ends_a_running_execution_with_its_error_and_commit() {
    let (_dir, db) = db();
    started(&db);
    assert!(end(&db.lock(), ID, &ended(PipelineStatus::Failed)).expect("end"));
    let (error, commit): (String, String) = db
        .lock()
        .query_row("SELECT error, commit_id FROM executions WHERE id = ?1", [ID], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row");
    assert_eq!(
        (status(&db), error.as_str(), commit.as_str()),
        (PipelineStatus::Failed, "States.TaskFailed", "3fa2c1e")
    );
}

#[test]
fn end_leaves_an_execution_another_process_ended_as_it_is() {
    let (_dir, db) = db();
    started(&db);
    db.immediate(|tx| runner_lost(tx, ID, "2026-12-01T07:00:30Z", "Baton.RunnerLost", "gone"))
        .expect("lost");
    assert!(!end(&db.lock(), ID, &ended(PipelineStatus::Succeeded)).expect("end"));
    assert_eq!(status(&db), PipelineStatus::Aborted);
}

#[test]
fn reopen_puts_an_ended_execution_back_to_running_once() {
    let (_dir, db) = db();
    started(&db);
    end(&db.lock(), ID, &ended(PipelineStatus::Failed)).expect("end");
    // Two `baton resume`s read FAILED; the first carries it on, the second finds it RUNNING.
    assert!(db.immediate(|tx| reopen(tx, ID, PipelineStatus::Failed)).expect("reopen"));
    assert_eq!(status(&db), PipelineStatus::Running);
    assert!(!db.immediate(|tx| reopen(tx, ID, PipelineStatus::Failed)).expect("reopen"));
    let error: Option<String> = db
        .lock()
        .query_row("SELECT error FROM executions WHERE id = ?1", [ID], |r| r.get(0))
        .expect("row");
    assert_eq!(error, None, "a reopened execution keeps no error of its last end");
}

#[test]
fn runner_lost_aborts_only_a_running_execution() {
    let (_dir, db) = db();
    started(&db);
    assert!(
        db.immediate(|tx| runner_lost(tx, ID, "2026-12-01T07:00:30Z", "Baton.RunnerLost", "gone"))
            .expect("lost")
    );
    assert_eq!(status(&db), PipelineStatus::Aborted);

    let (_dir, db) = self::db();
    started(&db);
    end(&db.lock(), ID, &ended(PipelineStatus::Succeeded)).expect("end");
    assert!(
        !db.immediate(|tx| runner_lost(tx, ID, "2026-12-01T07:00:30Z", "Baton.RunnerLost", "gone"))
            .expect("lost")
    );
    assert_eq!(status(&db), PipelineStatus::Succeeded);
}

#[test]
fn an_outcome_is_recorded_as_its_status_and_a_supersession_as_superseded() {
    let outcome = |status, error: Option<&str>| ExecutionOutcome {
        status,
        output: None,
        error: error.map(|e| StatesError::new(e, "")),
    };
    assert_eq!(of(&outcome(ExecutionStatus::Succeeded, None)), PipelineStatus::Succeeded);
    assert_eq!(
        of(&outcome(ExecutionStatus::TimedOut, Some("States.Timeout"))),
        PipelineStatus::TimedOut
    );
    assert_eq!(of(&outcome(ExecutionStatus::Aborted, None)), PipelineStatus::Aborted);
    assert_eq!(
        of(&outcome(ExecutionStatus::Failed, Some("States.TaskFailed"))),
        PipelineStatus::Failed
    );
    assert_eq!(
        of(&outcome(ExecutionStatus::Failed, Some("Baton.Superseded"))),
        PipelineStatus::Superseded
    );
}

#[test]
fn a_status_no_execution_has_is_a_damaged_record() {
    let (_dir, db) = db();
    started(&db);
    db.lock()
        .execute("UPDATE executions SET status = 'IN_PROGRESS' WHERE id = ?1", [ID])
        .expect("damage");
    let read = db
        .lock()
        .query_row("SELECT status FROM executions WHERE id = ?1", [ID], |r| column(r, 0));
    assert!(read.is_err_and(|e| e.to_string().contains("no execution is ever `IN_PROGRESS`")));
    for s in PipelineStatus::ALL {
        assert_eq!(PipelineStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).expect("json"), s.as_str());
    }
}
