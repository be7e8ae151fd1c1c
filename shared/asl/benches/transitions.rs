//! State transitions per second, with full history recorded, for a Pass/Choice loop of 5,000
//! iterations (in JSONPath and in JSONata), inline Maps over 2,000 items, bare and with an
//! ItemSelector reading the context object (the item, the execution's id, a setting of the
//! execution input), and a Distributed Map of 2,000 child executions, each with a context
//! object and a history of its own, all inside the 25,000-event history limit, beside moto's
//! Step Functions interpreter running the JSONPath definitions in the same run.
//!
//! `cargo bench -p baton-asl --bench transitions` (BATON_BENCH_RUNS: Baton runs per case,
//! default 9; BATON_BENCH_MOTO=0 skips moto). Targets: ≥ 500,000 transitions/s for the JSONPath
//! loop and the bare inline Map; ≥ 100× moto for every JSONPath case.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_asl::mock::NoTasks;
use baton_asl::{ExecutionSpec, ExecutionStatus, Interpreter, MemorySink, StateMachine};
use serde_json::{Value, json};

fn loop_definition(n: u64) -> Value {
    json!({"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Step"},
        "Step": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericLessThan": n, "Next": "Step"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}})
}

/// The same loop in JSONata, counting in a workflow variable.
fn jsonata_loop_definition(n: u64) -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Step"},
        "Step": {"Type": "Pass", "Assign": {"i": "{% $i + 1 %}"}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Condition": format!("{{% $i < {n} %}}"), "Next": "Step"}], "Default": "Done"},
        "Done": {"Type": "Succeed"}}})
}

fn map_definition() -> Value {
    json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.all", "MaxConcurrency": 0, "ResultPath": "$.out", "Next": "Done",
                 "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "Parameters": {"v.$": "$"}, "End": true}}}},
        "Done": {"Type": "Succeed"}}})
}

/// The same Map, each item selected through `$$.Map.Item` as the developer guide's examples do,
/// with the execution's id and a setting of the execution input beside it (as real machines
/// hand each iteration `$$.Execution.Input.bucket`): the context object each iteration reads
/// must not cost a copy of the execution input, which holds every item.
fn selector_map_definition() -> Value {
    json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.all", "ResultPath": null, "End": true,
                 "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "run.$": "$$.Execution.Id",
                                  "to.$": "$$.Execution.Input.bucket"},
                 "ItemProcessor": {"StartAt": "Take", "States": {"Take": {"Type": "Pass", "End": true}}}}}})
}

/// The same in JSONata, reading a setting of the Map state's input too: an ItemSelector's
/// `$states.input` is that input, which holds every item as well.
fn jsonata_selector_map_definition() -> Value {
    json!({"QueryLanguage": "JSONata", "StartAt": "Each", "States": {
        "Each": {"Type": "Map", "Items": "{% $states.input.all %}", "Output": {}, "End": true,
                 "ItemSelector": {"v": "{% $states.context.Map.Item.Value %}", "i": "{% $states.context.Map.Item.Index %}",
                                  "run": "{% $states.context.Execution.Id %}", "to": "{% $states.context.Execution.Input.bucket %}",
                                  "from": "{% $states.input.bucket %}"},
                 "ItemProcessor": {"StartAt": "Take", "States": {"Take": {"Type": "Pass", "End": true}}}}}})
}

/// The bare Map in Distributed mode: each item is a child execution, whose context object and
/// history are its own.
fn distributed_map_definition() -> Value {
    let mut definition = map_definition();
    definition["States"]["Each"]["ItemProcessor"]["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"});
    definition
}

/// Runs once; returns (elapsed, transitions = states entered, a Distributed Map's children's
/// with the execution's).
fn run(rt: &tokio::runtime::Runtime, machine: &StateMachine, input: &Value) -> (Duration, usize) {
    let sink = Arc::new(MemorySink::default());
    let interpreter = Interpreter::new(Arc::new(NoTasks), sink.clone());
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:local:0:stateMachine:bench".into(),
        execution_name: "e".into(),
        input: input.clone(),
        input_text: None,
        workflow: Default::default(),
    };
    let t = Instant::now();
    let outcome = rt.block_on(interpreter.execute(machine, &spec));
    let elapsed = t.elapsed();
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);
    let histories: Vec<_> = std::iter::once(sink.events())
        .chain(sink.children().into_iter().map(|(_, events)| events))
        .collect();
    assert!(histories.iter().all(|events| events.len() < 25_000));
    let entered = histories.iter().flatten().filter(|e| e.kind.ends_with("StateEntered")).count();
    (elapsed, entered)
}

fn moto(cases: &[(&str, Value, Value)]) -> Option<Vec<f64>> {
    if std::env::var("BATON_BENCH_MOTO").as_deref() == Ok("0") {
        return None;
    }
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("BATON_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/bin/python"));
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh to install moto, or set BATON_BENCH_MOTO=0",
        python.display()
    );
    let request: Vec<Value> = cases
        .iter()
        .map(|(id, d, i)| json!({"id": id, "definition": d, "input": i, "timeout": 600}))
        .collect();
    let mut child = Command::new(python)
        .arg(root.join("scripts/asl_moto.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&request).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        results
            .iter()
            .map(|r| {
                assert_eq!(r["status"], "SUCCEEDED", "moto: {r}");
                r["seconds"].as_f64().unwrap()
            })
            .collect(),
    )
}

fn main() {
    let runs: usize = std::env::var("BATON_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(9);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cases = [
        ("pass/choice loop, 5,000 iterations", loop_definition(5000), json!({})),
        ("JSONata loop with a variable, 5,000", jsonata_loop_definition(5000), json!({})),
        (
            "inline Map, 2,000 items",
            map_definition(),
            json!({"all": (0..2000).collect::<Vec<u32>>()}),
        ),
        (
            "Map, ItemSelector of $$.Map.Item",
            selector_map_definition(),
            json!({"bucket": "b", "all": (0..2000).collect::<Vec<u32>>()}),
        ),
        (
            "JSONata Map, ItemSelector of context",
            jsonata_selector_map_definition(),
            json!({"bucket": "b", "all": (0..2000).collect::<Vec<u32>>()}),
        ),
        (
            "Distributed Map, 2,000 children",
            distributed_map_definition(),
            json!({"all": (0..2000).collect::<Vec<u32>>()}),
        ),
    ];
    let mut baton = Vec::new();
    for (name, definition, input) in &cases {
        let machine = StateMachine::from_json(&definition.to_string()).unwrap();
        run(&rt, &machine, input); // warm-up
        let mut times: Vec<(Duration, usize)> = (0..runs).map(|_| run(&rt, &machine, input)).collect();
        times.sort();
        let (median, transitions) = times[times.len() / 2];
        baton.push((name, median, transitions));
    }
    // moto's interpreter has no JSONata: it runs the JSONPath cases only.
    let jsonpath: Vec<_> = cases.iter().filter(|(name, ..)| !name.starts_with("JSONata")).cloned().collect();
    let moto_seconds = moto(&jsonpath);
    println!("ASL interpreter throughput (median of {runs} Baton runs, history recorded)");
    let mut moto_index = 0;
    for (name, median, transitions) in &baton {
        let tps = *transitions as f64 / median.as_secs_f64();
        print!(
            "  {name:<36} {transitions:>6} transitions  baton {:>8.2} ms = {tps:>9.0}/s",
            median.as_secs_f64() * 1e3
        );
        match &moto_seconds {
            Some(m) if !name.starts_with("JSONata") => {
                let secs = m[moto_index];
                moto_index += 1;
                println!(
                    "  moto {:>8.1} ms = {:>7.0}/s  ({:.0}x)",
                    secs * 1e3,
                    *transitions as f64 / secs,
                    secs / median.as_secs_f64()
                );
            }
            Some(_) => println!("  (moto has no JSONata)"),
            None => println!(),
        }
    }
    println!("  targets (JSONPath loop, inline Map): >= 500,000 transitions/s; every JSONPath case >= 100x moto");
}
