//! A function's configuration: environment variables the template sets, read once at init.
//! A missing one stops the function before it takes an event, with the variable's name.

use aws_types::SdkConfig;
use baton_core::Pipeline;

use crate::s3::{Encryption, S3ArtifactStore};

/// Why the function could not start: a missing setting or an unreadable pipeline.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

pub fn env(name: &str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError(format!("the function needs the environment variable {name}")))
}

/// The pipeline: BATON_PIPELINE_YAML, the text of pipeline.yml (the template passes it from a
/// parameter: SAM's cargo-lambda build packs the binary alone), or else BATON_PIPELINE, a path.
pub fn pipeline() -> Result<Pipeline, ConfigError> {
    if let Ok(text) = std::env::var("BATON_PIPELINE_YAML") {
        return baton_core::parse_pipeline(std::path::Path::new("BATON_PIPELINE_YAML"), &text).map_err(|e| ConfigError(e.to_string()));
    }
    let path = env("BATON_PIPELINE")?;
    baton_core::load_pipeline(std::path::Path::new(&path)).map_err(|e| ConfigError(e.to_string()))
}

/// BATON_BUCKET, with BATON_PREFIX (optional) and BATON_KMS_KEY (SSE-KMS when set, else SSE-S3).
pub fn artifact_store(config: &SdkConfig) -> Result<S3ArtifactStore, ConfigError> {
    let encryption = match std::env::var("BATON_KMS_KEY") {
        Ok(key_id) if !key_id.is_empty() => Encryption::Kms { key_id },
        _ => Encryption::S3,
    };
    Ok(S3ArtifactStore::new(
        aws_sdk_s3::Client::new(config),
        env("BATON_BUCKET")?,
        std::env::var("BATON_PREFIX").unwrap_or_default(),
        encryption,
    ))
}
