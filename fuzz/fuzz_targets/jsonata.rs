//! JSONata expressions of JSONata states: parsed, then evaluated against a small `$states`.
//! Inputs are capped so that one expression cannot spend the run on a legitimately huge result.
#![no_main]

use std::collections::BTreeMap;

use baton_asl::jsonata::{Env, evaluate, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 256 {
        return;
    }
    let Ok(expr) = std::str::from_utf8(data) else { return };
    if parse(expr).is_err() {
        return;
    }
    let states = serde_json::json!({ "input": { "a": [1, 2, 3], "b": "text" }, "context": {} });
    let variables = BTreeMap::from([("x".to_string(), serde_json::json!(1))]);
    let env = Env { states: &states, variables: &variables };
    let _ = evaluate(expr, &env, "Output");
});
