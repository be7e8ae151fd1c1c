//! Hostile probes: what an attacker, a crash or a careless user does to Baton, each kept as a
//! test that failed before its fix. Links that lead out of trees are probed where they are
//! resolved, in baton-local (`hostile_links.rs`); the rest are here.

mod concurrency;
mod console;
mod secrets;
mod state;
mod validate;
