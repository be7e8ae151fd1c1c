//! The function-side state on DynamoDB (one table, keys `pk`/`sk`): parked task tokens
//! (`PendingTasks`) and the stage locks of the execution modes (`StageLanes`).
//!
//! Taking a token is one `DeleteItem` returning the old item, so of two deliveries of the same
//! event exactly one gets it. A lane is one item per pipeline and stage, changed by
//! read-modify-write under a version condition and retried on conflict: concurrent gate
//! invocations never lose an arrival.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use baton_core::lanes::{Decision, Lane, Waiter, departures};
use baton_core::model::ExecutionMode;
use baton_core::ports::{Arrival, MetricsSink, PendingTask, PendingTasks, PortError, PortResult, StageLanes, TaskCallbacks};
use baton_core::stages::gate;

use crate::sdk::port_error;

type Item = HashMap<String, AttributeValue>;

const PENDING: &str = "pending";
/// Conflicting lane writes retried before giving up (as `Transient`, for the state machine to retry).
const MAX_LANE_ATTEMPTS: u32 = 50;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn text(item: &Item, key: &str) -> Option<String> {
    item.get(key).and_then(|v| v.as_s().ok()).cloned()
}

#[derive(Debug, Clone)]
pub struct DynamoState {
    client: Client,
    table: String,
}

impl DynamoState {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Opens the connection (TLS included) at init, so the first invocation does not pay for it;
    /// a failure here is only logged, the invocation will report it.
    pub async fn warm(&self) {
        if let Err(e) = self.client.describe_table().table_name(&self.table).send().await {
            tracing::warn!(error = %port_error("DynamoDB DescribeTable", &e), "could not warm the DynamoDB connection");
        }
    }
}

#[async_trait]
impl PendingTasks for DynamoState {
    async fn put(&self, key: &str, task: &PendingTask) -> PortResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(PENDING))
            .item("sk", s(key))
            .item("token", s(&task.token))
            .item("context", s(task.context.to_string()))
            .send()
            .await
            .map_err(|e| port_error("DynamoDB PutItem", &e))?;
        Ok(())
    }

    /// Claimed, then deleted. A DeleteItem whose answer is lost on the way cannot be asked
    /// again: its retry finds nothing, and the task it took is gone with the lost answer (found
    /// by the fault-injection tests). A claim under this take's own id can be retried: it finds
    /// its own mark. The delete after it is safe to repeat.
    async fn take(&self, key: &str) -> PortResult<Option<PendingTask>> {
        let me = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let claimed = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(PENDING))
            .key("sk", s(key))
            .update_expression("SET taken_by = :me")
            .condition_expression("attribute_exists(sk) AND (attribute_not_exists(taken_by) OR taken_by = :me)")
            .expression_attribute_values(":me", s(&me))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let task = match claimed {
            Ok(out) => out.attributes().and_then(pending_task),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => return Ok(None),
            Err(e) => return Err(port_error("DynamoDB UpdateItem", &e)),
        };
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(PENDING))
            .key("sk", s(key))
            .condition_expression("taken_by = :me")
            .expression_attribute_values(":me", s(&me))
            .send()
            .await;
        match deleted {
            // Claimed is taken: a claim whose delete failed is skipped by `list` and by every
            // later take, so the task is still handed out once.
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
            Err(e) => {
                tracing::warn!(key, error = %port_error("DynamoDB DeleteItem", &e), "a taken task's entry stays behind, marked taken")
            }
        }
        Ok(task)
    }

    async fn list(&self, prefix: &str) -> PortResult<Vec<(String, PendingTask)>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(PENDING))
            .expression_attribute_values(":prefix", s(prefix))
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("DynamoDB Query", &e))?;
            for item in page.items().iter().filter(|i| !i.contains_key("taken_by")) {
                if let (Some(key), Some(task)) = (text(item, "sk"), pending_task(item)) {
                    out.push((key, task));
                }
            }
        }
        Ok(out)
    }

    async fn note_job(&self, key: &str, job_id: &str) -> PortResult<bool> {
        // Conditional, so a job that finished first (its entry taken) does not leave a stub.
        let noted = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(PENDING))
            .key("sk", s(key))
            .update_expression("SET job_id = :job")
            .condition_expression("attribute_exists(sk)")
            .expression_attribute_values(":job", s(job_id))
            .send()
            .await;
        match noted {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(port_error("DynamoDB UpdateItem", &e)),
        }
    }
}

/// The entry as [`PendingTasks`] hands it out: the job id, kept in an attribute of its own so
/// it can be set without rewriting the context, appears as `context.job_id`.
fn pending_task(item: &Item) -> Option<PendingTask> {
    let mut context: serde_json::Value = serde_json::from_str(&text(item, "context")?).unwrap_or_default();
    if let (Some(job), Some(map)) = (text(item, "job_id"), context.as_object_mut()) {
        map.insert("job_id".into(), job.into());
    }
    Some(PendingTask {
        token: text(item, "token")?,
        context,
    })
}

/// The stage locks, delivering each decision straight to the waiting gate's task token.
#[allow(missing_debug_implementations, reason = "holds trait objects")]
pub struct DynamoLanes {
    state: DynamoState,
    callbacks: Arc<dyn TaskCallbacks>,
    metrics: Arc<dyn MetricsSink>,
}

impl DynamoLanes {
    pub fn new(state: DynamoState, callbacks: Arc<dyn TaskCallbacks>, metrics: Arc<dyn MetricsSink>) -> Self {
        Self { state, callbacks, metrics }
    }

    fn lane_key(pipeline: &str) -> String {
        format!("lane#{pipeline}")
    }

    /// Changes one lane with `change` (which settles it), and writes it back if no one else
    /// wrote it meanwhile; otherwise reads it again.
    async fn update(&self, pipeline: &str, stage: &str, change: &(dyn Fn(&mut Lane) -> Vec<Decision> + Sync)) -> PortResult<Vec<Decision>> {
        let db = &self.state;
        for attempt in 0..MAX_LANE_ATTEMPTS {
            let item = db
                .client
                .get_item()
                .table_name(&db.table)
                .key("pk", s(Self::lane_key(pipeline)))
                .key("sk", s(stage))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| port_error("DynamoDB GetItem", &e))?
                .item;
            let version: u64 = item
                .as_ref()
                .and_then(|i| i.get("version"))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let mut lane = item.as_ref().map(decode).unwrap_or_default();
            let decisions = change(&mut lane);
            let mut put = db
                .client
                .put_item()
                .table_name(&db.table)
                .item("pk", s(Self::lane_key(pipeline)))
                .item("sk", s(stage))
                .item("waiting", s(encode(&lane.waiting)))
                .item("version", AttributeValue::N((version + 1).to_string()));
            if let Some(h) = &lane.holder {
                put = put.item("holder", s(h));
            }
            if let Some(n) = &lane.newest {
                put = put.item("newest", s(encode(std::slice::from_ref(n))));
            }
            put = if item.is_some() {
                put.condition_expression("version = :v")
                    .expression_attribute_values(":v", AttributeValue::N(version.to_string()))
            } else {
                put.condition_expression("attribute_not_exists(pk)")
            };
            match put.send().await {
                Ok(_) => return Ok(decisions),
                Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                    // Another gate changed the lane first: read it again, after a jittered pause
                    // that spreads out the contenders.
                    let pause = fastrand::u64(0..=(5 << attempt.min(4)));
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                Err(e) => return Err(port_error("DynamoDB PutItem", &e)),
            }
        }
        Err(PortError::transient(format!(
            "stage {stage} of {pipeline}: {MAX_LANE_ATTEMPTS} conflicting writes in a row"
        )))
    }

    /// Takes `execution` out of every lane of the pipeline but `keep`'s, and admits every other
    /// lane's holder again ([`baton_core::lanes::departures`]).
    async fn remove(
        &self,
        pipeline: &str,
        execution: &str,
        mode: ExecutionMode,
        keep: Option<&str>,
    ) -> PortResult<Vec<(String, Decision)>> {
        let items = self
            .state
            .client
            .query()
            .table_name(&self.state.table)
            .consistent_read(true)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(Self::lane_key(pipeline)))
            .send()
            .await
            .map_err(|e| port_error("DynamoDB Query", &e))?;
        let lanes: Vec<(String, Lane)> = items
            .items()
            .iter()
            .filter_map(|item| Some((text(item, "sk")?, decode(item))))
            .collect();
        let (leave, mut out) = departures(lanes.iter().map(|(stage, lane)| (stage.as_str(), lane)), execution, keep);
        for stage in leave {
            let decisions = self.update(pipeline, &stage, &|l: &mut Lane| l.leave(execution, mode)).await?;
            out.extend(decisions.into_iter().map(|d| (stage.clone(), d)));
        }
        Ok(out)
    }

    async fn deliver(&self, decisions: Vec<(String, Decision)>) -> PortResult<()> {
        for (stage, decision) in decisions {
            let event = decision.into_event(stage);
            gate::answer(&self.state, self.callbacks.as_ref(), self.metrics.as_ref(), event)
                .await
                .map_err(|e| PortError::transient(e.to_string()))?;
        }
        Ok(())
    }
}

fn decode(item: &Item) -> Lane {
    let waiting: Vec<(String, i64)> = text(item, "waiting")
        .and_then(|w| serde_json::from_str(&w).ok())
        .unwrap_or_default();
    let newest: Vec<(String, i64)> = text(item, "newest").and_then(|w| serde_json::from_str(&w).ok()).unwrap_or_default();
    let waiter = |(execution, seq)| Waiter { execution, seq };
    Lane {
        holder: text(item, "holder"),
        waiting: waiting.into_iter().map(waiter).collect(),
        newest: newest.into_iter().map(waiter).next(),
    }
}

fn encode(waiting: &[Waiter]) -> String {
    let pairs: Vec<(&str, i64)> = waiting.iter().map(|w| (w.execution.as_str(), w.seq)).collect();
    serde_json::to_string(&pairs).unwrap_or_else(|_| "[]".into())
}

#[async_trait]
impl StageLanes for DynamoLanes {
    async fn arrive(&self, a: &Arrival<'_>) -> PortResult<()> {
        // Delivered before this lane is touched: should that fail, they are not lost with it.
        let left = self.remove(a.pipeline, a.execution, a.mode, Some(a.stage)).await?;
        self.deliver(left).await?;
        let waiter = Waiter {
            execution: a.execution.to_string(),
            seq: a.started_ms,
        };
        let here = self
            .update(a.pipeline, a.stage, &|l: &mut Lane| l.arrive(waiter.clone(), a.mode))
            .await?;
        let decisions = here.into_iter().map(|d| (a.stage.to_string(), d)).collect();
        self.deliver(decisions).await
    }

    async fn leave(&self, pipeline: &str, execution: &str, mode: ExecutionMode) -> PortResult<()> {
        let decisions = self.remove(pipeline, execution, mode, None).await?;
        self.deliver(decisions).await
    }
}
