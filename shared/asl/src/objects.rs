//! Where a Distributed Map's `ItemReader` reads its dataset and its `ResultWriter` writes its
//! results: Amazon S3 on AWS; in a local run, what the embedder gives (`baton asl run --s3-dir`
//! gives a directory standing for S3).

use async_trait::async_trait;

/// An object as a listing (`s3:listObjectsV2`) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSummary {
    pub key: String,
    /// In bytes.
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub last_modified: i64,
    /// As S3 gives it, quotes included: `"…"` around the MD5 of an object put whole.
    pub etag: String,
}

/// Reads S3 objects for an `ItemReader` and writes them for a `ResultWriter`.
#[async_trait]
pub trait Objects: Send + Sync {
    /// The object's bytes; `Err` says why there are none, in words a cause can carry.
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String>;

    /// Every object of `bucket` whose key begins with `prefix`, in any order (the reader puts
    /// them in S3's); `Err` as for [`get_object`](Objects::get_object).
    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String>;

    /// Writes `bytes` as a new object; `Err` as for [`get_object`](Objects::get_object). A
    /// Map Run's results go under its own id, so an object already there is not replaced.
    async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), String>;
}
