//! # baton-asl
//!
//! An Amazon States Language interpreter that behaves like AWS Step Functions: the same state
//! types, input/output processing, error handling and execution history. It knows nothing about
//! Baton; the embedder supplies a [`TaskInvoker`] for Task states and a [`HistorySink`].
//!
//! ## Layout
//!
//! - [`definition`]: the typed model of a definition, and its structural checks.
//! - [`path`]: Step Functions' JSONPath (select, and set for `ResultPath`).
//! - [`payload`]: `Parameters` / `ResultSelector` templates (`.$` keys).
//! - [`intrinsics`]: `States.Format` and the other intrinsic functions.
//! - [`choice`]: Choice rule evaluation.
//! - [`executor`]: the interpreter itself, retries, catches, Parallel and Map.
//! - [`tokens`]: task tokens for `.waitForTaskToken`.
//! - [`history`]: history events in Step Functions' shapes.
//! - [`error`]: definition errors and runtime `States.*` errors.

pub mod choice;
pub mod definition;
pub mod error;
pub mod executor;
pub mod history;
pub mod intrinsics;
pub mod path;
pub mod payload;
pub mod tokens;

pub use definition::StateMachine;
pub use error::{DefinitionError, StatesError};
pub use executor::{ExecutionOutcome, ExecutionSpec, ExecutionStatus, Interpreter, TaskCall, TaskInvoker};
pub use history::{HistoryEvent, HistorySink};
pub use tokens::{TaskTokens, TokenError};
