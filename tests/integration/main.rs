//! Baton's integration tests: one binary, fixtures in `util`.

mod approvals;
mod artifact_gc;
mod artifact_store;
mod bad_input;
mod bad_input_catalogue;
mod builds;
mod cli;
mod console;
mod cost;
mod deploy_stop;
mod execution_modes;
mod hostile;
mod idempotency;
mod pipeline_runs;
mod reports;
mod resume;
mod sam;
mod secrets;
mod source;
mod stop;
mod synth;
mod template;
mod traffic_shifting;
mod util;
mod variables;
mod watch;
