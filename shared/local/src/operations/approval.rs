//! Approvals: what the approver is approving, and the answer delivered to the waiting task.

use std::collections::BTreeMap;

use baton_core::events::Event;
use baton_core::operations::{
    Answered, ApprovalAnswer, ApprovalReview, GroupChange, MAX_APPROVAL_COMMENT, OperationError, WaitingApproval,
};
use baton_core::ports::ArtifactRef;
use baton_core::stages::outputs::TaskOutput;

use super::{LocalOperations, reference};
use crate::PipelineStatus;
use crate::artifacts::FsArtifactStore;
use crate::coordination::inbox;
use crate::db::Db;
use crate::query::{self, ExecutionRow};

/// The running execution `execution` names and the approval it waits on: the only one, or the
/// one `action` names (`Stage:Action`, or `Action` alone).
fn waiting(
    ops: &LocalOperations,
    db: &Db,
    execution: &str,
    action: Option<&str>,
) -> Result<(ExecutionRow, WaitingApproval), OperationError> {
    let exec = ops.execution(db, execution)?;
    if exec.status != PipelineStatus::Running {
        return Err(OperationError::Conflict(format!(
            "execution {} is {}; nothing waits for approval",
            exec.id, exec.status
        )));
    }
    let mut waiting = inbox::waiting(db, &exec.id)?;
    let found = match (action, waiting.len()) {
        (_, 0) => {
            return Err(OperationError::Conflict(format!(
                "execution {} waits for no approval now; `baton status {}` shows where it is",
                exec.id, exec.id
            )));
        }
        (None, 1) => waiting.remove(0),
        (None, n) => {
            let names: Vec<&str> = waiting.iter().map(|w| w.action.as_str()).collect();
            return Err(OperationError::Invalid(format!(
                "execution {} waits for {n} approvals; choose one with --action: {}",
                exec.id,
                names.join(", ")
            )));
        }
        (Some(name), _) => waiting
            .into_iter()
            .find(|w| w.action == name || w.action.rsplit(':').next() == Some(name))
            // The action may well exist: it is not waiting now.
            .ok_or_else(|| OperationError::Conflict(format!("execution {} has no approval `{name}` waiting", exec.id)))?,
    };
    Ok((exec, found))
}

pub(super) fn review(ops: &LocalOperations, execution: &str, action: Option<&str>) -> Result<ApprovalReview, OperationError> {
    let db = ops.db()?;
    let (exec, approval) = waiting(ops, &db, execution, action)?;
    let mut produced = Vec::new();
    let mut built: Vec<ArtifactRef> = Vec::new();
    for st in query::states(&query::history(&db, &exec.id)?)
        .into_iter()
        .filter(|s| s.kind == "Task" && s.status == "SUCCEEDED")
    {
        let Some(result) = st.result else { continue };
        if let TaskOutput::Build(b) = TaskOutput::read(&result) {
            built.extend(b.artifacts.into_values());
        }
        produced.push((st.name, result));
    }

    // What runs now, and how the release's files differ from it.
    let store = FsArtifactStore::new(&ops.state_dir, db.clone());
    let mut running: BTreeMap<String, Vec<ArtifactRef>> = BTreeMap::new();
    for i in query::instances(&db, &exec.pipeline)?.into_iter().filter(|i| i.running) {
        if let Some(a) = i.artifact.and_then(|a| serde_json::from_value::<ArtifactRef>(a).ok()) {
            let versions = running.entry(i.group).or_default();
            if !versions.contains(&a) {
                versions.push(a);
            }
        }
    }
    let mut groups = Vec::new();
    for (group, versions) in running {
        let mut changes = Vec::new();
        for (from, to) in versions
            .iter()
            .flat_map(|v| built.iter().filter(move |b| b.name == v.name).map(move |b| (v, b)))
        {
            let diff = store.diff(&exec.pipeline, from, to)?;
            changes.push(baton_core::artifact_diff::counted(from, to, &diff));
        }
        groups.push(GroupChange {
            group,
            running: versions,
            changes,
        });
    }
    Ok(ApprovalReview {
        execution: reference(&exec),
        action: approval.action,
        message: approval.message,
        produced,
        groups,
    })
}

pub(super) async fn answer(ops: &LocalOperations, answer: ApprovalAnswer) -> Result<Answered, OperationError> {
    if answer.comment.as_ref().is_some_and(|c| c.chars().count() > MAX_APPROVAL_COMMENT) {
        return Err(OperationError::Invalid(format!(
            "a comment is at most {MAX_APPROVAL_COMMENT} characters"
        )));
    }
    let db = ops.db()?;
    let (exec, approval) = waiting(ops, &db, &answer.execution, answer.action.as_deref())?;
    let event = Event::ApprovalAnswered {
        execution_id: exec.id.clone(),
        action: approval.action.clone(),
        approved: answer.approved,
        approver: answer.by.clone(),
        comment: answer.comment,
    };
    inbox::deliver(&ops.state_dir, &exec.id, &event).await?;
    tracing::info!(execution_id = %exec.id, action = %approval.action, approved = answer.approved, approver = %answer.by, "approval answered");
    Ok(Answered {
        execution: exec.id,
        action: approval.action,
        approved: answer.approved,
        approver: answer.by,
    })
}
