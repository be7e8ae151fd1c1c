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
    /// What was asked for names nothing here: an execution, an artifact version, a deployment
    /// group, a parameter, a revision.
    #[error("{0}")]
    NotFound(String),
    /// It exists, but its state refuses the request: an execution that cannot be retried, a
    /// front door another process holds, a state directory a newer Baton wrote.
    #[error("{0}")]
    Conflict(String),
    /// The request itself is wrong: an ambiguous id, a directory that is not a git repository.
    #[error("{0}")]
    BadRequest(String),
    /// What Baton stored can no longer be read as it was written (a record, a listing, a pack).
    #[error("{0}")]
    Corrupt(String),
    /// An action's own files make it fail: a buildspec's artifacts that match nothing, a report
    /// in a format not read, an appspec's script missing from the revision. The message is the
    /// reason its build or deployment reports.
    #[error("{0}")]
    Action(String),
    /// Baton broke its own expectations (a task that panicked, a value that would not serialize).
    #[error("{0}")]
    Internal(String),
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

    /// A directory walk's failure, as the I/O error on the path it stopped at.
    pub fn walk(e: walkdir::Error) -> Self {
        let path = e.path().map(Path::to_path_buf).unwrap_or_default();
        let error = e
            .into_io_error()
            .unwrap_or_else(|| std::io::Error::other("a symbolic link loops back to its own directory"));
        Self::Io { path, error }
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
