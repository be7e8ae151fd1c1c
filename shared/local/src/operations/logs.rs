//! The build logs of [`LocalOperations`]: each build's log file, read from a byte offset.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use baton_core::operations::{BuildRef, LogChunk, LogCursor, OperationError};

use super::LocalOperations;
use crate::query;

pub(super) fn builds(ops: &LocalOperations, execution: &str) -> Result<Vec<BuildRef>, OperationError> {
    Ok(query::builds(&*ops.db()?, execution)?
        .into_iter()
        .map(|b| BuildRef {
            action: b.action,
            id: b.id,
            status: b.status,
            ended: b.ended_at.is_some(),
            log: b.log_path,
        })
        .collect())
}

/// The complete lines after the cursor's offset (everything, once the build has ended). A log
/// not written yet reads as nothing.
pub(super) fn read(build: &BuildRef, from: &LogCursor) -> LogChunk {
    let offset: u64 = from.0.parse().unwrap_or(0);
    let (text, consumed) = new_lines(Path::new(&build.log), offset, build.ended);
    LogChunk {
        text,
        next: LogCursor((offset + consumed).to_string()),
    }
}

fn new_lines(path: &Path, offset: u64, ended: bool) -> (String, u64) {
    let mut bytes = Vec::new();
    let Ok(mut f) = std::fs::File::open(path) else {
        return (String::new(), 0);
    };
    if f.seek(SeekFrom::Start(offset)).is_err() || f.read_to_end(&mut bytes).is_err() {
        return (String::new(), 0);
    }
    let end = if ended {
        bytes.len()
    } else {
        bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
    };
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), end as u64)
}
