//! S3 objects in a directory standing for S3 (`DIR/BUCKET/KEY`), for a Distributed Map's
//! ItemReader and ResultWriter in a local run (`baton asl run --s3-dir DIR`). Every object
//! resolves beneath the directory, links followed and none allowed to lead out, as every path
//! Baton reads or writes does; a listing gives the files beneath the bucket's directory (a
//! directory is no object); a written object is a new file, never written over one.

use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use baton_asl::objects::{ObjectSummary, Objects};
use md5::{Digest, Md5};
use walkdir::WalkDir;

use crate::sys::tree;

/// The largest object read: a dataset is held in memory whole, so one past this is refused.
pub const MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;

/// The most objects a listing gives: every one is read through (its ETag) and all are held.
pub const MAX_LISTED_OBJECTS: usize = 100_000;

/// Buckets as directories of one directory.
#[derive(Debug, Clone)]
pub struct DirObjects {
    root: PathBuf,
}

impl DirObjects {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Why `bucket` names no directory of its own beneath the root, if it does not.
    fn bucket_name(bucket: &str) -> Result<(), String> {
        let plain = Path::new(bucket).components().all(|c| matches!(c, Component::Normal(_)));
        if bucket.is_empty() || bucket.contains('/') || !plain {
            return Err(format!("'{bucket}' is not a bucket name"));
        }
        Ok(())
    }

    /// The bucket's directory, which must be there as S3's bucket must (`at` names what was
    /// asked of it).
    fn bucket_dir(&self, bucket: &str, at: &str) -> Result<PathBuf, String> {
        Self::bucket_name(bucket).map_err(|e| format!("{at}: {e}"))?;
        let dir = tree::contained(&self.root, bucket).map_err(|e| format!("{at}: {e}"))?;
        if !dir.is_dir() {
            return Err(format!("{at}: no such bucket (no directory {})", dir.display()));
        }
        Ok(dir)
    }

    /// Every file beneath the bucket's directory whose key begins with `prefix`.
    fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String> {
        let at = format!("s3://{bucket}/{prefix}");
        let dir = self.bucket_dir(bucket, &at)?;
        // Only directories whose keys could begin with the prefix are walked: `logs/2024-`
        // walks `logs/` alone, as S3 reads only that part of its index.
        let may_hold = |key: &str| key.starts_with(prefix) || prefix.strip_prefix(key).is_some_and(|rest| rest.starts_with('/'));
        let walk = WalkDir::new(&dir)
            .follow_links(true)
            .min_depth(1)
            .into_iter()
            .filter_entry(|e| key_of(&dir, e.path()).is_none_or(|key| may_hold(&key)));
        let mut listed = Vec::new();
        for entry in walk {
            let entry = entry.map_err(|e| format!("{at}: {e}"))?;
            let key = key_of(&dir, entry.path())
                .ok_or_else(|| format!("{at}: {} has a name that is not UTF-8, which no key is", entry.path().display()))?;
            // Every entry, walked into or listed, resolves beneath the root: a link that leads
            // out stops the listing before anything beyond it is read.
            let file = tree::contained(&self.root, &format!("{bucket}/{key}")).map_err(|e| format!("s3://{bucket}/{key}: {e}"))?;
            if !entry.file_type().is_file() || !key.starts_with(prefix) {
                continue;
            }
            if listed.len() == MAX_LISTED_OBJECTS {
                return Err(format!("{at}: more than the {MAX_LISTED_OBJECTS} objects a local run lists"));
            }
            let object = format!("s3://{bucket}/{key}: {}", file.display());
            listed.push(summary(key, &file).map_err(|e| format!("{object}: {e}"))?);
        }
        Ok(listed)
    }

    /// The file that holds `s3://bucket/key`, or why there is none.
    fn file(&self, bucket: &str, key: &str) -> Result<PathBuf, String> {
        self.resolved(bucket, key, tree::contained)
    }

    /// Where `s3://bucket/key` is, resolved by `resolve` (a file read, or one written anew).
    fn resolved(
        &self,
        bucket: &str,
        key: &str,
        resolve: impl Fn(&Path, &str) -> Result<PathBuf, crate::error::LocalError>,
    ) -> Result<PathBuf, String> {
        let object = format!("s3://{bucket}/{key}");
        // A bucket is one directory; a key's `/` are directories beneath it. A `.` or `..`
        // segment, or an empty one, names no file of its own (S3 keeps such a key as written).
        Self::bucket_name(bucket).map_err(|e| format!("{object}: {e}"))?;
        let plain = Path::new(key).components().all(|c| matches!(c, Component::Normal(_)));
        if key.is_empty() || key.split('/').any(|s| s.is_empty() || s == "." || s == "..") || !plain {
            return Err(format!(
                "{object}: a key with an empty, '.' or '..' segment has no file under {}",
                self.root.display()
            ));
        }
        resolve(&self.root, &format!("{bucket}/{key}")).map_err(|e| format!("{object}: {e}"))
    }
}

/// The key of a path beneath the bucket's directory: its names joined by `/`; `None` for the
/// directory itself or a name that is not UTF-8.
fn key_of(dir: &Path, path: &Path) -> Option<String> {
    let names: Option<Vec<&str>> = path.strip_prefix(dir).ok()?.iter().map(|n| n.to_str()).collect();
    names.filter(|n| !n.is_empty()).map(|n| n.join("/"))
}

/// A file as S3 lists an object: its ETag is the MD5 of its bytes in quotes, as S3 gives an
/// object put whole.
fn summary(key: String, file: &Path) -> std::io::Result<ObjectSummary> {
    let mut handle = std::fs::File::open(file)?;
    let meta = handle.metadata()?;
    let mut md5 = Md5::new();
    std::io::copy(&mut handle, &mut md5)?;
    let last_modified = meta.modified()?.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Ok(ObjectSummary {
        key,
        size: meta.len(),
        last_modified: i64::try_from(last_modified).unwrap_or(i64::MAX),
        etag: format!("\"{}\"", hex::encode(md5.finalize())),
    })
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

    async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        // The last place is kept, not followed: a link there is refused, as a file is.
        let file = self.resolved(bucket, key, tree::contained_entry)?;
        let object = format!("s3://{bucket}/{key}");
        // As S3 writes into no bucket that does not exist, no bucket's directory is made.
        self.bucket_dir(bucket, &object)?;
        tokio::task::spawn_blocking(move || tree::write_new(&file, &bytes).map_err(|e| format!("{object}: {e}")))
            .await
            .map_err(|e| format!("writing s3://{bucket}/{key}: {e}"))?
    }

    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String> {
        let objects = self.clone();
        let (bucket, prefix) = (bucket.to_string(), prefix.to_string());
        tokio::task::spawn_blocking(move || objects.list(&bucket, &prefix))
            .await
            .map_err(|e| format!("listing a bucket: {e}"))?
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use baton_asl::objects::Objects;

    use super::DirObjects;

    /// A written object is a new file beneath the bucket's directory, written whole, never over
    /// one that is there; a key that would lead out, through a link or by its segments, and a
    /// link in the object's own place, are refused.
    #[tokio::test]
    async fn an_object_is_written_once_beneath_the_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("out")).expect("mkdir");
        symlink(outside.path(), dir.path().join("out/away")).expect("symlink");
        symlink(outside.path().join("planted"), dir.path().join("out/planted")).expect("symlink");
        let objects = DirObjects::new(dir.path());
        objects
            .put_object("out", "jobs/run/manifest.json", b"{}".to_vec())
            .await
            .expect("written");
        assert_eq!(std::fs::read(dir.path().join("out/jobs/run/manifest.json")).expect("read"), b"{}");
        let again = objects.put_object("out", "jobs/run/manifest.json", b"[]".to_vec()).await;
        assert!(again.is_err(), "an object was written over");
        assert_eq!(std::fs::read(dir.path().join("out/jobs/run/manifest.json")).expect("read"), b"{}");
        for (bucket, key) in [
            ("out", "away/x.json"),
            ("out", "planted"),
            ("out", "../x.json"),
            ("out", "a//b"),
            ("..", "x"),
            ("nope", "x.json"),
        ] {
            let refused = objects.put_object(bucket, key, b"x".to_vec()).await;
            assert!(refused.is_err(), "s3://{bucket}/{key} was written");
        }
        assert_eq!(
            std::fs::read_dir(outside.path()).expect("ls").count(),
            0,
            "something was written outside"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("out/jobs/run")).expect("ls").collect();
        assert_eq!(left.len(), 1, "a temp file was left behind");
    }

    /// A listing gives every file beneath the bucket whose key begins with the prefix, with its
    /// size, modification time and MD5 in quotes (S3's ETag of an object put whole); a link is
    /// listed as the file it leads to, and one that leads out stops the listing.
    #[tokio::test]
    async fn a_listing_gives_the_files_beneath_the_bucket_and_nothing_else() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let bucket = dir.path().join("b");
        std::fs::create_dir_all(bucket.join("logs/2024")).expect("mkdir");
        std::fs::create_dir_all(bucket.join("logs10")).expect("mkdir");
        std::fs::write(bucket.join("logs/2024/a.txt"), "hello").expect("write");
        std::fs::write(bucket.join("logs/empty"), "").expect("write");
        std::fs::write(bucket.join("logs10/c.txt"), "c").expect("write");
        symlink("2024/a.txt", bucket.join("logs/latest")).expect("symlink");
        let objects = DirObjects::new(dir.path());
        let keyed = |mut listed: Vec<baton_asl::objects::ObjectSummary>| {
            listed.sort_by(|a, b| a.key.cmp(&b.key));
            listed.into_iter().map(|o| (o.key, o.size, o.etag)).collect::<Vec<_>>()
        };
        let hello = "\"5d41402abc4b2a76b9719d911017c592\"".to_string();
        assert_eq!(
            keyed(objects.list_objects("b", "logs/").await.expect("listed")),
            [
                ("logs/2024/a.txt".into(), 5, hello.clone()),
                ("logs/empty".into(), 0, "\"d41d8cd98f00b204e9800998ecf8427e\"".into()),
                ("logs/latest".into(), 5, hello),
            ]
        );
        let keys: Vec<String> = keyed(objects.list_objects("b", "logs").await.expect("listed"))
            .into_iter()
            .map(|o| o.0)
            .collect();
        assert_eq!(keys, ["logs/2024/a.txt", "logs/empty", "logs/latest", "logs10/c.txt"]);
        let listed = objects.list_objects("b", "logs/2024/a").await.expect("listed");
        let modified = std::fs::metadata(bucket.join("logs/2024/a.txt"))
            .and_then(|m| m.modified())
            .expect("mtime");
        let seconds = modified.duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs();
        assert_eq!(
            listed.iter().map(|o| o.last_modified).collect::<Vec<_>>(),
            [i64::try_from(seconds).expect("i64")]
        );

        std::fs::write(outside.path().join("secret"), "s").expect("write");
        symlink(outside.path(), bucket.join("out")).expect("symlink");
        let refused = objects.list_objects("b", "").await.expect_err("a link leads out");
        assert!(refused.contains("s3://b/out"), "{refused}");
        assert!(
            objects.list_objects("b", "logs/").await.is_ok(),
            "a prefix that skips the link lists"
        );
        for bucket in ["nope", "..", "b/logs", ""] {
            assert!(objects.list_objects(bucket, "").await.is_err(), "{bucket} was listed");
        }
    }

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
