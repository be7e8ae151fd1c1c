//! Hostile probes: what an attacker, a crash or a careless user does to Baton, each kept as a
//! test that failed before its fix. Links that lead out of trees are probed where they are
//! resolved, in baton-local (`hostile_links.rs`); the rest are here.

mod concurrency;
mod console;
mod secrets;
mod state;
mod validate;

/// `baton ARGS` run in `dir`, without the caller's state directory or colours.
fn baton(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("BATON_STATE_DIR")
        .output()
        .expect("baton runs")
}
