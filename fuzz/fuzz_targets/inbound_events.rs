//! What arrives from outside a running pipeline: Baton's own events (as the events function and
//! the local inbox decode them), and the schedule expressions and durations of pipeline.yml.
#![no_main]

use baton_core::events::Event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<Event>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = baton_core::trigger::Schedule::parse(text);
        let _ = baton_core::spec::duration::Span::parse(text);
    }
});
