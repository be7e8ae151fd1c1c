//! JSON files named on the command line (alarms, datapoints, execution input, mock configs): read
//! with the spec files' checks (UTF-8, size) and refused with file:line:column.

use std::path::Path;

use baton_core::spec::error::Reporter;
use baton_core::spec::{Pos, read_text};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Usage;

/// A JSON file's text and value.
pub(crate) fn read(path: &Path) -> anyhow::Result<(String, Value)> {
    let text = read_text(path).map_err(|e| anyhow::Error::new(Usage(e.to_string())))?;
    let value = parse(path, &text)?;
    Ok((text, value))
}

/// `text` as JSON, or an error at the line and column where it stops being JSON.
pub(crate) fn parse(origin: &Path, text: &str) -> anyhow::Result<Value> {
    parse_as(origin, text)
}

/// `text` as a `T`, or an error at the line and column where it stops being JSON or one.
pub(crate) fn parse_as<T: DeserializeOwned>(origin: &Path, text: &str) -> anyhow::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        let mut report = Reporter::new(origin, text);
        let message = e.to_string();
        let message = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
        let at = |line: usize, column: usize| Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column.max(1)).unwrap_or(u32::MAX),
        };
        if !(e.is_syntax() || e.is_eof()) {
            // serde_json's column is the last character it read, 0 at the start of a line.
            report.error(at(e.line(), e.column()), baton_core::spec::plain::plain(message));
        } else if text.trim().is_empty() {
            report.error(at(e.line(), e.column()), "not JSON: the text is empty");
        } else if let Some(fault) = baton_asl::json_syntax::first_error(text) {
            // In the words Step Functions gives the same fault, at the character at fault.
            report.error(at(fault.line, fault.column), format!("not JSON: {}", fault.message));
        } else {
            report.error(at(e.line(), e.column()), "not JSON: nested too deeply to read");
        }
        anyhow::Error::new(Usage(report.finish().expect_err("one problem").to_string()))
    })
}
