//! What changed between two versions of an artifact: files added, removed and changed, with
//! their sizes. Contents are compared by sha256, so a touched-but-equal file is unchanged. Each
//! store lists a version its own way (the local store's listing, an S3 bundle unpacked); the
//! comparison and its counts are here once.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::Serialize;
use walkdir::WalkDir;

use crate::operations::VersionChange;
use crate::ports::ArtifactRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: String,
    pub change: Change,
    pub size_before: Option<u64>,
    pub size_after: Option<u64>,
}

/// `(size, sha256)` of every file (and symlink target), by relative path.
pub type Inventory = BTreeMap<String, (u64, String)>;

/// The inventory of a directory.
pub fn inventory(root: &Path) -> io::Result<Inventory> {
    let mut out = BTreeMap::new();
    for entry in WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = entry?;
        let Ok(rel) = entry.path().strip_prefix(root) else { continue };
        let rel = rel.to_string_lossy().into_owned();
        if entry.file_type().is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or_default();
            out.insert(rel, (size, crate::digest::sha256_file(entry.path())?));
        } else if entry.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            out.insert(rel, (0, format!("-> {}", target.display())));
        }
    }
    Ok(out)
}

pub fn diff(before: &Path, after: &Path) -> io::Result<Vec<FileChange>> {
    Ok(compare(&inventory(before)?, &inventory(after)?))
}

/// How `to` differs from `from`, counted, as an approver sees it.
pub fn counted(from: &ArtifactRef, to: &ArtifactRef, changes: &[FileChange]) -> VersionChange {
    let count = |c: Change| changes.iter().filter(|x| x.change == c).count();
    VersionChange {
        from: from.clone(),
        to: to.clone(),
        changed: count(Change::Changed),
        added: count(Change::Added),
        removed: count(Change::Removed),
    }
}

pub fn compare(a: &Inventory, b: &Inventory) -> Vec<FileChange> {
    let mut out = Vec::new();
    for (path, (size, hash)) in a {
        match b.get(path) {
            None => out.push(FileChange {
                path: path.clone(),
                change: Change::Removed,
                size_before: Some(*size),
                size_after: None,
            }),
            Some((size_after, hash_after)) if hash_after != hash => out.push(FileChange {
                path: path.clone(),
                change: Change::Changed,
                size_before: Some(*size),
                size_after: Some(*size_after),
            }),
            Some(_) => {}
        }
    }
    for (path, (size, _)) in b.iter().filter(|(p, _)| !a.contains_key(*p)) {
        out.push(FileChange {
            path: path.clone(),
            change: Change::Added,
            size_before: None,
            size_after: Some(*size),
        });
    }
    out.sort_by(|x, y| x.path.cmp(&y.path));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_added_removed_and_changed_files_only() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for (dir, files) in [
            (&a, [("same.txt", "x"), ("gone.txt", "old"), ("edit.txt", "v1")]),
            (&b, [("same.txt", "x"), ("new.txt", "fresh"), ("edit.txt", "v2!")]),
        ] {
            for (name, text) in files {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
        }
        let changes = diff(a.path(), b.path()).unwrap();
        let summary: Vec<(&str, Change, Option<u64>, Option<u64>)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.change.clone(), c.size_before, c.size_after))
            .collect();
        assert_eq!(
            summary,
            [
                ("edit.txt", Change::Changed, Some(2), Some(3)),
                ("gone.txt", Change::Removed, Some(3), None),
                ("new.txt", Change::Added, None, Some(5)),
            ]
        );
    }
}
