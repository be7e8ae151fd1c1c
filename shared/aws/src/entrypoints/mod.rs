//! What the Lambda functions run, kept apart from the adapters they wire together: each
//! function's handler is built once at init from its environment and served on the Lambda runtime.
//!
//! - [`config`]: a function's settings from its environment, read once at init.
//! - [`functions`]: the source, build, deploy, approval, bake and rollback functions' handlers.
//! - [`events`]: the events function's handler: finished work answers waiting tasks.
//! - [`gate`]: the gate function's handler: stage gates, and executions leaving their stage.
//! - [`trigger`]: the trigger function's handler: an EventBridge event in, an execution out.
//! - [`lambda`]: serving a handler on the Lambda runtime, errors as stable `errorType`s.

pub mod config;
pub mod events;
pub mod functions;
pub mod gate;
pub mod lambda;
pub mod trigger;
