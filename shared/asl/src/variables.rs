//! Workflow variables (`Assign`, `$name`).
//!
//! The top-level states of an execution share one scope; each Parallel branch and Map iteration
//! runs in a child scope that reads its parents' variables. An assignment writes to the scope of
//! the state that makes it, and takes effect when that state ends: every expression of a state,
//! its `Assign` included, sees the values from before it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};

use crate::error::{StatesError, names};
use crate::io::{PAYLOAD_LIMIT, json_len};

#[derive(Debug, Default)]
pub struct Scope {
    parent: Option<Arc<Scope>>,
    values: Mutex<BTreeMap<String, Value>>,
}

impl Scope {
    pub fn root() -> Arc<Self> {
        Arc::default()
    }

    pub fn child(self: &Arc<Self>) -> Arc<Self> {
        Arc::new(Scope {
            parent: Some(self.clone()),
            values: Mutex::default(),
        })
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        let own = self.values.lock().unwrap_or_else(PoisonError::into_inner).get(name).cloned();
        own.or_else(|| self.parent.as_ref()?.get(name))
    }

    /// Commits a state's `Assign` results (already evaluated against the old values).
    pub fn assign(&self, assigned: Map<String, Value>) -> Result<(), StatesError> {
        let size: usize = assigned.values().map(json_len).sum();
        if size > PAYLOAD_LIMIT {
            return Err(StatesError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!("the state assigns {size} bytes of variables, more than the {PAYLOAD_LIMIT}-byte quota"),
            ));
        }
        self.values.lock().unwrap_or_else(PoisonError::into_inner).extend(assigned);
        Ok(())
    }
}

/// Variable names are identifiers; `states` is reserved for JSONata's `$states`.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "states"
}
