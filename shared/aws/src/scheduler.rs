//! `SchedulerTimers`: Baton's timers (a bake window's end) as one-time EventBridge Scheduler
//! schedules that invoke the events function with the event as input and delete themselves
//! after firing. Nothing polls, and a timer outlives the function that set it.

use async_trait::async_trait;
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use baton_core::events::Event;
use baton_core::ports::{PortError, PortResult, Timers};
use sha2::{Digest, Sha256};

use crate::sdk::port_error;

#[derive(Debug, Clone)]
pub struct SchedulerTimers {
    client: Client,
    group: String,
    /// The events function, and the role Scheduler assumes to invoke it.
    target_arn: String,
    role_arn: String,
}

impl SchedulerTimers {
    pub fn new(client: Client, group: impl Into<String>, target_arn: impl Into<String>, role_arn: impl Into<String>) -> Self {
        Self {
            client,
            group: group.into(),
            target_arn: target_arn.into(),
            role_arn: role_arn.into(),
        }
    }
}

/// One name per event: setting the same timer twice (a redelivered bake start) is one schedule.
pub fn schedule_name(input: &str) -> String {
    format!("baton-{}", hex::encode(&Sha256::digest(input.as_bytes())[..20]))
}

/// Scheduler's `at(yyyy-mm-ddThh:mm:ss)`, in UTC.
pub fn at_expression(epoch_secs: i64) -> PortResult<String> {
    let when = aws_smithy_types::DateTime::from_secs(epoch_secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map_err(|e| PortError::permanent(e.to_string()))?;
    // `2026-12-01T10:00:00Z` → `2026-12-01T10:00:00`: no fraction, no zone (the zone is a field).
    Ok(format!("at({})", &when[..19]))
}

#[async_trait]
impl Timers for SchedulerTimers {
    async fn after(&self, delay_secs: u64, event: Event) -> PortResult<()> {
        let input = serde_json::to_string(&event).map_err(|e| PortError::permanent(e.to_string()))?;
        let name = schedule_name(&input);
        let due = baton_core::metrics::now_ms() / 1000 + delay_secs as i64;
        let target = Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(&input)
            .build()
            .map_err(|e| PortError::permanent(e.to_string()))?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(|e| PortError::permanent(e.to_string()))?;
        let created = self
            .client
            .create_schedule()
            .name(&name)
            .group_name(&self.group)
            .schedule_expression(at_expression(due)?)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window)
            .target(target)
            .action_after_completion(ActionAfterCompletion::Delete)
            .send()
            .await;
        match created {
            Ok(_) => {
                tracing::info!(schedule = %name, delay_secs, "timer set");
                Ok(())
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_conflict_exception()) => Ok(()),
            Err(e) => Err(port_error("Scheduler CreateSchedule", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_expressions_have_no_zone_or_fraction() {
        assert_eq!(at_expression(1_764_583_200).ok().as_deref(), Some("at(2025-12-01T10:00:00)"));
    }

    #[test]
    fn schedule_names_fit_schedulers_rules() {
        let name = schedule_name("{\"detail-type\":\"Baton Bake Window Elapsed\"}");
        assert!(name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert_eq!(name, schedule_name("{\"detail-type\":\"Baton Bake Window Elapsed\"}"));
    }
}
