//! `baton approve`: answer a manual approval that a running execution waits on. The approver
//! first sees what the execution has produced so far (artifact versions, test results), then the
//! answer goes to the waiting task.

use std::path::Path;

use baton_core::operations::ApprovalAnswer;

use crate::out::println;
use crate::style;

#[derive(Debug)]
pub(crate) struct Answer<'a> {
    pub execution: &'a str,
    pub action: Option<&'a str>,
    pub reject: bool,
    pub comment: Option<String>,
}

pub(crate) async fn run(
    answer: Answer<'_>,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let review = ops.review_approval(answer.execution, answer.action).await?;
    let exec = &review.execution;
    println!(
        "Execution {} · pipeline {} · commit {}",
        exec.id,
        exec.pipeline,
        exec.commit.as_deref().unwrap_or("-")
    );
    println!(
        "  {} waits for approval{}",
        review.action,
        review.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    );
    for (state, result) in &review.produced {
        let summary = style::result_summary(Some(result));
        if !summary.is_empty() {
            println!("  {state:<32} {summary}");
        }
    }
    for group in &review.groups {
        let names: Vec<String> = group.running.iter().map(ToString::to_string).collect();
        println!("  group {} now runs {}", group.group, names.join(", "));
        for c in &group.changes {
            println!(
                "    {} → {}: {} changed, {} added, {} removed (baton artifacts diff {} {})",
                c.from, c.to, c.changed, c.added, c.removed, c.from, c.to
            );
        }
    }

    let answered = ops
        .answer_approval(ApprovalAnswer {
            execution: exec.id.clone(),
            action: Some(review.action.clone()),
            approved: !answer.reject,
            comment: answer.comment,
            by: crate::locate::user(),
        })
        .await?;
    let verdict = if answered.approved { "approved" } else { "rejected" };
    println!("{} {verdict} by {}", answered.action, answered.approver);
    Ok(0)
}
