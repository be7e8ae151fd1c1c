//! How executions and processes talk: the in-process event bus and parked tasks, each run's
//! inbox socket, and the stage lanes of the execution modes.

pub mod bus;
pub mod inbox;
pub mod lanes;
