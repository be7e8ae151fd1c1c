//! `Source`: snapshots the source at the requested revision and opens the execution's document.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::ports::SourceProvider;
use crate::stages::StageError;

#[derive(Debug, Deserialize)]
pub struct SourceInput {
    pub pipeline: String,
    pub execution_id: String,
    #[serde(default)]
    pub revision: Option<String>,
    #[serde(default)]
    pub variables: Map<String, Value>,
    /// Stage names, so later actions can write `$.results.<Stage>.<Action>`.
    pub stages: Vec<String>,
}

/// Returns the document every later state reads: pipeline, source snapshot, empty results.
pub async fn run(source: &dyn SourceProvider, input: SourceInput) -> Result<Value, StageError> {
    let snapshot = source
        .snapshot(&input.pipeline, &input.execution_id, input.revision.as_deref())
        .await?;
    tracing::info!(pipeline = %input.pipeline, execution_id = %input.execution_id, commit = ?snapshot.commit_id, artifact = %snapshot.artifact, "source snapshot stored");
    let results: Map<String, Value> = input.stages.iter().map(|s| (s.clone(), json!({}))).collect();
    Ok(json!({
        "pipeline": input.pipeline,
        "execution_id": input.execution_id,
        "revision": input.revision,
        "variables": input.variables,
        "source": snapshot,
        "results": results,
    }))
}
