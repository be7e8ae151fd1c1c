//! The bad-input catalogue: one example of every class of bad input (truncated, huge, deeply
//! nested, wrong types, unknown keys, invalid UTF-8, NUL bytes, a number past its bound, a JSON
//! number past a double) fed to every command that reads a user's file. Each must be refused
//! with exit code 2 and an error that names the file, line and column, and says what is wrong;
//! none may crash, hang or be accepted.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::Project;

/// A command that reads one file, and a good file for it.
struct EntryPoint {
    name: &'static str,
    file: &'static str,
    good: &'static str,
    /// The command's arguments; `{}` stands for the file's path, `{dir}` for its directory.
    args: &'static [&'static str],
    /// The same file, deeply nested, with a wrong type, and with an unknown key.
    nested: fn() -> String,
    wrong_type: &'static str,
    /// `None` where AWS reads past unknown keys: the CodeDeploy agent ignores an appspec's
    /// (`baton validate` warns, located; see `spec::appspec::ignored_keys`).
    unknown_key: Option<&'static str>,
    /// A number past the bound the file's format sets, where it has one.
    out_of_range: Option<&'static str>,
}

const PIPELINE: &str = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n";
const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n";
const APPSPEC: &str = "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /srv/app\n";
const MACHINE: &str = "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": { \"Type\": \"Pass\", \"End\": true }\n  }\n}\n";
const ALARM: &str = "{\n  \"AlarmName\": \"a\",\n  \"MetricName\": \"Errors\",\n  \"Statistic\": \"Sum\",\n  \"Period\": 60,\n  \"EvaluationPeriods\": 1,\n  \"Threshold\": 1,\n  \"ComparisonOperator\": \"GreaterThanThreshold\"\n}\n";

const MOCKS: &str = "{\n  \"StateMachines\": {\n    \"m\": { \"TestCases\": { \"c\": {} } }\n  },\n  \"MockedResponses\": {}\n}\n";

fn deep(open: &str, close: &str) -> String {
    format!("{}{}", open.repeat(20_000), close.repeat(20_000))
}

fn entry_points() -> Vec<EntryPoint> {
    vec![
        EntryPoint {
            name: "baton validate pipeline.yml",
            file: "pipeline.yml",
            good: PIPELINE,
            args: &["validate", "{}"],
            nested: || format!("name: p\nstages: {}\n", deep("[", "]")),
            wrong_type: "name: p\nstages: 5\n",
            unknown_key: Some("name: p\nstagez: []\n"),
            out_of_range: Some(
                "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build, timeout: 18446744073709551325s }\n",
            ),
        },
        EntryPoint {
            name: "baton run",
            file: "pipeline.yml",
            good: PIPELINE,
            args: &["run", "{dir}"],
            nested: || format!("name: p\nstages: {}\n", deep("[", "]")),
            wrong_type: "name: [p]\nstages: []\n",
            unknown_key: Some("name: p\nbogus: 1\nstages: []\n"),
            out_of_range: Some(
                "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build, timeout: 18446744073709551325s }\n",
            ),
        },
        EntryPoint {
            name: "baton validate buildspec.yml",
            file: "buildspec.yml",
            good: BUILDSPEC,
            args: &["validate", "{}"],
            nested: || format!("version: 0.2\nphases:\n  build:\n    commands: {}\n", deep("[", "]")),
            wrong_type: "version: 0.2\nphases:\n  build:\n    commands: {a: 1}\n",
            unknown_key: Some("version: 0.2\nphases:\n  biuld:\n    commands: [make]\n"),
            out_of_range: None,
        },
        EntryPoint {
            name: "baton validate appspec.yml",
            file: "appspec.yml",
            good: APPSPEC,
            args: &["validate", "{}"],
            nested: || format!("version: 0.0\nos: linux\nfiles: {}\n", deep("[", "]")),
            wrong_type: "version: 0.0\nos: linux\nfiles: 3\n",
            unknown_key: None,
            out_of_range: Some(
                "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: a.sh\n      timeout: 18446744073709551325\n",
            ),
        },
        EntryPoint {
            name: "baton validate machine.asl.json",
            file: "machine.asl.json",
            good: MACHINE,
            args: &["validate", "{}"],
            nested: || format!("{{\"StartAt\": \"A\", \"States\": {}}}", deep("[", "]")),
            wrong_type: "{\n  \"StartAt\": \"A\",\n  \"States\": []\n}\n",
            unknown_key: Some(
                "{\n  \"StartAt\": \"A\",\n  \"Bogus\": 1,\n  \"States\": { \"A\": { \"Type\": \"Pass\", \"End\": true } }\n}\n",
            ),
            out_of_range: Some(
                "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": { \"Type\": \"Wait\", \"Seconds\": 100000000, \"End\": true }\n  }\n}\n",
            ),
        },
        EntryPoint {
            name: "baton asl run",
            file: "machine.asl.json",
            good: MACHINE,
            args: &["asl", "run", "{}"],
            nested: || {
                format!(
                    "{{\"StartAt\": \"A\", \"States\": {{\"A\": {{\"Type\": \"Pass\", \"End\": true, \"Result\": {}}}}}}}",
                    deep("{\"a\":", "}")
                )
            },
            wrong_type: "{\n  \"StartAt\": 7,\n  \"States\": { \"A\": { \"Type\": \"Pass\", \"End\": true } }\n}\n",
            unknown_key: Some(
                "{\n  \"StartAt\": \"A\",\n  \"States\": { \"A\": { \"Type\": \"Pass\", \"End\": true, \"Nxt\": \"B\" } }\n}\n",
            ),
            out_of_range: Some(
                "{\n  \"StartAt\": \"A\",\n  \"States\": {\n    \"A\": { \"Type\": \"Wait\", \"Seconds\": 100000000, \"End\": true }\n  }\n}\n",
            ),
        },
        EntryPoint {
            name: "baton alarm evaluate",
            file: "alarm.json",
            good: ALARM,
            args: &["alarm", "evaluate", "--alarm", "{}", "--datapoints", "{dir}/points.json"],
            nested: || format!("{{\"AlarmName\": {}}}", deep("[", "]")),
            wrong_type: "{\n  \"AlarmName\": \"a\",\n  \"MetricName\": \"Errors\",\n  \"Period\": \"sixty\"\n}\n",
            unknown_key: Some("{\n  \"AlarmName\": \"a\",\n  \"Treshold\": 1\n}\n"),
            out_of_range: None,
        },
        EntryPoint {
            name: "baton asl run --mock-config",
            file: "mocks.json",
            good: MOCKS,
            args: &["asl", "run", "{dir}/pass.asl.json", "--mock-config", "{}", "--test-case", "c"],
            nested: || format!("{{\"StateMachines\": {}}}", deep("[", "]")),
            wrong_type: "{\n  \"StateMachines\": {\n    \"m\": 5\n  }\n}\n",
            unknown_key: Some("{\n  \"MockedResponses\": {\n    \"R\": { \"0\": { \"Retrun\": 1 } }\n  }\n}\n"),
            out_of_range: None,
        },
    ]
}

/// What serde says in its own terms ("invalid type: integer `5`, expected struct Thrown"),
/// which a user should never have to read.
const LIBRARY_WORDS: [&str; 9] = [
    "invalid type",
    "struct ",
    "unit value",
    "Option<",
    " at line ",
    "recursion limit",
    "invalid u32",
    "invalid u64",
    "invalid floating point",
];

/// (class, the bad file's bytes, a word the error must contain).
fn classes(e: &EntryPoint) -> Vec<(&'static str, Vec<u8>, &'static [&'static str])> {
    let good = e.good.as_bytes();
    let mut huge = good.to_vec();
    let filler = if e.file.ends_with(".json") { b' ' } else { b'\n' };
    huge.resize(5 << 20, filler);
    // Inside line 2, so that the position is not simply the start of the file.
    let second_line = good.iter().position(|b| *b == b'\n').map_or(0, |i| i + 3);
    let with = |bytes: &[u8]| [&good[..second_line], bytes, &good[second_line..]].concat();
    vec![
        ("truncated", good[..good.len() / 2 + 1].to_vec(), &[""][..]),
        ("huge", huge, &["MiB"][..]),
        ("deeply nested", (e.nested)().into_bytes(), &["nest"][..]),
        ("wrong types", e.wrong_type.as_bytes().to_vec(), &["expected", "must be", "not"][..]),
        ("invalid UTF-8", with(b"\xff\xfe"), &["UTF-8"][..]),
        ("NUL bytes", with(b"\0"), &["NUL"][..]),
    ]
    .into_iter()
    .chain(
        e.unknown_key
            .map(|text| ("unknown keys", text.as_bytes().to_vec(), &["unknown", "not supported"][..])),
    )
    .chain(e.file.ends_with(".json").then(|| {
        // JSON sets no bound on a number, but Baton holds one as a double.
        let text = e.good.replacen("{\n", "{\n  \"n\": 1E400,\n", 1);
        ("a number past a double", text.into_bytes(), &["out of range"][..])
    }))
    .chain(e.out_of_range.map(|text| {
        (
            "a number past its bound",
            text.as_bytes().to_vec(),
            &["longer than", "Maximum value"][..],
        )
    }))
    .collect()
}

fn baton(e: &EntryPoint, dir: &Path) -> Output {
    let file = dir.join(e.file);
    let args: Vec<String> = e
        .args
        .iter()
        .map(|a| a.replace("{dir}", &dir.to_string_lossy()).replace("{}", &file.to_string_lossy()))
        .collect();
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("BATON_STATE_DIR")
        .output()
        .expect("baton runs")
}

/// The line and column of the first `<file>:LINE:COLUMN:` in the output.
fn location(stderr: &str, file: &str) -> Option<(u32, u32)> {
    let after = stderr.split_once(&format!("{file}:"))?.1;
    let mut parts = after.splitn(3, ':');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[test]
fn every_bad_input_class_is_refused_at_its_location_by_every_entry_point() {
    let mut failures = Vec::new();
    for e in entry_points() {
        let project = Project::with_files(&[
            ("buildspec.yml", BUILDSPEC.replace("make", "true").as_str()),
            ("points.json", "[{\"Timestamp\": 0, \"Value\": 1}]"),
            ("pass.asl.json", MACHINE),
        ]);
        std::fs::write(project.path().join(e.file), e.good).expect("write");
        let good = baton(&e, project.path());
        assert!(
            good.status.success(),
            "{}: the good file is refused: {}",
            e.name,
            String::from_utf8_lossy(&good.stderr)
        );
        for (class, bytes, words) in classes(&e) {
            std::fs::write(project.path().join(e.file), &bytes).expect("write");
            let out = baton(&e, project.path());
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().next().unwrap_or_default();
            let problem = if out.status.code() != Some(2) {
                Some(format!("exit {:?}", out.status.code()))
            } else if !location(first, e.file).is_some_and(|(line, column)| line >= 1 && column >= 1) {
                Some("no file:line:column".to_string())
            } else if !words.iter().any(|w| first.contains(w)) {
                Some(format!("does not say {words:?}"))
            } else if let Some(word) = LIBRARY_WORDS.iter().find(|w| first.contains(*w)) {
                Some(format!("speaks the parser library's words ({word:?})"))
            } else if stderr.len() > 4096 {
                Some(format!("a {} byte error", stderr.len()))
            } else {
                None
            };
            if let Some(p) = problem {
                failures.push(format!(
                    "{} / {class}: {p}: {}",
                    e.name,
                    first.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} refusals fall short:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
