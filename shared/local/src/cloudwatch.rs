//! Local CloudWatch: datapoints in SQLite, alarms evaluated with CloudWatch's rules, and the
//! health checks that feed the `HealthCheckFailed` metric of each deployment group.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use baton_core::alarm::{AlarmState, TreatMissingData};
use baton_core::model::{Alarm, Pipeline};
use baton_core::ports::{AlarmWatch, MetricDatum, MetricsSink, PortResult};
use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::db::Db;
use crate::deploy::LocalDeployer;
use crate::error::LocalError;

#[derive(Debug, Clone)]
pub struct SqliteMetrics {
    db: Arc<Db>,
}

impl SqliteMetrics {
    pub fn new(db: Arc<Db>) -> Self {
        Self { db }
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
        let mut conn = self.db.lock();
        let tx = conn.transaction().map_err(LocalError::sql)?;
        for d in data {
            // Dimensions are stored in one canonical (sorted) JSON form so a series is one key.
            let dims = serde_json::to_string(&d.dimensions).unwrap_or_default();
            tx.execute(
                "INSERT INTO metrics (namespace, name, dimensions, timestamp_ms, value, unit) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![d.namespace, d.name, dims, d.timestamp_ms, d.value, d.unit],
            )
            .map_err(LocalError::sql)?;
        }
        tx.commit().map_err(LocalError::sql)?;
        Ok(())
    }
}

/// The verdict of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub state: AlarmState,
    pub reason: String,
}

/// Evaluates an alarm at `now_ms` over its last `EvaluationPeriods` complete periods.
///
/// Periods are aligned to multiples of the period length, as CloudWatch aligns them. Missing
/// periods are treated per `TreatMissingData`: `notBreaching` and `breaching` fill them in,
/// `missing` and `ignore` leave them out; when every period is missing, `missing` goes to
/// INSUFFICIENT_DATA and `ignore` keeps the current state.
pub fn evaluate(alarm: &Alarm, datapoints: &[(i64, f64)], now_ms: i64, current: AlarmState) -> Evaluation {
    let period = i64::try_from(alarm.period_secs).unwrap_or(60).max(1) * 1000;
    let end = now_ms.div_euclid(period) * period;
    let n = alarm.evaluation_periods as i64;
    let mut verdicts = Vec::with_capacity(n as usize);
    for k in 0..n {
        let (from, to) = (end - (k + 1) * period, end - k * period);
        let values: Vec<f64> = datapoints.iter().filter(|(t, _)| *t >= from && *t < to).map(|(_, v)| *v).collect();
        let breach = alarm
            .statistic
            .aggregate(&values)
            .map(|v| alarm.comparison.breaches(v, alarm.threshold));
        verdicts.push(match (breach, alarm.treat_missing_data) {
            (Some(b), _) => Some(b),
            (None, TreatMissingData::NotBreaching) => Some(false),
            (None, TreatMissingData::Breaching) => Some(true),
            (None, _) => None,
        });
    }
    let present = verdicts.iter().flatten().count();
    let breaching = verdicts.iter().flatten().filter(|b| **b).count();
    let m = alarm.datapoints_to_alarm as usize;
    let op = format!("{:?}", alarm.comparison);
    if breaching >= m {
        Evaluation {
            state: AlarmState::Alarm,
            reason: format!(
                "Threshold Crossed: {breaching} out of the last {n} datapoints breached the threshold ({op} {}), {m} needed",
                alarm.threshold
            ),
        }
    } else if present == 0 {
        match alarm.treat_missing_data {
            TreatMissingData::Ignore => Evaluation {
                state: current,
                reason: "no datapoints; treat_missing_data=ignore keeps the current state".into(),
            },
            _ => Evaluation {
                state: AlarmState::InsufficientData,
                reason: format!("Insufficient Data: no datapoints in the last {n} periods"),
            },
        }
    } else {
        Evaluation {
            state: AlarmState::Ok,
            reason: format!(
                "Threshold Crossed: {breaching} out of the last {n} datapoints breached the threshold ({op} {}), fewer than {m}",
                alarm.threshold
            ),
        }
    }
}

/// Alarm state, kept in SQLite so `baton status` and a later run see it too.
#[derive(Debug, Clone)]
pub struct LocalAlarms {
    pipeline: Arc<Pipeline>,
    db: Arc<Db>,
    metrics: SqliteMetrics,
}

impl LocalAlarms {
    pub fn new(pipeline: Arc<Pipeline>, db: Arc<Db>) -> Self {
        Self {
            pipeline,
            metrics: SqliteMetrics::new(db.clone()),
            db,
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

    /// Evaluates every alarm now; returns the ones whose state changed, as (alarm, old, new).
    pub fn evaluate_all(&self, now_ms: i64) -> Result<Vec<(String, AlarmState, Evaluation)>, LocalError> {
        let mut changes = Vec::new();
        for alarm in self.pipeline.alarms.values() {
            let span = i64::try_from(alarm.period_secs * u64::from(alarm.evaluation_periods + 1)).unwrap_or(i64::MAX / 2) * 1000;
            let points = self
                .metrics
                .series(&alarm.namespace, &alarm.metric, &alarm.dimensions, now_ms - span)?;
            let old = self.stored(&alarm.name)?;
            let eval = evaluate(alarm, &points, now_ms, old);
            let ts = Utc::now().to_rfc3339();
            let conn = self.db.lock();
            conn.execute(
                "INSERT INTO alarms (name, state, reason, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET state = excluded.state, reason = excluded.reason,
                 updated_at = CASE WHEN alarms.state = excluded.state THEN alarms.updated_at ELSE excluded.updated_at END",
                params![alarm.name, eval.state.to_string(), eval.reason, ts],
            )
            .map_err(LocalError::sql)?;
            if eval.state != old {
                conn.execute(
                    "INSERT INTO alarm_history (name, timestamp, old_state, new_state, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![alarm.name, ts, old.to_string(), eval.state.to_string(), eval.reason],
                )
                .map_err(LocalError::sql)?;
                changes.push((alarm.name.clone(), old, eval));
            }
        }
        Ok(changes)
    }
}

#[async_trait]
impl AlarmWatch for LocalAlarms {
    async fn state(&self, alarm: &str) -> PortResult<AlarmState> {
        Ok(self.stored(alarm)?)
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
/// records how many failed.
pub async fn probe_groups(pipeline: &Pipeline, deployer: &LocalDeployer, metrics: &SqliteMetrics) -> Result<(), LocalError> {
    let now = Utc::now().timestamp_millis();
    let mut data = Vec::new();
    for group in pipeline.groups.keys() {
        let targets: Vec<_> = deployer
            .instances(group)?
            .into_iter()
            .filter(|i| i.artifact.is_some() && i.process_group.is_some() && deployer.in_service(group, i.index))
            .collect();
        if targets.is_empty() {
            continue;
        }
        let results = futures_util::future::join_all(targets.iter().map(|i| probe(i.port))).await;
        let failed = results.iter().filter(|ok| !**ok).count();
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
    metrics.put(&data).await.map_err(|e| LocalError::Invalid(e.message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::alarm::{ComparisonOperator, Statistic};

    fn alarm(n: u32, m: u32, treat: TreatMissingData) -> Alarm {
        Alarm {
            name: "a".into(),
            namespace: "Baton".into(),
            metric: "Errors".into(),
            dimensions: BTreeMap::new(),
            statistic: Statistic::Sum,
            period_secs: 10,
            threshold: 1.0,
            comparison: ComparisonOperator::GreaterThanOrEqualToThreshold,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing_data: treat,
        }
    }

    /// Datapoints for the last periods before t=100 s, oldest first; `None` is a missing period.
    fn points(values: &[Option<f64>]) -> Vec<(i64, f64)> {
        let n = values.len() as i64;
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| ((100 - (n - i as i64) * 10) * 1000 + 500, v)))
            .collect()
    }

    #[test]
    fn m_out_of_n() {
        let a = alarm(3, 2, TreatMissingData::Missing);
        assert_eq!(
            evaluate(&a, &points(&[Some(1.0), Some(0.0), Some(1.0)]), 100_000, AlarmState::Ok).state,
            AlarmState::Alarm
        );
        assert_eq!(
            evaluate(&a, &points(&[Some(0.0), Some(0.0), Some(1.0)]), 100_000, AlarmState::Ok).state,
            AlarmState::Ok
        );
    }

    #[test]
    fn the_current_partial_period_is_not_evaluated() {
        let a = alarm(1, 1, TreatMissingData::Missing);
        // 5 s into the period that ends at 110 s: the breaching point is not in a complete period.
        assert_eq!(
            evaluate(&a, &[(105_000, 5.0)], 105_000, AlarmState::Ok).state,
            AlarmState::InsufficientData
        );
        assert_eq!(evaluate(&a, &[(105_000, 5.0)], 110_000, AlarmState::Ok).state, AlarmState::Alarm);
    }

    #[test]
    fn treat_missing_data() {
        let none = points(&[None, None, None]);
        let now = 100_000;
        assert_eq!(
            evaluate(&alarm(3, 2, TreatMissingData::Missing), &none, now, AlarmState::Ok).state,
            AlarmState::InsufficientData
        );
        assert_eq!(
            evaluate(&alarm(3, 2, TreatMissingData::NotBreaching), &none, now, AlarmState::Alarm).state,
            AlarmState::Ok
        );
        assert_eq!(
            evaluate(&alarm(3, 2, TreatMissingData::Breaching), &none, now, AlarmState::Ok).state,
            AlarmState::Alarm
        );
        assert_eq!(
            evaluate(&alarm(3, 2, TreatMissingData::Ignore), &none, now, AlarmState::Alarm).state,
            AlarmState::Alarm
        );
        // One breaching point and two missing: `breaching` fills in the rest and alarms.
        let one = points(&[None, Some(2.0), None]);
        assert_eq!(
            evaluate(&alarm(3, 2, TreatMissingData::Missing), &one, now, AlarmState::Ok).state,
            AlarmState::Ok
        );
        assert_eq!(
            evaluate(&alarm(3, 2, TreatMissingData::Breaching), &one, now, AlarmState::Ok).state,
            AlarmState::Alarm
        );
    }
}
