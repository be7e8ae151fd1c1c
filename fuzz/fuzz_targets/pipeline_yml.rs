//! pipeline.yml: parsing and validation never panic, and every refusal names a location.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = baton_core::spec::validate::parse_pipeline(Path::new("pipeline.yml"), text) {
        assert!(e.to_string().contains("pipeline.yml"), "an error without its file: {e}");
    }
});
