//! S3 objects read from a directory standing for S3 (`DIR/BUCKET/KEY`), for a Distributed Map's
//! ItemReader in a local run (`baton asl run --s3-dir DIR`). Every object resolves beneath the
//! directory, links followed and none allowed to lead out, as every path Baton reads does.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use baton_asl::objects::Objects;

use crate::sys::tree;

/// The largest object read: a dataset is held in memory whole, so one past this is refused.
pub const MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;

/// Buckets as directories of one directory.
#[derive(Debug, Clone)]
pub struct DirObjects {
    root: PathBuf,
}

impl DirObjects {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file that holds `s3://bucket/key`, or why there is none.
    fn file(&self, bucket: &str, key: &str) -> Result<PathBuf, String> {
        let object = format!("s3://{bucket}/{key}");
        // A bucket is one directory; a key's `/` are directories beneath it. A `.` or `..`
        // segment, or an empty one, names no file of its own (S3 keeps such a key as written).
        let plain = |p: &Path| p.components().all(|c| matches!(c, Component::Normal(_)));
        if bucket.is_empty() || bucket.contains('/') || !plain(Path::new(bucket)) {
            return Err(format!("{object}: '{bucket}' is not a bucket name"));
        }
        if key.is_empty() || key.split('/').any(|s| s.is_empty() || s == "." || s == "..") || !plain(Path::new(key)) {
            return Err(format!(
                "{object}: a key with an empty, '.' or '..' segment has no file under {}",
                self.root.display()
            ));
        }
        tree::contained(&self.root, &format!("{bucket}/{key}")).map_err(|e| format!("{object}: {e}"))
    }
}

#[async_trait]
impl Objects for DirObjects {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        let file = self.file(bucket, key)?;
        let object = format!("s3://{bucket}/{key}");
        tokio::task::spawn_blocking(move || {
            let missing = |e: std::io::Error| match e.kind() {
                std::io::ErrorKind::NotFound => format!("{object}: no such object (no file {})", file.display()),
                _ => format!("{object}: {}: {e}", file.display()),
            };
            let handle = std::fs::File::open(&file).map_err(missing)?;
            let meta = handle.metadata().map_err(missing)?;
            if !meta.is_file() {
                return Err(format!("{object}: {} is not a file", file.display()));
            }
            if meta.len() > MAX_OBJECT_BYTES {
                return Err(format!(
                    "{object}: {} bytes, over the {MAX_OBJECT_BYTES} a local run reads",
                    meta.len()
                ));
            }
            let mut bytes = Vec::new();
            handle.take(MAX_OBJECT_BYTES + 1).read_to_end(&mut bytes).map_err(missing)?;
            Ok(bytes)
        })
        .await
        .map_err(|e| format!("reading s3://{bucket}/{key}: {e}"))?
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use baton_asl::objects::Objects;

    use super::DirObjects;

    #[tokio::test]
    async fn an_object_is_a_file_beneath_the_directory_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("b/data")).expect("mkdir");
        std::fs::write(dir.path().join("b/data/items.json"), "[1]").expect("write");
        std::fs::write(outside.path().join("secret"), "s").expect("write");
        symlink(outside.path().join("secret"), dir.path().join("b/leak")).expect("symlink");
        symlink("../../..", dir.path().join("b/data/up")).expect("symlink");
        let objects = DirObjects::new(dir.path());
        assert_eq!(objects.get_object("b", "data/items.json").await, Ok(b"[1]".to_vec()));
        for (bucket, key) in [
            ("b", "leak"),
            ("b", "data/up/etc/passwd"),
            ("b", "../b/data/items.json"),
            ("b", "data/./items.json"),
            ("b", "data//items.json"),
            ("..", "b/data/items.json"),
            ("b/data", "items.json"),
            ("", "x"),
            ("b", "nope.json"),
            ("b", "data"),
        ] {
            let refused = objects.get_object(bucket, key).await;
            assert!(refused.is_err(), "s3://{bucket}/{key} was read: {refused:?}");
        }
        let missing = objects.get_object("b", "nope.json").await.expect_err("missing");
        assert!(missing.contains("no such object"), "{missing}");
    }
}
