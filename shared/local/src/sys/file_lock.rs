//! Advisory file locks (the standard library's `File::lock`, `flock` on Linux), for what must
//! be exclusive across every `baton` process on a state directory: one deployment at a time per
//! deployment group, and no blob sweep while an artifact is being stored.

use std::path::PathBuf;

use crate::error::LocalError;

/// Many holders at once, or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockMode {
    Shared,
    Exclusive,
}

/// An exclusive lock, released when dropped (or when the process dies, so a crash never leaves
/// a group locked).
#[derive(Debug)]
pub struct FileLock {
    _file: std::fs::File,
}

/// Waits for the exclusive lock on `path` (created if missing) on a blocking thread.
pub(crate) async fn exclusive(path: PathBuf) -> Result<FileLock, LocalError> {
    tokio::task::spawn_blocking(move || lock(&path, LockMode::Exclusive))
        .await
        .map_err(|e| LocalError::Internal(format!("lock task failed: {e}")))?
}

/// Takes the lock on `path` (created if missing), blocking this thread until it is free.
pub(crate) fn lock(path: &std::path::Path, mode: LockMode) -> Result<FileLock, LocalError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(LocalError::io(dir))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(LocalError::io(path))?;
    match mode {
        LockMode::Shared => file.lock_shared(),
        LockMode::Exclusive => file.lock(),
    }
    .map_err(LocalError::io(path))?;
    Ok(FileLock { _file: file })
}
