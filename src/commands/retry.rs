//! `baton retry --stack NAME`: Step Functions' RedriveExecution of a deployed stack's failed
//! execution, followed to its end. (Locally `baton retry` carries the execution on in this
//! process, with the run's display: `commands::run::carry_on`.)

use std::path::Path;

use baton_core::pipeline_status::PipelineStatus;

use crate::out::println;
use crate::style;

pub(crate) async fn on_stack(execution: &str, failed_only: bool, pipeline: &Path, stack: &crate::stack::Remote) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, None, Some(stack)).await?;
    let retry = ops.retry(execution, failed_only).await?;
    let id = &retry.plan.execution.id;
    let from = retry
        .plan
        .stage
        .as_ref()
        .map_or_else(|| retry.plan.from.clone(), |s| format!("stage {s}"));
    println!("Retrying execution {id} from {from} (Step Functions redrives what did not succeed)");
    let status = crate::progress::during(format!("waiting for execution {id} to end"), retry.run).await?;
    let s = style::status(status.as_str());
    println!("Execution {id} {}{status}{}", s.render(), s.render_reset());
    Ok(if status == PipelineStatus::Succeeded { 0 } else { 1 })
}
