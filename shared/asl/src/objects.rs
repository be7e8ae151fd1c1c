//! Where a Distributed Map's `ItemReader` reads its dataset: Amazon S3 on AWS; in a local run,
//! what the embedder gives (`baton asl run --s3-dir` gives a directory standing for S3).

use async_trait::async_trait;

/// Reads S3 objects for an `ItemReader`.
#[async_trait]
pub trait Objects: Send + Sync {
    /// The object's bytes; `Err` says why there are none, in words a cause can carry.
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String>;
}
