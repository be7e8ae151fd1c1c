//! One module per command; each returns the process exit code.

pub mod alarm;
pub mod approve;
pub mod artifacts;
pub mod asl;
pub mod cost;
mod deploy_logs;
pub mod down;
pub mod history;
pub mod logs;
pub mod metrics;
pub mod params;
pub mod rollback;
pub mod run;
pub mod status;
pub mod stop;
pub mod stop_deployment;
pub mod synth;
pub mod validate;
pub mod watch;
