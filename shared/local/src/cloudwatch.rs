//! Local CloudWatch: datapoints in SQLite, alarms evaluated with CloudWatch's rules
//! (`baton_core::alarm::evaluate`), and the health checks that feed the `HealthCheckFailed`
//! metric of each deployment group.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use baton_core::alarm::AlarmState;
use baton_core::alarm::evaluate::{Evaluation, evaluate, evaluation_range};
use baton_core::alarm::reason;
use baton_core::model::Pipeline;
use baton_core::ports::{AlarmWatch, MetricDatum, MetricsSink, PortResult};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::db::Db;
use crate::deploy::LocalDeployer;
use crate::error::LocalError;

#[derive(Debug, Clone)]
pub struct SqliteMetrics {
    db: Arc<Db>,
    /// Signalled on every write, so alarms are evaluated as datapoints arrive.
    arrivals: Arc<tokio::sync::Notify>,
}

impl SqliteMetrics {
    pub fn new(db: Arc<Db>) -> Self {
        Self {
            db,
            arrivals: Arc::default(),
        }
    }

    /// Resolves when datapoints were written since the last call.
    pub async fn arrived(&self) {
        self.arrivals.notified().await;
    }

    /// Datapoints of one series since `since_ms`.
    pub fn series(
        &self,
        namespace: &str,
        name: &str,
        dimensions: &BTreeMap<String, String>,
        since_ms: i64,
    ) -> Result<Vec<(i64, f64)>, LocalError> {
        let dims = serde_json::to_string(dimensions).unwrap_or_default();
        let conn = self.db.lock();
        let mut stmt = conn
            .prepare_cached("SELECT timestamp_ms, value FROM metrics WHERE namespace = ?1 AND name = ?2 AND dimensions = ?3 AND timestamp_ms >= ?4 ORDER BY timestamp_ms")
            .map_err(LocalError::sql)?;
        let rows = stmt
            .query_map(params![namespace, name, dims, since_ms], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?;
        Ok(rows)
    }
}

#[async_trait]
impl MetricsSink for SqliteMetrics {
    async fn put(&self, data: &[MetricDatum]) -> PortResult<()> {
        crate::failpoints::point!("metrics.put");
        let mut conn = self.db.lock();
        let tx = conn.transaction().map_err(LocalError::sql)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO metrics (namespace, name, dimensions, timestamp_ms, value, unit) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(LocalError::sql)?;
            for d in data {
                // Dimensions are stored in one canonical (sorted) JSON form so a series is one key.
                let dims = serde_json::to_string(&d.dimensions).unwrap_or_default();
                insert
                    .execute(params![d.namespace, d.name, dims, d.timestamp_ms, d.value, d.unit])
                    .map_err(LocalError::sql)?;
            }
        }
        tx.commit().map_err(LocalError::sql)?;
        drop(conn);
        self.arrivals.notify_one();
        Ok(())
    }
}

/// An alarm's ARN as the local runtime names its resources, for reasons written as CloudWatch
/// writes them.
fn alarm_arn(name: &str) -> String {
    crate::runtime::local_arn("cloudwatch", &format!("alarm:{name}"))
}

/// Alarm state, kept in SQLite so `baton status` and a later run see it too.
#[derive(Debug, Clone)]
pub struct LocalAlarms {
    pipeline: Arc<Pipeline>,
    db: Arc<Db>,
    metrics: SqliteMetrics,
    /// Each alarm's state as this process last reported it. Every process on a state directory
    /// evaluates the alarms and must hear of a change (its bake may be waiting on it), but the
    /// database records each transition once, whichever process saw it first.
    reported: Arc<Mutex<BTreeMap<String, AlarmState>>>,
}

impl LocalAlarms {
    pub fn new(pipeline: Arc<Pipeline>, db: Arc<Db>, metrics: SqliteMetrics) -> Self {
        Self {
            pipeline,
            metrics,
            db,
            reported: Arc::default(),
        }
    }

    fn stored(&self, alarm: &str) -> Result<AlarmState, LocalError> {
        let state: Option<String> = self
            .db
            .lock()
            .query_row("SELECT state FROM alarms WHERE name = ?1", [alarm], |r| r.get(0))
            .optional()
            .map_err(LocalError::sql)?;
        Ok(state.and_then(|s| AlarmState::parse(&s)).unwrap_or(AlarmState::InsufficientData))
    }

    /// Of `alarms`, the one whose state changed last: its name, state and when. CloudWatch names
    /// that child in a composite alarm's reason.
    fn latest_transition(&self, alarms: &[&str]) -> Result<Option<(String, AlarmState, DateTime<Utc>)>, LocalError> {
        let conn = self.db.lock();
        let mut stmt = conn
            .prepare_cached("SELECT state, updated_at FROM alarms WHERE name = ?1")
            .map_err(LocalError::sql)?;
        let mut latest: Option<(String, AlarmState, DateTime<Utc>)> = None;
        for name in alarms {
            let row: Option<(String, String)> = stmt
                .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(LocalError::sql)?;
            let Some((state, at)) = row else { continue };
            let (Some(state), Ok(at)) = (AlarmState::parse(&state), DateTime::parse_from_rfc3339(&at)) else {
                continue;
            };
            let at = at.with_timezone(&Utc);
            if latest.as_ref().is_none_or(|(_, _, t)| at > *t) {
                latest = Some(((*name).to_string(), state, at));
            }
        }
        Ok(latest)
    }

    /// Evaluates every alarm now (metric alarms, then composite alarms over their states);
    /// returns the ones whose state changed, as (alarm, old, new).
    pub fn evaluate_all(&self, now_ms: i64) -> Result<Vec<(String, AlarmState, Evaluation)>, LocalError> {
        let mut changes = Vec::new();
        let mut states = BTreeMap::new();
        for alarm in self.pipeline.alarms.values() {
            let span =
                i64::try_from(alarm.period_secs * u64::from(evaluation_range(alarm.evaluation_periods) + 1)).unwrap_or(i64::MAX / 2) * 1000;
            let points = self
                .metrics
                .series(&alarm.namespace, &alarm.metric, &alarm.dimensions, now_ms - span)?;
            let old = self.stored(&alarm.name)?;
            let eval = evaluate(alarm, &points, now_ms, old);
            states.insert(alarm.name.clone(), eval.state);
            self.record(&alarm.name, old, eval, &mut changes)?;
        }
        // Composites may read composites: settle in as many passes as there are of them.
        for _ in 0..self.pipeline.composite_alarms.len() {
            for c in self.pipeline.composite_alarms.values() {
                let state = if c.rule.holds(&states) { AlarmState::Alarm } else { AlarmState::Ok };
                states.insert(c.name.clone(), state);
            }
        }
        for c in self.pipeline.composite_alarms.values() {
            let old = self.stored(&c.name)?;
            let state = states[&c.name];
            let before: BTreeMap<String, AlarmState> = changes.iter().map(|(n, old, _)| (n.clone(), *old)).collect();
            let reason = match c.rule.pivot(&states, &before) {
                Some(child) => reason::child_transitioned(&alarm_arn(child), states[child], Utc::now()),
                // Decided by no change of this evaluation (a state kept from an earlier run): the
                // child that moved last.
                None => match self.latest_transition(&c.rule.alarms())? {
                    Some((child, child_state, at)) => reason::child_transitioned(&alarm_arn(&child), child_state, at),
                    // A rule of TRUE and FALSE only: no child to name.
                    None => format!("rule {} is {}", c.text, state == AlarmState::Alarm),
                },
            };
            self.record(&c.name, old, Evaluation { state, reason }, &mut changes)?;
        }
        Ok(changes)
    }

    fn record(
        &self,
        name: &str,
        old: AlarmState,
        eval: Evaluation,
        changes: &mut Vec<(String, AlarmState, Evaluation)>,
    ) -> Result<(), LocalError> {
        let ts = Utc::now().to_rfc3339();
        self.db.immediate(|tx| {
            // Read again under the write lock: of processes that saw the same change, one records it.
            let stored: Option<String> = tx
                .query_row("SELECT state FROM alarms WHERE name = ?1", [name], |r| r.get(0))
                .optional()
                .map_err(LocalError::sql)?;
            let stored = stored.and_then(|s| AlarmState::parse(&s)).unwrap_or(AlarmState::InsufficientData);
            // The reason is the transition's, kept while the state holds: CloudWatch updates an
            // alarm's state (`StateUpdatedTimestamp`) only when its StateValue changes.
            tx.execute(
                "INSERT INTO alarms (name, state, reason, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET state = excluded.state,
                 reason = CASE WHEN alarms.state = excluded.state THEN alarms.reason ELSE excluded.reason END,
                 updated_at = CASE WHEN alarms.state = excluded.state THEN alarms.updated_at ELSE excluded.updated_at END",
                params![name, eval.state.to_string(), eval.reason, ts],
            )
            .map_err(LocalError::sql)?;
            if eval.state != stored {
                tx.execute(
                    "INSERT INTO alarm_history (name, timestamp, old_state, new_state, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![name, ts, stored.to_string(), eval.state.to_string(), eval.reason],
                )
                .map_err(LocalError::sql)?;
            }
            Ok(())
        })?;
        let before = self
            .reported
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), eval.state)
            .unwrap_or(old);
        if eval.state != before {
            changes.push((name.to_string(), before, eval));
        }
        Ok(())
    }
}

#[async_trait]
impl AlarmWatch for LocalAlarms {
    async fn state(&self, alarm: &str) -> PortResult<AlarmState> {
        Ok(self.stored(alarm)?)
    }
}

/// What an instance answers to a health check now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// `GET /health` answered 200 within a second.
    Healthy,
    /// Its process runs but did not answer 200 in time.
    Unhealthy,
    /// No process: nothing deployed, or torn down.
    Stopped,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
            Self::Stopped => "stopped",
        }
    }
}

/// Asks every running instance for its health, all at once (a second at most), as the health
/// checks that feed `HealthCheckFailed` do, and records the answers in `instances`.
pub async fn check_health(instances: &mut [crate::query::InstanceRow]) {
    let answers = futures_util::future::join_all(instances.iter().map(|i| async move {
        if !i.running {
            Health::Stopped
        } else if probe(i.port).await {
            Health::Healthy
        } else {
            Health::Unhealthy
        }
    }))
    .await;
    for (i, health) in instances.iter_mut().zip(answers) {
        i.health = Some(health);
    }
}

/// One HTTP GET of `/health` on a loopback port; true for a 200 answer within a second.
pub async fn probe(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream
            .write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 16];
        let n = stream.read(&mut head).await.ok()?;
        let line = std::str::from_utf8(&head[..n]).ok()?;
        Some(line.starts_with("HTTP/1.") && line.get(9..12) == Some("200"))
    };
    tokio::time::timeout(Duration::from_secs(1), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

/// Probes every in-service instance whose revision was started (and not torn down since), and
/// records how many failed. Every process on a state directory runs this each `period_ms`, but
/// a group is probed once a period: the first process to claim the period probes it, so
/// concurrent runs neither add their datapoints up nor see an instance another one deploys.
pub async fn probe_groups(
    pipeline: &Pipeline,
    deployer: &LocalDeployer,
    metrics: &SqliteMetrics,
    period_ms: i64,
) -> Result<(), LocalError> {
    let now = Utc::now().timestamp_millis();
    let period = now.div_euclid(period_ms.max(1));
    let mut data = Vec::new();
    for group in pipeline.groups.keys() {
        let targets = serving(deployer, group)?;
        if targets.is_empty() || !claim_probe(&metrics.db, &pipeline.name, group, period)? {
            continue;
        }
        let results = futures_util::future::join_all(targets.iter().map(|i| probe(i.port))).await;
        // A deployment (of this process or another) may have taken an instance out and stopped
        // it while it was being probed. A load balancer counts only the targets still
        // registered, so a failed answer counts only from an instance that still serves the same
        // process (read again only when one failed): otherwise the deployment's own
        // ApplicationStop would read as a failed check.
        let unanswered: Vec<_> = targets.iter().zip(&results).filter(|(_, ok)| !**ok).map(|(i, _)| i).collect();
        let still = if unanswered.is_empty() {
            Vec::new()
        } else {
            serving(deployer, group)?
        };
        let failed = unanswered
            .iter()
            .filter(|i| still.iter().any(|s| s.index == i.index && s.process_group == i.process_group))
            .inspect(|i| tracing::debug!(group = %group, instance = i.index, port = i.port, "health check failed"))
            .count();
        data.push(MetricDatum {
            namespace: "Baton".into(),
            name: "HealthCheckFailed".into(),
            dimensions: [
                ("Pipeline".to_string(), pipeline.name.clone()),
                ("DeploymentGroup".to_string(), group.clone()),
            ]
            .into(),
            value: failed as f64,
            unit: "Count".into(),
            timestamp_ms: now,
        });
    }
    metrics.put(&data).await.map_err(|e| LocalError::Internal(e.message))
}

/// The group's instances a health check asks: in service, with a started revision.
fn serving(deployer: &LocalDeployer, group: &str) -> Result<Vec<crate::deploy::Instance>, LocalError> {
    Ok(deployer
        .instances(group)?
        .into_iter()
        .filter(|i| i.artifact.is_some() && i.process_group.is_some() && i.in_service)
        .collect())
}

/// Takes the group's health probe for `period`; false when a process already took it.
fn claim_probe(db: &Db, pipeline: &str, group: &str, period: i64) -> Result<bool, LocalError> {
    let claimed = db
        .lock()
        .execute(
            "INSERT INTO health_probes (pipeline, grp, period) VALUES (?1, ?2, ?3)
             ON CONFLICT (pipeline, grp) DO UPDATE SET period = excluded.period WHERE health_probes.period < excluded.period",
            params![pipeline, group, period],
        )
        .map_err(LocalError::sql)?;
    Ok(claimed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::InstanceRow;

    fn instance(port: u16, running: bool) -> InstanceRow {
        InstanceRow {
            group: "g".into(),
            index: 0,
            port,
            artifact: None,
            running,
            health: None,
        }
    }

    /// A loopback server that answers every request with `status`, for as long as it lives.
    async fn server(status: &'static str) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0u8; 256];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(format!("HTTP/1.0 {status}\r\n\r\n").as_bytes()).await;
            }
        });
        port
    }

    #[tokio::test]
    async fn health_is_a_200_from_a_running_instance_and_nothing_is_asked_of_a_stopped_one() {
        let ok = server("200 OK").await;
        let failing = server("503 Service Unavailable").await;
        // A port nobody listens on: bound, then let go.
        let gone = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut instances = [
            instance(ok, true),
            instance(failing, true),
            instance(gone, true),
            instance(ok, false),
        ];
        check_health(&mut instances).await;
        let health: Vec<_> = instances.iter().map(|i| i.health).collect();
        assert_eq!(
            health,
            [
                Some(Health::Healthy),
                Some(Health::Unhealthy),
                Some(Health::Unhealthy),
                Some(Health::Stopped)
            ]
        );
        assert_eq!(serde_json::to_value(&instances[0]).unwrap()["health"], "healthy");
    }

    /// A deployment that takes an instance out of service and stops it while the health check
    /// is asking it does not fail the check: a load balancer counts only the targets still
    /// registered. Counted, five queued runs of the example each rolled themselves back on
    /// `AlarmTriggered` under load, their own ApplicationStops read as failed checks.
    #[tokio::test]
    async fn an_instance_taken_out_while_probed_is_not_a_failed_check() {
        let yaml = "name: p
stages:
  - { name: Build, actions: [{ name: Make, type: build, outputs: [app] }] }
  - { name: Ship, actions: [{ name: Deploy, type: deploy, input: app, group: g }] }
deployment_groups:
  g: { instances: 1 }
";
        let pipeline = Arc::new(baton_core::parse_pipeline(std::path::Path::new("pipeline.yml"), yaml).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(&dir.path().join("state.db")).unwrap());
        let metrics = SqliteMetrics::new(db.clone());
        let alarms = Arc::new(LocalAlarms::new(pipeline.clone(), db.clone(), metrics.clone()));
        let store = Arc::new(crate::artifacts::FsArtifactStore::new(dir.path(), db.clone()));
        let (bus, _events) = crate::coordination::bus::EventBus::new();
        let deployer = LocalDeployer::new(pipeline.clone(), dir.path(), db.clone(), store, bus, alarms);
        let port = deployer.instances("g").unwrap()[0].port;
        let mark = |out: bool| {
            db.lock()
                .execute(
                    "UPDATE instances SET artifact = ?1, process_group = 1, out_of_service = ?2 WHERE grp = 'g'",
                    params![r#"{"name":"app","version":1,"digest":"sha256:00"}"#, out],
                )
                .unwrap();
        };
        mark(false);
        // The instance: asked for its health, it is taken out of service and stops answering.
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let taken_out = tokio::spawn({
            let db = db.clone();
            async move {
                let (stream, _) = listener.accept().await.unwrap();
                db.lock().execute("UPDATE instances SET out_of_service = 1", []).unwrap();
                drop(stream);
            }
        });
        probe_groups(&pipeline, &deployer, &metrics, 1000).await.unwrap();
        taken_out.await.unwrap();
        let dimensions = BTreeMap::from([
            ("DeploymentGroup".to_string(), "g".to_string()),
            ("Pipeline".to_string(), "p".to_string()),
        ]);
        let series = metrics.series("Baton", "HealthCheckFailed", &dimensions, 0).unwrap();
        assert_eq!(series.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [0.0]);
        // Still in service, an instance that does not answer is a failed check.
        mark(false);
        probe_groups(&pipeline, &deployer, &metrics, 1).await.unwrap();
        let series = metrics.series("Baton", "HealthCheckFailed", &dimensions, 0).unwrap();
        assert_eq!(series.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [0.0, 1.0]);
    }

    fn stored_reason(alarms: &LocalAlarms, alarm: &str) -> Option<String> {
        alarms
            .db
            .lock()
            .query_row("SELECT reason FROM alarms WHERE name = ?1", [alarm], |r| r.get(0))
            .optional()
            .unwrap()
    }

    /// The local alarms of a one-build pipeline whose `alarms:` block is `alarms`, over a fresh
    /// state directory (kept alive by the returned guard).
    fn alarms_of(alarms: &str) -> (tempfile::TempDir, LocalAlarms, SqliteMetrics) {
        let yaml = format!("name: p\nstages:\n  - name: Build\n    actions:\n      - {{ name: Make, type: build }}\nalarms:\n{alarms}");
        let pipeline = Arc::new(baton_core::parse_pipeline(std::path::Path::new("pipeline.yml"), &yaml).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Db::open(&dir.path().join("state.db")).unwrap());
        let metrics = SqliteMetrics::new(db.clone());
        (dir, LocalAlarms::new(pipeline, db, metrics.clone()), metrics)
    }

    /// A datapoint of the metric `name` (dimension S=a) at `at`.
    fn datum(name: &str, at: i64, value: f64) -> MetricDatum {
        MetricDatum {
            namespace: "Baton".into(),
            name: name.into(),
            dimensions: BTreeMap::from([("S".to_string(), "a".to_string())]),
            timestamp_ms: at,
            value,
            unit: "Count".into(),
        }
    }

    /// A composite alarm's reason names the child whose transition moved it, as CloudWatch's
    /// does ("… transitioned to ALARM at Friday 04 August, 2023 12:54:46 UTC", the user guide's
    /// composite sample), and keeps it while its state holds.
    #[tokio::test]
    async fn a_composite_names_the_child_that_moved_it_and_keeps_the_reason() {
        let (_dir, alarms, metrics) = alarms_of(
            "  errors: { metric: Errors, dimensions: { S: a }, statistic: Sum, period: 60, threshold: 1, comparison: GreaterThanOrEqualToThreshold, evaluation_periods: 1 }
  quiet: { metric: Quiet, dimensions: { S: a }, statistic: Sum, period: 60, threshold: 1, comparison: GreaterThanOrEqualToThreshold, evaluation_periods: 1 }
  any: { rule: 'AT_LEAST(1, ALARM, (errors, quiet))' }
",
        );
        // At a minute's turn, so the datapoint's period is the newest the evaluation judges.
        let now = Utc::now().timestamp_millis() / 60_000 * 60_000;
        metrics
            .put(&[datum("Errors", now - 30_000, 5.0), datum("Quiet", now - 30_000, 0.0)])
            .await
            .unwrap();
        let changes = alarms.evaluate_all(now).unwrap();
        let any = changes.iter().find(|(n, ..)| n == "any").expect("the composite changed");
        assert_eq!(any.2.state, AlarmState::Alarm);
        let said = &any.2.reason;
        assert!(
            said.starts_with("arn:aws:cloudwatch:local:000000000000:alarm:errors transitioned to ALARM at ") && said.ends_with(" UTC"),
            "{said}"
        );
        // Evaluated again with nothing moved, the reason is the transition's still.
        alarms.evaluate_all(now).unwrap();
        assert_eq!(stored_reason(&alarms, "any").as_deref(), Some(said.as_str()));
    }

    /// A metric alarm's reason is its transition's, kept while its state holds: CloudWatch
    /// updates an alarm's state (`StateUpdatedTimestamp`, "the last update to the value of
    /// either the StateValue or EvaluationState parameters", DescribeAlarms' `MetricAlarm`) only
    /// when one of those changes, and the reason names "the datapoints that the alarm evaluated
    /// at that timestamp" (AWS knowledge center, "Why did my CloudWatch alarm trigger when its
    /// metric doesn't have any breaching data points?").
    #[tokio::test]
    async fn a_metric_alarm_keeps_its_transitions_reason_while_its_state_holds() {
        let (_dir, alarms, metrics) = alarms_of(
            "  errors: { metric: Errors, dimensions: { S: a }, statistic: Sum, period: 60, threshold: 1, comparison: GreaterThanOrEqualToThreshold, evaluation_periods: 2, datapoints_to_alarm: 1 }\n",
        );
        let now = Utc::now().timestamp_millis() / 60_000 * 60_000;
        metrics.put(&[datum("Errors", now - 30_000, 5.0)]).await.unwrap();
        let changes = alarms.evaluate_all(now).unwrap();
        let (_, _, eval) = changes.iter().find(|(n, ..)| n == "errors").expect("the alarm changed");
        assert_eq!(eval.state, AlarmState::Alarm);
        assert!(eval.reason.contains("[5.0 ("), "{}", eval.reason);
        // A minute on, a second breaching datapoint: still ALARM, and the reason is the one the
        // alarm went to ALARM with, not one naming the new datapoint.
        metrics.put(&[datum("Errors", now + 30_000, 7.0)]).await.unwrap();
        assert!(alarms.evaluate_all(now + 60_000).unwrap().is_empty(), "no transition");
        assert_eq!(alarms.stored("errors").unwrap(), AlarmState::Alarm);
        assert_eq!(stored_reason(&alarms, "errors").as_deref(), Some(eval.reason.as_str()));
    }
}
