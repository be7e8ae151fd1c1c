#![allow(dead_code, reason = "each test binary uses part of this module")]

//! S3 objects held in memory for a Distributed Map's ItemReader and ResultWriter, and a run of
//! a machine that reads and writes them; shared by the reader's and the writer's tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use baton_asl::mock::NoTasks;
use baton_asl::objects::{ObjectSummary, Objects};
use baton_asl::{ExecutionOutcome, ExecutionSpec, HistorySink, Interpreter, StateMachine};
use serde_json::Value;

/// Objects held in memory, by bucket and key.
pub(crate) struct Held(Mutex<HashMap<(String, String), Vec<u8>>>);

impl Held {
    pub(crate) fn objects(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Vec<u8>>> {
        self.0.lock().unwrap()
    }

    /// The object at `bucket`/`key`, as JSON.
    pub(crate) fn json(&self, bucket: &str, key: &str) -> Value {
        serde_json::from_slice(&self.objects()[&(bucket.to_string(), key.to_string())]).unwrap()
    }
}

#[async_trait]
impl Objects for Held {
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
        self.objects()
            .get(&(bucket.to_string(), key.to_string()))
            .cloned()
            .ok_or_else(|| format!("s3://{bucket}/{key}: no such object"))
    }

    /// Listed backwards, as the trait allows: the reader puts them in S3's order.
    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<ObjectSummary>, String> {
        let mut listed: Vec<ObjectSummary> = self
            .objects()
            .iter()
            .filter(|((b, key), _)| b == bucket && key.starts_with(prefix))
            .map(|((_, key), bytes)| ObjectSummary {
                key: key.clone(),
                size: bytes.len() as u64,
                last_modified: 1_668_699_881,
                etag: format!("\"etag-of-{key}\""),
            })
            .collect();
        listed.sort_by(|a, b| b.key.cmp(&a.key));
        Ok(listed)
    }

    async fn put_object(&self, bucket: &str, key: &str, bytes: Vec<u8>) -> Result<(), String> {
        match self.objects().entry((bucket.to_string(), key.to_string())) {
            std::collections::hash_map::Entry::Occupied(_) => Err(format!("s3://{bucket}/{key} is there already")),
            std::collections::hash_map::Entry::Vacant(place) => {
                place.insert(bytes);
                Ok(())
            }
        }
    }
}

pub(crate) fn held() -> Arc<Held> {
    let objects = [
        ("items.json", r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#),
        ("one.json", r#"{"n": 1}"#),
        ("scalar.json", "7"),
        ("nested.json", r#"{"data": {"items": [{"n": 1}, {"n": 2}]}}"#),
        ("items.jsonl", "{\"n\": 1}\n\n{\"n\": 2}\n{\"n\": 3}\n"),
        ("rows.csv", "host,cpu\nweb-1,0.71\nweb-2,\"0.93\"\n"),
        ("bare.psv", "web-1|0.71|extra\nweb-2\n"),
        ("twice.csv", "a,a\n1,2\n"),
        ("logs/b.jsonl", "{\"n\": 3}\n{\"n\": 4}\n"),
        ("logs/a.jsonl", "{\"n\": 1}\n{\"n\": 2}\n"),
        ("logs10/c.jsonl", "{\"n\": 5}\n"),
    ];
    Arc::new(Held(Mutex::new(
        objects
            .into_iter()
            .map(|(key, text)| (("data".to_string(), key.to_string()), text.as_bytes().to_vec()))
            .collect(),
    )))
}

/// Runs `machine` as `arn:…:stateMachine:m`, reading and writing `objects` when given.
pub(crate) async fn execute(
    machine: &StateMachine,
    input: Value,
    objects: Option<Arc<Held>>,
    sink: Arc<dyn HistorySink>,
) -> ExecutionOutcome {
    let mut interpreter = Interpreter::new(Arc::new(NoTasks), sink);
    if let Some(objects) = objects {
        interpreter = interpreter.with_objects(objects);
    }
    let spec = ExecutionSpec {
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".into(),
        execution_name: "e".into(),
        input,
        ..ExecutionSpec::default()
    };
    interpreter.execute(machine, &spec).await
}
