//! `baton replay`: a finished execution run again in the local interpreter with its recorded task
//! results, compared state by state with the recorded run.

use std::path::Path;

use anyhow::Context;
use baton_asl::StateMachine;
use baton_asl::replay::{Compared, Difference, Replay};
use serde_json::{Value, json};

use crate::Usage;
use crate::out::println;
use crate::style;

pub(crate) async fn run(
    execution: &str,
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
    json_out: bool,
) -> anyhow::Result<u8> {
    let ops = crate::locate::operations(pipeline, state_dir, stack).await?;
    let recorded = ops.recording(execution).await?;
    let id = recorded.execution.id.clone();
    if !recorded.recording.ended() {
        anyhow::bail!(Usage(format!(
            "execution {id} is {}; a replay compares a finished run — wait for it to end",
            recorded.execution.status
        )));
    }
    let machine = StateMachine::from_json(&recorded.definition).map_err(|e| {
        Usage(format!(
            "the definition execution {id} ran is not one this interpreter accepts: {e}"
        ))
    })?;
    let recording = recorded.recording;
    // Virtual time, so a Wait of an hour takes none: a runtime of its own, on a blocking thread.
    let replayed = tokio::task::spawn_blocking(move || -> anyhow::Result<Replay> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .context("starting the interpreter's runtime")?;
        Ok(runtime.block_on(baton_asl::replay::replay(&machine, &recording)))
    })
    .await
    .context("the interpreter thread failed")??;
    let agrees = replayed.agrees();
    if json_out {
        let mut doc = serde_json::to_value(&replayed)?;
        doc["execution"] = json!(id);
        doc["agrees"] = json!(agrees);
        doc["first_divergence"] = json!(replayed.first_divergence());
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print(&id, &replayed);
    }
    Ok(u8::from(!agrees))
}

fn print(id: &str, replayed: &Replay) {
    println!("Replayed execution {id} in the local interpreter, each task answered as recorded");
    if replayed.redriven {
        println!("  (it was redriven: its first run is compared)");
    }
    println!();
    println!("  {:<32} {:>8}  COMPARED", "STATE", "EVENT");
    for c in &replayed.states {
        let event = c.recorded_event.map_or_else(|| "-".to_string(), |e| format!("#{e}"));
        let (mark, text) = match &c.difference {
            None => (style::OK, "same input and output".to_string()),
            Some(d) => (style::FAIL, describe(d)),
        };
        println!("  {:<32} {event:>8}  {}{text}{}", c.state, mark.render(), mark.render_reset());
    }
    println!();
    let end = |e: &Option<baton_asl::replay::End>| {
        e.as_ref().map_or_else(
            || "did not end".to_string(),
            |e| match (&e.error, &e.cause) {
                (Some(error), Some(cause)) => format!("{} ({error}: {cause})", e.event),
                (Some(error), None) => format!("{} ({error})", e.event),
                _ => e.event.clone(),
            },
        )
    };
    match replayed.first_divergence() {
        None if replayed.ends_agree() => println!(
            "The runs agree: {} state entries with the same input and output, both ended {}.",
            replayed.states.len(),
            end(&replayed.recorded_end)
        ),
        None => println!(
            "The states agree but the runs end differently: recorded {}, here {}.",
            end(&replayed.recorded_end),
            end(&replayed.local_end)
        ),
        Some(first) => println!(
            "The runs part at {}. Recorded {}; here {}.",
            at(first),
            end(&replayed.recorded_end),
            end(&replayed.local_end)
        ),
    }
}

/// `State (recorded event #N): what differs`.
fn at(c: &Compared) -> String {
    let event = c.seen_at.map(|e| format!(" (recorded event #{e})")).unwrap_or_default();
    let what = c.difference.as_ref().map(describe).unwrap_or_default();
    format!("{}{event}: {what}", c.state)
}

fn describe(d: &Difference) -> String {
    let value = |v: &Option<Value>| {
        v.as_ref()
            .map_or_else(|| "nothing".to_string(), |v| style::truncate(&v.to_string(), 60))
    };
    match d {
        Difference::NotEnteredLocally => "entered in the recorded run only".into(),
        Difference::OnlyLocally => "entered here only".into(),
        Difference::Input { path, recorded, local } => {
            format!("input differs at {path}: recorded {}, here {}", value(recorded), value(local))
        }
        Difference::Output { path, recorded, local } => {
            format!("output differs at {path}: recorded {}, here {}", value(recorded), value(local))
        }
        Difference::Error { recorded, local } => format!(
            "recorded {}, here {}",
            recorded.as_deref().map_or_else(|| "no error".to_string(), |e| format!("error {e}")),
            local.as_deref().map_or_else(|| "no error".to_string(), |e| format!("error {e}"))
        ),
    }
}
