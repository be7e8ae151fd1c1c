//! The files users write: `pipeline.yml`, `buildspec.yml` (CodeBuild) and `appspec.yml`
//! (CodeDeploy), parsed into typed models with located errors.

pub mod appspec;
pub mod batch;
pub mod buildspec;
pub mod duration;
pub mod error;
pub mod lambda_appspec;
pub mod pipeline;
pub mod plain;
pub mod validate;

use std::path::Path;

pub use error::{Diagnostic, Pos, SpecError};

/// The largest spec file read. Hand-written specs are kilobytes; one of megabytes was generated
/// by mistake, and parsing it whole would only delay the error.
pub const MAX_SPEC_BYTES: u64 = 4 << 20;

/// Whether a path a spec gives inside a tree (the source, a build's workspace, a revision)
/// would leave it as written: absolute, or climbing with `..`. Such paths are refused where
/// they are written; links are resolved where the path is used.
pub fn leaves_its_tree(path: &str) -> bool {
    Path::new(path).has_root() || Path::new(path).components().any(|c| c == std::path::Component::ParentDir)
}

/// Reads a spec file as UTF-8, pointing at the first invalid byte when it is not.
pub fn read_text(file: &Path) -> Result<String, SpecError> {
    let refuse = |pos: Pos, message: String| SpecError {
        diagnostics: vec![Diagnostic {
            file: file.to_path_buf(),
            pos,
            message,
            source_line: None,
        }],
    };
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if size > MAX_SPEC_BYTES {
        return Err(refuse(
            Pos { line: 1, column: 1 },
            format!(
                "the file is {:.1} MiB; spec files are read up to {} MiB",
                size as f64 / f64::from(1 << 20),
                MAX_SPEC_BYTES >> 20
            ),
        ));
    }
    let bytes = std::fs::read(file).map_err(|e| refuse(Pos { line: 0, column: 0 }, format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        refuse(Pos::after(&String::from_utf8_lossy(valid)), "the file is not valid UTF-8".into())
    })?;
    // Some parsers would stop at a NUL with a puzzling message, or read past it.
    if let Some(at) = text.find('\0') {
        return Err(refuse(
            Pos::after(&text[..at]),
            "the file contains a NUL byte; it must be text".into(),
        ));
    }
    Ok(text)
}
