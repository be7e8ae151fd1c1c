//! Errors of the local adapters.

use std::path::{Path, PathBuf};

use baton_core::ports::PortError;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    // The underlying error is part of the message rather than a `source`, so an error chain
    // printed with `{:#}` says it once.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("database {}: {error}", path.display())]
    Db { path: PathBuf, error: rusqlite::Error },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Spec(#[from] baton_core::SpecError),
    /// A state directory whose database no longer matches what it holds.
    #[error(
        "the state directory {} is damaged: {why}. Nothing was changed. Restore baton.db from a backup, or move the directory aside to start afresh (`baton down` still stops the instances it finds)",
        dir.display()
    )]
    DamagedState { dir: PathBuf, why: String },
    #[error(transparent)]
    Escape(#[from] baton_core::beneath::Escape),
    #[error("{0}")]
    Invalid(String),
    #[error("command `{command}` failed: {message}")]
    Command { command: String, message: String },
}

impl LocalError {
    pub fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.as_ref().to_path_buf();
        move |error| Self::Io { path, error }
    }

    pub fn db(path: &Path, error: rusqlite::Error) -> Self {
        Self::Db {
            path: path.to_path_buf(),
            error,
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
