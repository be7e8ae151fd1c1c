//! One module per command; each returns the process exit code.

pub(crate) mod alarm;
pub(crate) mod analysis;
pub(crate) mod approve;
pub(crate) mod artifacts;
pub(crate) mod asl;
pub(crate) mod cost;
mod deploy_logs;
pub(crate) mod down;
pub(crate) mod history;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod params;
pub(crate) mod replay;
pub(crate) mod retry;
pub(crate) mod rollback;
pub(crate) mod run;
pub(crate) mod run_stack;
pub(crate) mod status;
pub(crate) mod stop;
pub(crate) mod stop_deployment;
pub(crate) mod synth;
pub(crate) mod validate;
pub(crate) mod watch;
