//! JSONata against its reference implementation: each expression of
//! `tests/jsonata_reference/expressions.rs` is evaluated by Baton (`baton_asl::jsonata::evaluate`,
//! as a Pass state's `Output` would be) and by jsonata-js 2.0.6, the version Step Functions runs
//! ("Step Functions implements JSONata based on the 2.0.6 specification", developer guide,
//! Transforming data with JSONata; pinned in package.json), in
//! `tests/jsonata_reference/evaluate.cjs`, with the same `$states` and no input, and the two must
//! agree — on the value, on nothing (undefined), and on an error's code and words, which AWS's
//! causes carry (recorded in floci-io/floci#2668, #2687, #2737, #2745 and #2783). The expressions
//! are every builtin called with ten kinds of argument, the operators' and the parser's errors, and
//! everyday expressions. Where Baton answers otherwise on purpose (AWS's recorded answer) or the
//! embedded engine falls short, the expression is listed, with the reason, in
//! `tests/jsonata-reference-differences.json`; a listed one that now agrees must go.
//!
//! Needs Node and the jsonata package that `scripts/test.sh` installs (`npm ci`).

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "test fixtures: a panic is the failure report")]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use baton_asl::jsonata::{Env, evaluate};
use serde_json::{Value, json};

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

#[path = "jsonata_reference/expressions.rs"]
mod expressions;

use expressions::{EXPRESSIONS, calls};

/// One expression's answer, as both sides give it.
#[derive(Debug, PartialEq)]
enum Answer {
    Value(Value),
    Nothing,
    Function,
    Error(String),
    Invalid(String),
}

fn reference(expressions: &[String], states: &Value) -> Vec<Answer> {
    let node = std::env::var_os("BATON_NODE").unwrap_or_else(|| "node".into());
    let mut child = Command::new(&node)
        .arg(here().join("jsonata_reference/evaluate.cjs"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}; run scripts/test.sh, which needs Node", node.to_string_lossy()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            json!({"bindings": {"states": states}, "expressions": expressions})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jsonata-js failed (run scripts/test.sh, whose `npm ci` installs it): {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    answers
        .into_iter()
        .map(|a| match a {
            Value::Object(mut m) if m.contains_key("value") => Answer::Value(m.remove("value").unwrap()),
            Value::Object(m) if m.contains_key("undefined") => Answer::Nothing,
            Value::Object(m) if m.contains_key("function") => Answer::Function,
            Value::Object(m) if m.contains_key("error") => Answer::Error(m["error"].as_str().unwrap().to_string()),
            other => Answer::Invalid(other["invalid"].as_str().unwrap().to_string()),
        })
        .collect()
}

fn baton(expression: &str, states: &Value) -> Answer {
    let variables = BTreeMap::new();
    let env = Env {
        states,
        variables: &variables,
    };
    match evaluate(expression, &env, "Output") {
        Ok(Some(value)) => Answer::Value(value),
        Ok(None) => Answer::Nothing,
        Err(e) if e.cause.ends_with("returned an unsupported result type.") => Answer::Function,
        Err(e) => match e.cause.split_once("threw an error during evaluation") {
            Some((_, tail)) => Answer::Error(tail.trim_start_matches(['.', ':', ' ']).to_string()),
            None => Answer::Invalid(
                e.cause
                    .split_once("does not parse: ")
                    .map_or(e.cause.clone(), |(_, m)| m.to_string()),
            ),
        },
    }
}

/// Numbers compare as numbers: jsonata-js writes `1e21` where Baton writes `1e+21`, and an
/// integer past 2^53 as an integer.
fn same(a: &Answer, b: &Answer) -> bool {
    fn numbers_as_f64(v: &Value) -> Value {
        match v {
            Value::Number(n) => json!(n.as_f64()),
            Value::Array(items) => Value::Array(items.iter().map(numbers_as_f64).collect()),
            Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), numbers_as_f64(v))).collect()),
            other => other.clone(),
        }
    }
    match (a, b) {
        (Answer::Value(x), Answer::Value(y)) => numbers_as_f64(x) == numbers_as_f64(y),
        _ => a == b,
    }
}

#[test]
fn agrees_with_jsonata_js() {
    let expressions: Vec<String> = calls().into_iter().chain(EXPRESSIONS.iter().map(|e| e.to_string())).collect();
    let states = json!({"input": {}});
    let expected = reference(&expressions, &states);
    let known: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(here().join("jsonata-reference-differences.json")).unwrap()).unwrap();
    let mut unexplained = Vec::new();
    let mut agreed = 0;
    for (expression, js) in expressions.iter().zip(&expected) {
        let ours = baton(expression, &states);
        match (same(js, &ours), known.contains_key(expression)) {
            (true, false) => agreed += 1,
            (true, true) => unexplained.push(format!("{expression}: agrees now; remove it from the differences")),
            (false, true) => {}
            (false, false) => unexplained.push(format!("{expression}: jsonata-js {js:?} | baton {ours:?}")),
        }
    }
    for listed in known.keys().filter(|k| !expressions.contains(k)) {
        unexplained.push(format!("{listed}: listed but not evaluated"));
    }
    println!("agreement with jsonata-js: {agreed}/{} expressions", expressions.len());
    assert!(
        unexplained.is_empty(),
        "differences from jsonata-js that are not explained:\n{}",
        unexplained.join("\n")
    );
}
