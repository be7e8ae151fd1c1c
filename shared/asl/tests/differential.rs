//! Differential test: the conformance cases that need no mocks and no long waits run through
//! moto's Step Functions interpreter (moto server, state machine execution switched on through
//! its config API; the interpreter derives from LocalStack's) and through Baton; the agreement
//! rate is printed, and every disagreement must be listed, with the documentation that shows
//! Baton is right, in `tests/moto-disagreements.json`.
//!
//! Needs the Python venv that `scripts/test.sh` installs (`BATON_PYTHON`, else `.venv/bin/python`).

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{Case, Outcome};
use serde_json::{Value, json};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    let p = std::env::var_os("BATON_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh, which installs moto into .venv",
        p.display()
    );
    p
}

/// Cases moto can run as they are: no Task mocks, no definitions meant to be rejected, no Wait
/// long enough to matter (moto's interpreter sleeps for real) nor a MaxConcurrency past
/// `u32::MAX` (moto sizes a thread pool by it and never ends), no run to Step Functions' history
/// limit (moto has none and spins until its driver gives up), and neither JSONata nor workflow
/// variables, which moto 5.2.5's interpreter does not implement (every such case fails there
/// with States.Runtime, whatever it does).
fn eligible(case: &Case) -> bool {
    if case.file == "jsonata" || case.file == "variables" {
        return false;
    }
    if case
        .expect
        .cause
        .as_deref()
        .is_some_and(|c| c.contains("maximum number of history events"))
    {
        return false;
    }
    fn stalls_moto(v: &Value) -> bool {
        match v {
            Value::Object(m) => {
                (m.get("Type") == Some(&json!("Wait"))
                    && (m.get("Seconds").and_then(Value::as_u64).unwrap_or(0) > 1 || m.contains_key("SecondsPath")))
                    || m.get("MaxConcurrency")
                        .and_then(Value::as_u64)
                        .is_some_and(|n| n > u64::from(u32::MAX))
                    || m.values().any(stalls_moto)
            }
            Value::Array(a) => a.iter().any(stalls_moto),
            _ => false,
        }
    }
    case.tasks.is_none()
        && case.expect.invalid.is_none()
        && case.definition.get("TimeoutSeconds").is_none()
        && !stalls_moto(&case.definition)
}

#[test]
fn agrees_with_moto() {
    let cases: Vec<Case> = common::cases().into_iter().filter(eligible).collect();
    let request: Vec<Value> = cases
        .iter()
        .map(|c| json!({"id": format!("{}/{}", c.file, c.name), "definition": c.definition, "input": c.input}))
        .collect();
    let mut child = Command::new(python())
        .arg(workspace().join("scripts/asl_moto.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&request).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the moto driver failed");
    let moto: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let moto: BTreeMap<String, Value> = moto.into_iter().map(|r| (r["id"].as_str().unwrap().to_string(), r)).collect();

    let mut disagreements = BTreeMap::new();
    for case in &cases {
        let id = format!("{}/{}", case.file, case.name);
        let m = &moto[&id];
        let Outcome::Ran { status, output, error, .. } = common::execute(case) else {
            panic!("{id}: rejected by Baton")
        };
        // Outputs are compared only where the case pins one (UUIDs and random numbers differ).
        let same = m["status"] == json!(status)
            && (status != "SUCCEEDED" || case.expect.output.is_none() || m["output"] == json!(output))
            && (status == "SUCCEEDED" || m["error"] == json!(error));
        if !same {
            disagreements.insert(
                id,
                format!(
                    "moto: {} {} {} | baton: {status} {} {error:?}",
                    m["status"],
                    m["output"],
                    m["error"],
                    json!(output)
                ),
            );
        }
    }
    let agreed = cases.len() - disagreements.len();
    println!(
        "agreement with moto: {agreed}/{} cases ({:.1}%)",
        cases.len(),
        100.0 * agreed as f64 / cases.len() as f64
    );

    let explained: BTreeMap<String, String> = serde_json::from_str(
        &std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/moto-disagreements.json")).unwrap(),
    )
    .unwrap();
    let unexplained: Vec<String> = disagreements
        .iter()
        .filter(|(id, _)| !explained.contains_key(*id))
        .map(|(id, d)| format!("{id}: {d}"))
        .collect();
    let stale: Vec<&String> = explained.keys().filter(|id| !disagreements.contains_key(*id)).collect();
    assert!(
        unexplained.is_empty(),
        "disagreements with moto that are neither fixed nor explained:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "explained disagreements that no longer happen (remove them): {stale:?}"
    );
}
