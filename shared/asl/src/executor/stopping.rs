//! Stopping an execution from outside: at once (`StopExecution`; the tasks in flight are
//! dropped), or after the tasks in flight finish with nothing new started (CodePipeline's
//! "stop and wait"), which Step Functions itself does not offer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use crate::error::StatesError;

/// A request to stop an execution, with the error and cause its `ExecutionAborted` carries.
#[derive(Debug, Clone, PartialEq)]
pub struct StopRequest {
    pub error: StatesError,
    /// End now, dropping the tasks in flight; otherwise let them finish first and start no
    /// state after them.
    pub abandon: bool,
}

/// What a stop-and-wait needs to know of an execution: whether to start new states, and how
/// many tasks are in flight. Shared by every branch and iteration of one execution.
#[derive(Debug, Clone)]
pub(crate) struct Flight {
    draining: Arc<AtomicBool>,
    tasks: Arc<watch::Sender<usize>>,
}

impl Default for Flight {
    fn default() -> Self {
        Self {
            draining: Arc::default(),
            tasks: Arc::new(watch::channel(0).0),
        }
    }
}

/// One task in flight; dropping it lands the task.
pub(crate) struct Busy(Arc<watch::Sender<usize>>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Flight {
    pub(crate) fn busy(&self) -> Busy {
        self.tasks.send_modify(|n| *n += 1);
        Busy(self.tasks.clone())
    }

    /// From now on no flow enters a new state.
    pub(crate) fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Where a flow that would enter a new state waits while the execution drains: forever,
    /// until the execution is aborted around it.
    pub(crate) async fn hold(&self) {
        if self.draining.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
    }

    /// Completes once no task is in flight.
    pub(crate) async fn landed(&self) {
        let mut tasks = self.tasks.subscribe();
        let _ = tasks.wait_for(|n| *n == 0).await;
    }
}
