//! Task states answered with what the recorded run's tasks returned: each call is matched to a
//! recorded call of the same state with the same parameters (so Map iterations and parallel
//! branches, which run in any order, get their own results), or else to the next one unused.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::Value;

use crate::{HistoryEvent, Owners, StatesError, TaskCall, TaskInvoker, TaskTokens};

/// What one recorded call of a task ended with.
#[derive(Debug, Clone)]
enum Answer {
    Returned(Value),
    Threw { error: String, cause: String },
}

#[derive(Debug)]
struct Call {
    parameters: Option<Value>,
    answer: Option<Answer>,
    used: bool,
}

/// The recorded run's task results, by state name, in the order they were scheduled.
#[derive(Debug)]
pub struct RecordedAnswers {
    calls: Mutex<HashMap<String, Vec<Call>>>,
    tokens: TaskTokens,
}

impl RecordedAnswers {
    /// Reads every task a history scheduled and how it ended (a task the run never finished
    /// has no answer).
    pub fn read(history: &[HistoryEvent], tokens: TaskTokens) -> Self {
        let mut state_of: Owners<String> = Owners::default();
        let mut call_of: HashMap<u64, (String, usize)> = HashMap::new();
        let mut calls: HashMap<String, Vec<Call>> = HashMap::new();
        for e in history {
            let kind = &*e.kind;
            if kind.ends_with("StateEntered") {
                state_of.enter(e, e.state_name().unwrap_or_default().to_string());
                continue;
            }
            let Some(state) = state_of.follow(e) else {
                continue;
            };
            if matches!(kind, "TaskScheduled" | "LambdaFunctionScheduled" | "ActivityScheduled") {
                let parameters = e.detail_text("parameters").or_else(|| e.detail_text("input"));
                let list = calls.entry(state.clone()).or_default();
                list.push(Call {
                    parameters: parameters.and_then(|p| serde_json::from_str(&p).ok()),
                    answer: None,
                    used: false,
                });
                call_of.insert(e.id, (state, list.len() - 1));
                continue;
            }
            // A failed expression follows the event before its state's entry, which may be a
            // task's last: it answers no call.
            let Some((state, index)) = call_of.get(&e.previous_event_id).cloned().filter(|_| e.evaluated_state().is_none()) else {
                continue;
            };
            call_of.insert(e.id, (state.clone(), index));
            let answer = match kind {
                "TaskSucceeded" | "LambdaFunctionSucceeded" | "ActivitySucceeded" => {
                    let output = e.detail_text("output").unwrap_or_else(|| "null".into());
                    Answer::Returned(serde_json::from_str(&output).unwrap_or(Value::String(output)))
                }
                k if k.ends_with("Failed") || k.ends_with("TimedOut") => Answer::Threw {
                    error: e.detail_text("error").unwrap_or_default(),
                    cause: e.detail_text("cause").unwrap_or_default(),
                },
                _ => continue,
            };
            if let Some(call) = calls.get_mut(&state).and_then(|l| l.get_mut(index)) {
                call.answer = Some(answer);
            }
        }
        Self {
            calls: Mutex::new(calls),
            tokens,
        }
    }

    /// The answer for `call`: the first unused recorded call of its state with the same
    /// parameters, else the first unused one.
    fn take(&self, call: &TaskCall) -> Result<Answer, StatesError> {
        let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let list = calls.get_mut(&call.state_name).map(Vec::as_mut_slice).unwrap_or_default();
        let same = list.iter().position(|c| !c.used && c.parameters.as_ref() == Some(&call.input));
        let Some(i) = same.or_else(|| list.iter().position(|c| !c.used)) else {
            return Err(StatesError::runtime(format!(
                "the recorded run made no further call of Task state `{}`",
                call.state_name
            )));
        };
        list[i].used = true;
        list[i]
            .answer
            .clone()
            .ok_or_else(|| StatesError::runtime(format!("the recorded run's call of Task state `{}` had not ended", call.state_name)))
    }
}

#[async_trait]
impl TaskInvoker for RecordedAnswers {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        match (self.take(&call)?, &call.task_token) {
            (Answer::Threw { error, cause }, _) => Err(StatesError::new(&error, &cause)),
            // A callback task's recorded output is what its worker sent with the token.
            (Answer::Returned(v), Some(token)) => {
                let _ = self.tokens.send_success(token, v);
                Ok(Value::Null)
            }
            (Answer::Returned(v), None) => Ok(v),
        }
    }
}
