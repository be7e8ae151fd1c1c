//! What runs beside the executions of a [`LocalRuntime`](super::LocalRuntime): the event
//! dispatcher (EventBridge's part), health probes and alarm evaluation (CloudWatch's).

use std::sync::Arc;
use std::time::Duration;

use baton_core::alarm::evaluate::window_step_secs;
use baton_core::events::Event;
use baton_core::model::Pipeline;
use baton_core::stages::{self, events};
use chrono::Utc;
use tokio::sync::mpsc;

use super::Adapters;
use crate::cloudwatch;

/// Routes bus events to the `events` handler, as EventBridge rules route them to the events
/// function on AWS.
pub(super) async fn dispatch(adapters: Arc<Adapters>, mut receiver: mpsc::UnboundedReceiver<Event>) {
    while let Some(event) = receiver.recv().await {
        match events::handle(adapters.event_ports(), event.clone()).await {
            // As Lambda retries an asynchronous invocation that failed (twice), and without
            // holding up the events behind it: a dropped build end would leave its task waiting
            // until it timed out (found by the fault-injection tests).
            Err(e) if e.error_type() == stages::error_types::TRANSIENT => {
                tracing::warn!(error = %e, "event handler failed; retrying");
                tokio::spawn(redeliver(adapters.clone(), event));
            }
            Err(e) => tracing::error!(error = %e, "event handler failed"),
            Ok(()) => {
                let _ = adapters.handled.send(event); // nobody listening is the usual case
            }
        }
    }
}

async fn redeliver(adapters: Arc<Adapters>, event: Event) {
    for attempt in 1..=EVENT_RETRIES {
        let delay = Duration::from_millis(500 << attempt).mul_f64(0.5 + fastrand::f64() / 2.0);
        tokio::time::sleep(delay).await;
        match events::handle(adapters.event_ports(), event.clone()).await {
            Ok(()) => {
                let _ = adapters.handled.send(event);
                return;
            }
            Err(e) if attempt < EVENT_RETRIES && e.error_type() == stages::error_types::TRANSIENT => {
                tracing::warn!(error = %e, attempt, "event handler failed again; retrying");
            }
            Err(e) => {
                tracing::error!(error = %e, attempt, "event handler failed; the event is dropped");
                return;
            }
        }
    }
}

/// Retries of an event whose handling failed transiently.
const EVENT_RETRIES: u32 = 2;

impl Adapters {
    pub(super) fn event_ports(&self) -> events::EventPorts<'_> {
        events::EventPorts {
            artifacts: self.store.as_ref(),
            pending: &self.pending,
            callbacks: &self.callbacks,
            alarms: self.alarms.as_ref(),
            metrics: &self.metrics,
            builds: &self.builds,
            // The local deployer judges each canary itself, from its front door's samples.
            canary: None,
        }
    }
}

/// How often health is probed and alarms are re-evaluated: as often as the quickest alarm's
/// window moves (CloudWatch evaluates every minute, every 10 s for a 10 or 30 s period).
fn tick_secs(pipeline: &Pipeline) -> u64 {
    pipeline.alarms.values().map(window_step_secs).min().unwrap_or(10).clamp(1, 60)
}

/// Health probes of every running instance, once per tick.
pub(super) async fn probe(adapters: Arc<Adapters>) {
    let mut interval = tokio::time::interval(Duration::from_secs(tick_secs(&adapters.pipeline)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let period_ms = i64::try_from(tick_secs(&adapters.pipeline) * 1000).unwrap_or(1000);
        if let Err(e) = cloudwatch::probe_groups(&adapters.pipeline, &adapters.deployer, &adapters.metrics, period_ms).await {
            tracing::warn!(error = %e, "health probes failed");
        }
    }
}

/// Local CloudWatch alarm evaluation: as datapoints arrive, and at every tick (when a window has
/// moved and the period that ended can be judged); state changes are published
/// like CloudWatch's `Alarm State Change` events.
pub(super) async fn evaluate_alarms(adapters: Arc<Adapters>) {
    if adapters.pipeline.alarms.is_empty() && adapters.pipeline.composite_alarms.is_empty() {
        return;
    }
    let period_ms = i64::try_from(tick_secs(&adapters.pipeline) * 1000).unwrap_or(1000);
    loop {
        let now = Utc::now().timestamp_millis();
        // A few milliseconds past the boundary, so the period that just ended is complete.
        let next = (now.div_euclid(period_ms) + 1) * period_ms + 5;
        let wait = Duration::from_millis(u64::try_from(next - now).unwrap_or(0));
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = adapters.metrics.arrived() => {}
        }
        match adapters.alarms.evaluate_all(Utc::now().timestamp_millis()) {
            Ok(changes) => {
                for (alarm, previous, eval) in changes {
                    tracing::info!(alarm = %alarm, from = %previous, to = %eval.state, reason = %eval.reason, "alarm state changed");
                    adapters.bus.publish(Event::AlarmStateChange {
                        alarm,
                        state: eval.state,
                        previous,
                        reason: eval.reason,
                    });
                }
            }
            Err(e) => tracing::warn!(error = %e, "alarm evaluation failed"),
        }
    }
}
