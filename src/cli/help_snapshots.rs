//! Help snapshots: every command's `--help`, as users read it, kept in
//! `tests/snapshots/help/`. A change to the help shows in review as a change to those files;
//! `BATON_BLESS=1 cargo test --bin baton help` writes them anew.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use clap::CommandFactory;

use super::Cli;

/// The width clap wraps help at on a wide terminal (its default `max_term_width`).
const HELP_WIDTH: usize = 100;

/// Every command and subcommand with its path (`baton artifacts list`).
fn every_command() -> Vec<(String, clap::Command)> {
    fn walk(path: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        out.push((path.to_string(), cmd.clone()));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(&format!("{path} {}", sub.get_name()), sub, out);
        }
    }
    let mut root = Cli::command().term_width(HELP_WIDTH);
    root.build();
    let mut out = Vec::new();
    walk("baton", &root, &mut out);
    out
}

#[test]
fn help_snapshots() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/help");
    let bless = std::env::var_os("BATON_BLESS").is_some();
    let mut stale = Vec::new();
    let mut expected: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for (path, mut cmd) in every_command() {
        let file = format!("{}.txt", path.replace(' ', "_"));
        let help = cmd.render_long_help().to_string();
        expected.insert(file.clone());
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(&file), &help).unwrap();
        } else if std::fs::read_to_string(dir.join(&file)).ok().as_deref() != Some(help.as_str()) {
            stale.push(path);
        }
    }
    let on_disk: std::collections::BTreeSet<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let orphans: Vec<_> = on_disk.difference(&expected).collect();
    assert!(
        stale.is_empty() && orphans.is_empty(),
        "help changed for {stale:?}, snapshots of no command {orphans:?}: review and run `BATON_BLESS=1 cargo test --bin baton help`"
    );
}

/// Every command a user runs (not the groups, whose help lists their subcommands) shows
/// examples.
#[test]
fn every_command_has_examples() {
    let missing: Vec<String> = every_command()
        .into_iter()
        .filter(|(_, cmd)| !cmd.has_subcommands())
        .filter(|(_, cmd)| {
            let text = cmd.get_after_help().map(ToString::to_string).unwrap_or_default();
            !text.contains("Example")
        })
        .map(|(path, _)| path)
        .collect();
    assert!(missing.is_empty(), "no examples in the help of {missing:?}");
}

/// Every argument and option says what it is: `--help` teaches, and a bare `<DEFINITION>`
/// teaches nothing.
#[test]
fn every_argument_says_what_it_is() {
    let silent: Vec<String> = every_command()
        .into_iter()
        .flat_map(|(path, cmd)| {
            cmd.get_arguments()
                .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
                .filter(|a| a.get_help().is_none() && a.get_long_help().is_none())
                .map(|a| format!("{path} <{}>", a.get_id()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(silent.is_empty(), "no help for {silent:?}");
}

/// Every line written by hand after a command's help fits the width it is shown at: clap
/// breaks a longer line without its indentation, so an exit code's or an example's second half
/// would start at the margin.
#[test]
fn hand_written_help_fits_the_width() {
    let long: Vec<String> = every_command()
        .into_iter()
        .flat_map(|(path, cmd)| {
            let text = cmd.get_after_help().map(ToString::to_string).unwrap_or_default();
            text.lines()
                .filter(|line| line.chars().count() > HELP_WIDTH)
                .map(|line| format!("{path}: {line}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(long.is_empty(), "wider than {HELP_WIDTH} columns: {long:#?}");
}
