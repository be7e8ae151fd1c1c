//! Malformed definitions are refused or run, never panic: every conformance definition is
//! mutated many times (fields dropped, values swapped for other JSON types, keys renamed) and
//! each mutant is validated and, if accepted, executed under virtual time.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::sync::Arc;

use baton_asl::mock::NoTasks;
use baton_asl::{ExecutionOutcome, ExecutionSpec, Interpreter, NullSink, StateMachine};
use serde_json::{Value, json};

/// Every location in a document, as a path of keys and indices.
fn locations(v: &Value, here: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            let mut p = here.clone();
            p.push(json!(k));
            locations(v, p, out);
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| {
            let mut p = here.clone();
            p.push(json!(i));
            locations(v, p, out);
        }),
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Value::String(k) => v.get_mut(k.as_str()),
        Value::Number(i) => v.get_mut(i.as_u64()? as usize),
        _ => None,
    })
}

fn mutate(definition: &Value, rng: &mut fastrand::Rng) -> Value {
    let mut out = definition.clone();
    let mut spots = Vec::new();
    locations(definition, Vec::new(), &mut spots);
    let path = &spots[rng.usize(..spots.len())];
    let replacements = [
        json!(null),
        json!(-1),
        json!(1.5),
        json!("$.x"),
        json!("{% $x %}"),
        json!("States.Format('{}')"),
        json!([]),
        json!({}),
        json!(true),
        json!(""),
    ];
    match rng.u8(..3) {
        // Drop the member.
        0 if !path.is_empty() => {
            let (last, parent) = path.split_last().unwrap();
            if let Some(p) = at(&mut out, parent) {
                match (p, last) {
                    (Value::Object(m), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Value::Number(i)) => {
                        a.remove(i.as_u64().unwrap() as usize);
                    }
                    _ => {}
                }
            }
        }
        // Rename a key.
        1 if matches!(path.last(), Some(Value::String(_))) => {
            let (last, parent) = path.split_last().unwrap();
            if let Some(Value::Object(m)) = at(&mut out, parent) {
                let k = last.as_str().unwrap();
                if let Some(v) = m.remove(k) {
                    m.insert(format!("{k}x"), v);
                }
            }
        }
        // Replace the value with another JSON type.
        _ => {
            if let Some(v) = at(&mut out, path) {
                *v = replacements[rng.usize(..replacements.len())].clone();
            }
        }
    }
    out
}

#[test]
fn mutants_never_panic() {
    let mut rng = fastrand::Rng::with_seed(20261126);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let (mut refused, mut ran) = (0, 0);
    // A case that runs into JSONata's time bound takes its 5 s of wall time, as would each of
    // its mutants that still loops; the conformance suite runs it once.
    let timed = |case: &common::Case| {
        case.expect
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("Expression evaluation timeout"))
    };
    for case in common::cases().iter().filter(|case| !timed(case)) {
        for _ in 0..40 {
            let mutant = mutate(&case.definition, &mut rng);
            match StateMachine::from_json(&mutant.to_string()) {
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    refused += 1;
                }
                Ok(machine) => {
                    let spec = spec(case.input.clone());
                    let interpreter = Interpreter::new(Arc::new(NoTasks), Arc::new(NullSink));
                    // Mutants may loop; the history limit or virtual time ends them.
                    let _ = runtime.block_on(async {
                        tokio::time::timeout(std::time::Duration::from_secs(86_400 * 400), interpreter.execute(&machine, &spec)).await
                    });
                    ran += 1;
                }
            }
        }
    }
    assert!(refused > 1000 && ran > 1000, "refused {refused}, ran {ran}");
}

fn spec(input: Value) -> ExecutionSpec {
    ExecutionSpec {
        state_machine_arn: "arn:aws:states:local:0:stateMachine:m".into(),
        execution_name: "e".into(),
        input,
        input_text: None,
        workflow: Default::default(),
    }
}

/// Runs `machine` on a runtime worker, whose stack is smaller than the main thread's, as in
/// `asl run`.
fn on_a_worker(machine: StateMachine, input: Value) -> ExecutionOutcome {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let interpreter = Interpreter::new(Arc::new(NoTasks), Arc::new(NullSink));
    let spec = spec(input);
    runtime.block_on(async move {
        tokio::spawn(async move { interpreter.execute(&machine, &spec).await })
            .await
            .unwrap()
    })
}

/// Hostile sizes and depths are refused in words or run, never crash: a definition past the
/// API's 1,048,576 characters (the service model's `Definition` shape), and intrinsic calls,
/// filter brackets and `!`s nested or chained thousands deep, each of which overflowed the
/// stack of the thread running the state before.
#[test]
fn what_is_too_long_or_too_deep_is_refused_in_words_or_runs() {
    let pass = |field: &str, value: String| json!({"StartAt": "P", "States": {"P": {"Type": "Pass", field: value, "End": true}}});
    let load = |definition: Value| StateMachine::from_json(&definition.to_string());

    let long = pass("Comment", "x".repeat(1_048_576));
    let e = load(long).unwrap_err().to_string();
    assert!(e.ends_with("Member must have length less than or equal to 1048576"), "{e}");
    let within = load(pass("Comment", "x".repeat(1_000_000)));
    assert!(within.is_ok(), "a definition within the length is read");

    let nested = |n: usize| format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
    let parameters = |expr: String| json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"r.$": expr}, "End": true}}});
    assert!(load(parameters(nested(100))).is_ok());
    let e = load(parameters(nested(20_000))).unwrap_err().to_string();
    assert!(e.contains("intrinsic functions nest more than 100 deep") && e.len() < 1000, "{e}");

    let filter = |inside: String| pass("InputPath", format!("$.a[?({inside})]"));
    let e = load(filter(format!("{}@.x == 1{}", "(".repeat(20_000), ")".repeat(20_000)))).unwrap_err();
    assert!(e.to_string().contains("valid JSONPath"), "{e}");
    // Long chains and runs of `!` are read flat, and run.
    for inside in [vec!["@.x == 1"; 50_000].join(" || "), format!("{}@.x == 1", "!".repeat(200_000))] {
        let outcome = on_a_worker(load(filter(inside)).expect("read"), json!({"a": [{"x": 1}, {"x": 2}]}));
        assert_eq!(outcome.output, Some(json!([{"x": 1}])));
    }

    // A state that nests its input one level further each time it runs: Jackson's bound (1000)
    // ends it as a failure, where writing the output once overflowed the stack.
    let nesting = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "ResultPath": "$.a", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "E"}], "Default": "P"},
        "E": {"Type": "Succeed"}}});
    let outcome = on_a_worker(load(nesting).expect("read"), json!({}));
    let error = outcome.error.expect("failed");
    assert_eq!(error.error, "States.Runtime");
    assert!(
        error
            .cause
            .contains("Document nesting depth (1001) exceeds the maximum allowed (1000"),
        "{}",
        error.cause
    );
    // A ResultPath that would nest the input 100,000 levels at once is refused as it is read.
    let e = load(pass("ResultPath", format!("${}", ".a".repeat(100_000))))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the Reference Path is 100000 steps deep; Baton writes at most 100"),
        "{e}"
    );
}
