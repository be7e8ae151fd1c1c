//! buildspec.yml: parsing never panics, and every refusal names the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = baton_core::spec::buildspec::parse_buildspec(Path::new("buildspec.yml"), text) {
        assert!(e.to_string().contains("buildspec.yml"), "an error without its file: {e}");
    }
});
