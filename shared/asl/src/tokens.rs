//! Task tokens for the `.waitForTaskToken` pattern: a waiting task parks on its token until
//! someone calls `SendTaskSuccess` / `SendTaskFailure` (here, [`TaskTokens::send_success`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::{Notify, oneshot};

use crate::error::StatesError;

pub(crate) type TokenResult = Result<Value, StatesError>;

#[derive(Debug, Clone, Default)]
pub struct TaskTokens {
    waiting: Arc<Mutex<HashMap<String, Waiter>>>,
}

#[derive(Debug)]
struct Waiter {
    sender: oneshot::Sender<TokenResult>,
    heartbeat: Arc<Notify>,
}

/// Why a token could not be answered; the names match Step Functions' API errors.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("TaskDoesNotExist: no task is waiting on this token (it finished, timed out or never existed)")]
    TaskDoesNotExist,
}

/// Removes the token when the waiting task goes away (finished, timed out or cancelled), so a
/// late callback gets `TaskDoesNotExist` instead of completing a task that no longer exists.
pub(crate) struct Registration {
    pub token: String,
    pub receiver: oneshot::Receiver<TokenResult>,
    /// Signalled by `SendTaskHeartbeat`.
    pub heartbeat: Arc<Notify>,
    tokens: TaskTokens,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.tokens.lock().remove(&self.token);
    }
}

impl TaskTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiter>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn register(&self) -> Registration {
        let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let (sender, receiver) = oneshot::channel();
        let heartbeat = Arc::new(Notify::new());
        self.lock().insert(
            token.clone(),
            Waiter {
                sender,
                heartbeat: heartbeat.clone(),
            },
        );
        Registration {
            token,
            receiver,
            heartbeat,
            tokens: self.clone(),
        }
    }

    pub fn send_success(&self, token: &str, output: Value) -> Result<(), TokenError> {
        self.complete(token, Ok(output))
    }

    pub fn send_failure(&self, token: &str, error: &str, cause: &str) -> Result<(), TokenError> {
        self.complete(token, Err(StatesError::new(error, cause)))
    }

    /// `SendTaskHeartbeat`: the task is alive; its `HeartbeatSeconds` clock starts again.
    pub fn send_heartbeat(&self, token: &str) -> Result<(), TokenError> {
        let guard = self.lock();
        let waiter = guard.get(token).ok_or(TokenError::TaskDoesNotExist)?;
        waiter.heartbeat.notify_one();
        Ok(())
    }

    fn complete(&self, token: &str, result: TokenResult) -> Result<(), TokenError> {
        let waiter = self.lock().remove(token).ok_or(TokenError::TaskDoesNotExist)?;
        waiter.sender.send(result).map_err(|_| TokenError::TaskDoesNotExist)
    }

    /// How many tasks are parked right now.
    pub fn waiting(&self) -> usize {
        self.lock().len()
    }
}
