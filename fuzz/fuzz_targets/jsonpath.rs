//! Step Functions JSONPath: the first line is a path, the rest the document it reads.
#![no_main]

use baton_asl::Context;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (path, doc) = text.split_once('\n').unwrap_or((text, "{}"));
    let doc: Value = serde_json::from_str(doc).unwrap_or(Value::Null);
    let context = Context::fixed(serde_json::json!({ "Execution": { "Name": "e1" } }));
    let _ = baton_asl::path::resolve(path, &doc, &context);
});
