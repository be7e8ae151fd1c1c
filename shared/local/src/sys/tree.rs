//! File trees: canonical digests, safe copies and durable writes.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use baton_core::beneath::{self, Last};

use walkdir::WalkDir;

use crate::error::LocalError;

pub use baton_core::digest::TreeSummary;

/// The canonical digest of a tree ([`baton_core::digest`]): the same for a local and an S3 store.
pub fn summarize(root: &Path) -> Result<TreeSummary, LocalError> {
    baton_core::digest::summarize(root).map_err(LocalError::io(root))
}

pub fn sha256_file(path: &Path) -> Result<String, LocalError> {
    baton_core::digest::sha256_file(path).map_err(LocalError::io(path))
}

/// `rel` resolved beneath `root`, every symlink on the way followed and none allowed to lead
/// out ([`beneath`]): the path to read, copy, execute or write through.
pub fn contained(root: &Path, rel: &str) -> Result<PathBuf, LocalError> {
    Ok(beneath::resolve(root, rel, Last::Follow)?)
}

/// Like [`contained`], but a symlink in the last place is kept: the path of a link itself, or
/// of a file to create anew.
pub fn contained_entry(root: &Path, rel: &str) -> Result<PathBuf, LocalError> {
    Ok(beneath::resolve(root, rel, Last::Keep)?)
}

/// Copies a tree, keeping executable bits and symlinks that resolve inside it; a symlink that
/// leads outside the tree, however many links it takes, is refused rather than followed.
pub fn copy_tree(from: &Path, to: &Path) -> Result<u64, LocalError> {
    copy_tree_except(from, to, |_| false)
}

/// [`copy_tree`] without the entries `skip` names (by path below `from`), nor what is under them.
pub fn copy_tree_except(from: &Path, to: &Path, skip: impl Fn(&Path) -> bool) -> Result<u64, LocalError> {
    fs::create_dir_all(to).map_err(LocalError::io(to))?;
    let mut files = 0;
    let walk = WalkDir::new(from)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !e.path().strip_prefix(from).is_ok_and(&skip));
    for entry in walk {
        let entry = entry.map_err(LocalError::walk)?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(|_| LocalError::Internal("walk left its root".into()))?;
        let dest = to.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            fs::create_dir_all(&dest).map_err(LocalError::io(&dest))?;
        } else if ft.is_symlink() {
            beneath::check_link(from, rel)?;
            let target = fs::read_link(entry.path()).map_err(LocalError::io(entry.path()))?;
            std::os::unix::fs::symlink(&target, &dest).map_err(LocalError::io(&dest))?;
            files += 1;
        } else if ft.is_file() {
            fs::copy(entry.path(), &dest).map_err(LocalError::io(&dest))?;
            files += 1;
        }
    }
    Ok(files)
}

pub fn sync_dir(dir: &Path) -> Result<(), LocalError> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(LocalError::io(dir))
}

/// Writes a small file atomically: temp file, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LocalError> {
    write_through_temp(path, bytes, |tmp, path| fs::rename(tmp, path))
}

/// Writes a file once: whole or not at all (a temp file, fsynced, then linked in place), and
/// never over a file that is already there, which is refused as `AlreadyExists`.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), LocalError> {
    // A hard link, unlike a rename, does not replace what is there.
    write_through_temp(path, bytes, |tmp, path| fs::hard_link(tmp, path))
}

/// Writes `bytes` to a temp file beside `path`, fsyncs it, puts it at `path` with `place`, and
/// fsyncs the directory; the temp file never outlives the call.
fn write_through_temp(path: &Path, bytes: &[u8], place: impl FnOnce(&Path, &Path) -> io::Result<()>) -> Result<(), LocalError> {
    let dir = path
        .parent()
        .ok_or_else(|| LocalError::Internal(format!("{} has no parent", path.display())))?;
    fs::create_dir_all(dir).map_err(LocalError::io(dir))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| -> io::Result<()> {
        let mut f = File::create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        place(&tmp, path)
    })();
    // Gone after a rename; left beside its link, or by a failure.
    if tmp.exists() {
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
        let chain = tempfile::tempdir().unwrap();
        fs::create_dir_all(chain.path().join("d")).unwrap();
        std::os::unix::fs::symlink("..", chain.path().join("d/l1")).unwrap();
        std::os::unix::fs::symlink("l1/..", chain.path().join("d/l2")).unwrap();
        assert!(copy_tree(chain.path(), &b.path().join("chain")).is_err());
    }
}
