//! # baton-asl
//!
//! An Amazon States Language interpreter that behaves like AWS Step Functions: the same state
//! types, input/output processing, error handling and execution history. It knows nothing about
//! Baton; the embedder supplies a [`TaskInvoker`] for Task states and a [`HistorySink`].
//!
//! ## Layout
//!
//! - [`definition`]: the typed model of a definition; [`validate`] checks one the way
//!   `ValidateStateMachineDefinition` does.
//! - [`path`]: Step Functions' JSONPath (select, and set for `ResultPath`).
//! - [`payload`]: `Parameters` / `ResultSelector` templates (`.$` keys).
//! - [`intrinsics`]: `States.Format` and the other intrinsic functions.
//! - [`jsonata`]: JSONata states' `{% %}` expressions; [`variables`]: `Assign` and `$name`.
//! - [`choice`]: Choice rule evaluation.
//! - [`executor`]: the interpreter itself, retries, catches, Parallel and Map; [`io`] holds
//!   input/output processing and the payload limit; [`context`] the `$$` object and the clock.
//! - [`tokens`]: task tokens for `.waitForTaskToken`.
//! - [`mock`]: Task results from a Step Functions Local `MockConfigFile`.
//! - [`history`]: history events in Step Functions' shapes; [`owners`] which state each
//!   belongs to; [`redrive`] reads where an
//!   unfinished execution continues from them; [`replay`] runs a recorded execution again with
//!   its tasks' recorded results and says where the two runs differ.
//! - [`error`]: definition errors and runtime `States.*` errors; [`pointer`](mod@pointer) turns the JSON
//!   pointer a diagnostic names into a line and column; [`json_syntax`] says why a definition
//!   is not JSON, in AWS's (Jackson's) words.

pub mod choice;
pub mod context;
mod csv_items;
pub mod definition;
pub mod error;
pub mod executor;
pub mod history;
mod integration_fields;
mod integration_patterns;
pub mod intrinsics;
pub mod io;
pub mod java_number;
mod java_order;
mod java_random;
pub mod json_syntax;
pub mod jsonata;
mod jsonata_blame;
mod jsonata_calls;
mod jsonata_chain;
mod jsonata_context_items;
mod jsonata_cut_short;
mod jsonata_engine_calls;
mod jsonata_errors;
mod jsonata_evaluation_order;
mod jsonata_functions;
mod jsonata_input_bounds;
mod jsonata_integer_picture;
mod jsonata_operators;
mod jsonata_order_by;
mod jsonata_parse_errors;
mod jsonata_references;
mod jsonata_regex_backtracking;
mod jsonata_regex_literals;
mod jsonata_regex_syntax;
mod jsonata_signature_blame;
mod jsonata_signatures;
mod jsonata_stand_in_calls;
mod jsonata_stand_ins;
mod jsonata_step_functions;
mod jsonata_to_millis;
mod jsonata_transform;
mod jsonata_url;
mod jsonata_version;
pub mod log_record;
pub mod mock;
pub mod objects;
pub mod owners;
mod partial;
pub mod path;
mod path_filter;
mod path_syntax;
pub mod payload;
pub mod pointer;
pub mod redrive;
pub mod replay;
mod resource;
mod timestamp;
pub mod tokens;
pub mod validate;
pub mod variables;

pub use context::Context;
pub use definition::StateMachine;
pub use error::{DefinitionError, Diagnostic, StatesError};
pub use executor::{ExecutionOutcome, ExecutionSpec, ExecutionStatus, Interpreter, StopRequest, TaskCall, TaskInvoker, Workflow};
pub use history::{HistoryEvent, HistorySink, MemorySink, NullSink};
pub use owners::Owners;
pub use redrive::{Redrive, RedriveError};
pub use tokens::{TaskTokens, TokenError};
