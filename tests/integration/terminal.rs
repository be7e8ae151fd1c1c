//! What a terminal and a pipe each see of `baton run`: a ticking display with colour on a
//! terminal, plain lines on a pipe, and a quiet end when the reader goes away.

use std::process::Command;

use crate::cli::{baton, text};
use crate::util::{Project, repo_root};

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let pipeline = format!("{hello}/pipeline.yml");
    for args in [vec!["synth", hello], vec!["validate", &pipeline], vec!["completions", "bash"]] {
        // The pipe's reader is closed before baton starts: its first write fails with EPIPE,
        // as when `| head` has read its lines and gone.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(writer)
            .output()
            .expect("baton runs");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

const SPINNER: &str = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";

/// Whether `s` holds an SGR escape (`ESC [ … m`): colour or bold.
fn has_colour(s: &str) -> bool {
    s.split("\x1b[").skip(1).any(|rest| {
        let end = rest.find(|c: char| !c.is_ascii_digit() && c != ';');
        end.is_some_and(|i| rest[i..].starts_with('m'))
    })
}

#[test]
fn a_terminal_sees_the_running_actions_tick_and_a_pipe_sees_only_the_lines() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 1\n"),
    ]);
    let dir = project.path().to_str().expect("utf-8");
    // `script` (util-linux, in every Debian) runs baton on a pseudo-terminal.
    let on_terminal = |no_color: bool| {
        let command = format!("'{}' run '{dir}'", env!("CARGO_BIN_EXE_baton"));
        let mut script = Command::new("script");
        // A terminal as a person's: CI may have no TERM, or colour switched off.
        script
            .args(["-qefc", &command, "/dev/null"])
            .env("TERM", "xterm-256color")
            .env_remove("BATON_STATE_DIR")
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE");
        if no_color {
            script.env("NO_COLOR", "1");
        }
        let tty = script.output().expect("script runs");
        assert!(tty.status.success(), "{}", text(&tty.stdout));
        text(&tty.stdout)
    };
    let coloured = on_terminal(false);
    assert!(has_colour(&coloured), "a terminal gets colour: {coloured:?}");
    let seen = on_terminal(true);
    let ticker = seen
        .split(['\r', '\n'])
        .find(|l| l.contains(|c| SPINNER.contains(c)) && l.contains("Build:Compile"))
        .unwrap_or_else(|| panic!("no ticker naming the build on the terminal: {seen:?}"));
    assert!(ticker.contains('s'), "the ticker says how long it has run: {ticker:?}");
    assert!(!has_colour(&seen), "NO_COLOR is honoured on a terminal too: {seen:?}");

    let piped = baton(&["run", dir]);
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    let all = text(&piped.stdout) + &text(&piped.stderr);
    assert!(all.contains("Build:Compile"), "{all}");
    assert!(
        !all.contains(|c| SPINNER.contains(c)) && !all.contains('\r'),
        "nothing but lines through a pipe: {all:?}"
    );
}
