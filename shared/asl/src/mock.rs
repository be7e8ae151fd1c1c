//! Task results from a mock configuration in Step Functions Local's `MockConfigFile` format, so
//! a state machine can be tested offline:
//!
//! ```json
//! { "StateMachines": { "Orders": { "TestCases": { "HappyPath": { "Charge": "ChargeOk" } } } },
//!   "MockedResponses": { "ChargeOk": { "0": { "Return": { "id": 1 } },
//!                                      "1-2": { "Throw": { "Error": "Busy", "Cause": "try later" } } } } }
//! ```
//!
//! The keys of a mocked response are invocation numbers (0-based) or ranges (`1-2`) of the
//! state's calls within the execution.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;

use crate::error::StatesError;
use crate::executor::{TaskCall, TaskInvoker};
use crate::tokens::TaskTokens;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockConfig {
    #[serde(default)]
    pub state_machines: BTreeMap<String, MockedMachine>,
    #[serde(default)]
    pub mocked_responses: BTreeMap<String, BTreeMap<String, MockedResponse>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MockedMachine {
    pub test_cases: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MockedResponse {
    /// `Some(Value::Null)` for `"Return": null`, which is a value like any other.
    #[serde(default, deserialize_with = "present")]
    pub r#return: Option<Value>,
    #[serde(default)]
    pub throw: Option<Thrown>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Thrown {
    pub error: String,
    #[serde(default)]
    pub cause: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("the mock configuration is not valid: {0}")]
    Invalid(String),
    #[error("state machine `{0}` is not in the mock configuration (it has: {1})")]
    NoMachine(String, String),
    #[error("test case `{0}` is not in the mock configuration of `{1}` (it has: {2})")]
    NoTestCase(String, String, String),
}

impl MockConfig {
    pub fn from_json(text: &str) -> Result<Self, MockError> {
        serde_json::from_str::<MockConfig>(text)
            .map_err(|e| MockError::Invalid(e.to_string()))?
            .checked()
    }

    /// The configuration once its ranges and references hold: what its shape cannot say. (A
    /// caller that read the file itself, to word a shape error with file, line and column,
    /// checks the rest here.)
    pub fn checked(self) -> Result<Self, MockError> {
        let config = self;
        for (name, responses) in &config.mocked_responses {
            for (key, r) in responses {
                if parse_range(key).is_none() {
                    return Err(MockError::Invalid(format!(
                        "MockedResponses.{name}: `{key}` is not an invocation number or range such as 0 or 1-2"
                    )));
                }
                if r.r#return.is_some() == r.throw.is_some() {
                    return Err(MockError::Invalid(format!(
                        "MockedResponses.{name}.{key}: give exactly one of Return or Throw"
                    )));
                }
            }
        }
        for (machine, m) in &config.state_machines {
            for (case, states) in &m.test_cases {
                if let Some(missing) = states.values().find(|r| !config.mocked_responses.contains_key(*r)) {
                    return Err(MockError::Invalid(format!(
                        "StateMachines.{machine}.TestCases.{case} names mocked response `{missing}`, which MockedResponses does not define"
                    )));
                }
            }
        }
        Ok(config)
    }

    /// The invoker for one test case. With `machine` absent, the configuration must hold
    /// exactly one state machine.
    pub fn invoker(&self, machine: Option<&str>, test_case: &str, tokens: TaskTokens) -> Result<MockInvoker, MockError> {
        let names = || self.state_machines.keys().cloned().collect::<Vec<_>>().join(", ");
        let (machine, m) = match machine {
            Some(name) => (
                name.to_string(),
                self.state_machines
                    .get(name)
                    .ok_or_else(|| MockError::NoMachine(name.into(), names()))?,
            ),
            None if self.state_machines.len() == 1 => {
                let (n, m) = self
                    .state_machines
                    .iter()
                    .next()
                    .ok_or_else(|| MockError::NoMachine(String::new(), names()))?;
                (n.clone(), m)
            }
            None => return Err(MockError::NoMachine("(unnamed: pass the state machine's name)".into(), names())),
        };
        let case = m.test_cases.get(test_case).ok_or_else(|| {
            MockError::NoTestCase(
                test_case.into(),
                machine.clone(),
                m.test_cases.keys().cloned().collect::<Vec<_>>().join(", "),
            )
        })?;
        let states = case
            .iter()
            .map(|(state, response)| (state.clone(), self.mocked_responses[response].clone()))
            .collect();
        Ok(MockInvoker {
            test_case: test_case.into(),
            states,
            calls: Mutex::new(HashMap::new()),
            tokens,
        })
    }
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn parse_range(key: &str) -> Option<(u64, u64)> {
    match key.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)).filter(|(a, b)| a <= b),
        None => key.trim().parse().ok().map(|n| (n, n)),
    }
}

/// Answers Task states from one test case.
#[derive(Debug)]
pub struct MockInvoker {
    test_case: String,
    states: HashMap<String, BTreeMap<String, MockedResponse>>,
    calls: Mutex<HashMap<String, u64>>,
    tokens: TaskTokens,
}

#[async_trait]
impl TaskInvoker for MockInvoker {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        let responses = self.states.get(&call.state_name).ok_or_else(|| {
            StatesError::runtime(format!(
                "Task state `{}` has no mocked response in test case `{}`",
                call.state_name, self.test_case
            ))
        })?;
        let n = {
            let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let c = calls.entry(call.state_name.clone()).or_default();
            *c += 1;
            *c - 1
        };
        let response = responses
            .iter()
            .find(|(k, _)| parse_range(k).is_some_and(|(a, b)| (a..=b).contains(&n)))
            .map(|(_, r)| r)
            .ok_or_else(|| {
                StatesError::runtime(format!(
                    "Task state `{}` has no mocked response for invocation {n} in test case `{}`",
                    call.state_name, self.test_case
                ))
            })?;
        match (&response.r#return, &response.throw) {
            (_, Some(t)) => Err(StatesError::new(&t.error, &t.cause)),
            (Some(v), None) => match &call.task_token {
                // Step Functions Local answers a mocked callback task with the mocked value.
                Some(token) => {
                    let _ = self.tokens.send_success(token, v.clone());
                    Ok(Value::Null)
                }
                None => Ok(v.clone()),
            },
            (None, None) => Err(StatesError::runtime("empty mocked response")),
        }
    }
}

/// A Task invoker for runs without mocks: every Task fails, naming what to do.
#[derive(Debug, Default)]
pub struct NoTasks;

#[async_trait]
impl TaskInvoker for NoTasks {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        Err(StatesError::runtime(format!(
            "Task state `{}` calls {}, which cannot run here; answer it with --mock-config FILE --test-case NAME",
            call.state_name, call.resource
        )))
    }
}
