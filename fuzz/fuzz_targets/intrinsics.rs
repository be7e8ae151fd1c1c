//! Intrinsic functions (`States.Format(...)` and the rest): the first line is the expression,
//! the rest the input document its paths read.
#![no_main]

use baton_asl::Context;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (expr, doc) = text.split_once('\n').unwrap_or((text, "{}"));
    let doc: Value = serde_json::from_str(doc).unwrap_or(Value::Null);
    let context = Context::fixed(serde_json::json!({ "Execution": { "Name": "e1" } }));
    if baton_asl::intrinsics::parse(expr).is_ok() {
        let _ = baton_asl::intrinsics::evaluate(expr, &doc, &context);
    }
});
