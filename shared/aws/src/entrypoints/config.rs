//! A function's configuration: environment variables the template sets, read once at init.
//! A missing one stops the function before it takes an event, with the variable's name.

use std::collections::BTreeMap;

use aws_types::SdkConfig;
use baton_core::Pipeline;

use crate::s3::{Encryption, S3ArtifactStore};

/// Why the function could not start: a missing setting or an unreadable pipeline.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The variables a function starts with: the process's in a Lambda, the ones a generated
/// template sets in a test that wires functions from it.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// This process's `BATON_*` variables.
    pub fn process() -> Self {
        std::env::vars().filter(|(k, _)| k.starts_with("BATON_")).collect()
    }

    pub fn require(&self, name: &str) -> Result<String, ConfigError> {
        self.get(name)
            .map(str::to_string)
            .ok_or_else(|| ConfigError(format!("the function needs the environment variable {name}")))
    }

    /// The variable, if set: a template parameter left empty comes through as set but empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl FromIterator<(String, String)> for Env {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The pipeline: BATON_PIPELINE_YAML, the text of pipeline.yml (the template passes it from a
/// parameter: SAM's cargo-lambda build packs the binary alone), or else BATON_PIPELINE, a path.
pub fn pipeline(env: &Env) -> Result<Pipeline, ConfigError> {
    if let Some(text) = env.get("BATON_PIPELINE_YAML") {
        return baton_core::parse_pipeline(std::path::Path::new("BATON_PIPELINE_YAML"), text).map_err(|e| ConfigError(e.to_string()));
    }
    let path = env.require("BATON_PIPELINE")?;
    baton_core::load_pipeline(std::path::Path::new(&path)).map_err(|e| ConfigError(e.to_string()))
}

/// BATON_BUCKET, with BATON_PREFIX (optional) and BATON_KMS_KEY (SSE-KMS when set, else SSE-S3).
pub fn artifact_store(config: &SdkConfig, env: &Env) -> Result<S3ArtifactStore, ConfigError> {
    let encryption = match env.get("BATON_KMS_KEY") {
        Some(key_id) if !key_id.is_empty() => Encryption::Kms {
            key_id: key_id.to_string(),
        },
        _ => Encryption::S3,
    };
    Ok(S3ArtifactStore::new(
        aws_sdk_s3::Client::new(config),
        env.require("BATON_BUCKET")?,
        env.get("BATON_PREFIX").unwrap_or_default().to_string(),
        encryption,
    ))
}
