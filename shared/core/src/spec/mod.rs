//! The files users write: `pipeline.yml`, `buildspec.yml` (CodeBuild) and `appspec.yml`
//! (CodeDeploy), parsed into typed models with located errors.

pub mod appspec;
pub mod buildspec;
pub mod duration;
pub mod error;
pub mod lambda_appspec;
pub mod pipeline;
pub mod validate;

use std::path::Path;

pub use error::{Diagnostic, Pos, SpecError};

/// Reads a spec file as UTF-8, pointing at the first invalid byte when it is not.
pub fn read_text(file: &Path) -> Result<String, SpecError> {
    let bytes = std::fs::read(file).map_err(|e| SpecError {
        diagnostics: vec![Diagnostic {
            file: file.to_path_buf(),
            pos: Pos { line: 0, column: 0 },
            message: format!("cannot read the file: {e}"),
            source_line: None,
        }],
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = String::from_utf8_lossy(valid);
        let line = text.matches('\n').count() as u32 + 1;
        let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        SpecError {
            diagnostics: vec![Diagnostic {
                file: file.to_path_buf(),
                pos: Pos { line, column },
                message: "the file is not valid UTF-8".into(),
                source_line: None,
            }],
        }
    })
}
