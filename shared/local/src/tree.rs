//! File trees: canonical digests, safe copies and durable writes.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::error::LocalError;

pub use baton_core::digest::TreeSummary;

/// The canonical digest of a tree ([`baton_core::digest`]): the same for a local and an S3 store.
pub fn summarize(root: &Path) -> Result<TreeSummary, LocalError> {
    baton_core::digest::summarize(root).map_err(|e| LocalError::Invalid(e.to_string()))
}

pub fn sha256_file(path: &Path) -> Result<String, LocalError> {
    baton_core::digest::sha256_file(path).map_err(LocalError::io(path))
}

/// Joins a relative path under `root`, refusing anything that would land outside it.
pub fn contained(root: &Path, rel: &str) -> Result<PathBuf, LocalError> {
    let mut out = root.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => {
                return Err(LocalError::Invalid(format!(
                    "`{rel}` leaves its directory (absolute, or uses `..`)"
                )));
            }
        }
    }
    Ok(out)
}

/// Copies a tree, keeping executable bits and in-tree relative symlinks; a symlink that points
/// outside the tree is refused rather than followed.
pub fn copy_tree(from: &Path, to: &Path) -> Result<u64, LocalError> {
    fs::create_dir_all(to).map_err(LocalError::io(to))?;
    let mut files = 0;
    for entry in WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| LocalError::Invalid(format!("reading {}: {e}", from.display())))?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(|_| LocalError::Invalid("walk left its root".into()))?;
        let dest = to.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            fs::create_dir_all(&dest).map_err(LocalError::io(&dest))?;
        } else if ft.is_symlink() {
            let target = fs::read_link(entry.path()).map_err(LocalError::io(entry.path()))?;
            if symlink_escapes(rel, &target) {
                return Err(LocalError::Invalid(format!(
                    "symlink {} points outside the tree ({})",
                    rel.display(),
                    target.display()
                )));
            }
            std::os::unix::fs::symlink(&target, &dest).map_err(LocalError::io(&dest))?;
            files += 1;
        } else if ft.is_file() {
            fs::copy(entry.path(), &dest).map_err(LocalError::io(&dest))?;
            files += 1;
        }
    }
    Ok(files)
}

/// Whether a symlink at `rel` (relative to a tree's root) to `target` leads outside the tree.
pub fn symlink_escapes(rel: &Path, target: &Path) -> bool {
    target.is_absolute() || {
        let mut level = rel.components().count() as i64 - 1;
        target.components().any(|c| {
            match c {
                Component::ParentDir => level -= 1,
                Component::Normal(_) => level += 1,
                _ => {}
            }
            level < 0
        })
    }
}

pub fn sync_dir(dir: &Path) -> Result<(), LocalError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(LocalError::io(dir))
}

/// Writes a small file atomically: temp file, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LocalError> {
    let dir = path
        .parent()
        .ok_or_else(|| LocalError::Invalid(format!("{} has no parent", path.display())))?;
    fs::create_dir_all(dir).map_err(LocalError::io(dir))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(LocalError::io(path))?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn digest_ignores_timestamps_and_sees_content_and_mode() {
        let a = tempfile::tempdir().unwrap();
        fs::create_dir_all(a.path().join("d")).unwrap();
        fs::write(a.path().join("d/x"), "1").unwrap();
        fs::write(a.path().join("y"), "2").unwrap();
        let first = summarize(a.path()).unwrap();
        assert_eq!(first.file_count, 2);
        assert_eq!(first.size, 2);

        let b = tempfile::tempdir().unwrap();
        copy_tree(a.path(), b.path()).unwrap();
        assert_eq!(summarize(b.path()).unwrap().digest, first.digest);

        fs::set_permissions(b.path().join("y"), fs::Permissions::from_mode(0o755)).unwrap();
        assert_ne!(summarize(b.path()).unwrap().digest, first.digest);
        fs::write(a.path().join("y"), "3").unwrap();
        assert_ne!(summarize(a.path()).unwrap().digest, first.digest);
    }

    #[test]
    fn refuses_escapes() {
        assert!(contained(Path::new("/r"), "../x").is_err());
        assert!(contained(Path::new("/r"), "/etc/passwd").is_err());
        assert_eq!(contained(Path::new("/r"), "./a/b").unwrap(), PathBuf::from("/r/a/b"));
        let a = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("../../etc/passwd", a.path().join("evil")).unwrap();
        let b = tempfile::tempdir().unwrap();
        assert!(copy_tree(a.path(), &b.path().join("out")).is_err());
    }
}
