//! appspec.yml, both platforms: parsing never panics, and every refusal names the file.
#![no_main]

use std::path::Path;

use baton_core::spec::{appspec, lambda_appspec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = Path::new("appspec.yml");
    let lambda = lambda_appspec::is_lambda(file, text).unwrap_or(false);
    let refused = if lambda {
        lambda_appspec::parse_lambda_appspec(file, text).err()
    } else {
        appspec::parse_appspec(file, text).err()
    };
    if let Some(e) = refused {
        assert!(e.to_string().contains("appspec.yml"), "an error without its file: {e}");
    }
});
