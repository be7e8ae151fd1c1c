//! Errors of the local adapters.

use std::path::{Path, PathBuf};

use baton_core::ports::PortError;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("database {path}: {source}")]
    Db { path: PathBuf, source: rusqlite::Error },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Spec(#[from] baton_core::SpecError),
    #[error("{0}")]
    Invalid(String),
    #[error("command `{command}` failed: {message}")]
    Command { command: String, message: String },
}

impl LocalError {
    pub fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.as_ref().to_path_buf();
        move |source| Self::Io { path, source }
    }

    pub fn db(path: &Path, source: rusqlite::Error) -> Self {
        Self::Db {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn sql(source: rusqlite::Error) -> Self {
        Self::Sql(source)
    }
}

impl From<LocalError> for PortError {
    fn from(e: LocalError) -> Self {
        let transient = matches!(&e, LocalError::Sql(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy);
        PortError {
            message: e.to_string(),
            transient,
        }
    }
}
