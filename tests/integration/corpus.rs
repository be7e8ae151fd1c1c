//! Real buildspecs, appspecs and state machines from public repositories (`tests/corpus/`, each
//! with its repository, path and commit in `sources.json`), held to the verdict AWS gives them:
//! `baton validate` accepts every file CodeBuild or the CodeDeploy agent runs and refuses every
//! file they refuse, in words of its own, and `baton asl validate` accepts every definition
//! Step Functions runs, given the values SAM's DefinitionSubstitutions write into it. Where Baton cannot do what AWS does (ECS and Windows
//! deployment groups), the entry says so in `baton` and `why`, and Baton must refuse with a
//! message that names the limitation.

use std::path::Path;
use std::process::Command;

use serde::Deserialize;

use crate::util::repo_root;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    repo: String,
    path: String,
    commit: String,
    /// What AWS does with the file: `runs` or `refused`.
    aws: String,
    /// Why AWS refuses it, or why Baton does not do what AWS does.
    #[serde(default)]
    why: Option<String>,
    /// Baton's outcome where it differs from AWS's: `refuses`, with `why`.
    #[serde(default)]
    baton: Option<String>,
    /// Warnings `baton validate` must give: what AWS runs but ignores.
    #[serde(default)]
    warns: Vec<String>,
    /// A state machine's `NAME=VALUE` substitutions, as its template's DefinitionSubstitutions
    /// give them at deploy.
    #[serde(default)]
    substitute: Vec<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "documentation of the entry, read by people")]
    note: Option<String>,
}

/// Library wording that must never reach a user (the YAML and serde APIs' names).
const LIBRARY_WORDS: [&str; 10] = [
    "unit value",
    "Option<",
    "DuplicateKeyPolicy",
    "from_str",
    "invalid u32",
    "budget breached",
    "simple key",
    "block mapping",
    "did not find expected",
    "variant",
];

#[test]
fn baton_validate_gives_every_real_file_the_verdict_aws_gives_it() {
    let corpus = repo_root().join("tests/corpus");
    let entries: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("sources.json")).expect("sources.json")).expect("entries");
    let (mut buildspecs, mut appspecs, mut machines) = (0, 0, 0);
    let mut agree = 0;
    let mut problems = Vec::new();
    for e in &entries {
        assert!(
            e.commit.len() == 40 && e.repo.contains('/') && !e.path.is_empty(),
            "{}: repository, path and commit",
            e.file
        );
        let kind = if e.file.starts_with("buildspec/") {
            buildspecs += 1;
            "buildspec"
        } else if e.file.starts_with("asl/") {
            machines += 1;
            "statemachine"
        } else {
            appspecs += 1;
            "appspec"
        };
        let expect_accept = match (e.aws.as_str(), e.baton.as_deref()) {
            ("runs", None) => true,
            ("runs", Some("refuses")) | ("refused", None) => false,
            other => panic!("{}: unknown verdict {other:?}", e.file),
        };
        if e.aws == "refused" || e.baton.is_some() {
            assert!(e.why.is_some(), "{}: a refusal says why", e.file);
        }
        let out = validate(&corpus.join(&e.file), kind, &e.substitute);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let accepted = out.status.success();
        if accepted != expect_accept {
            problems.push(format!(
                "{} ({}): expected {}, baton {} (exit {:?})\n{stderr}",
                e.file,
                e.aws,
                if expect_accept { "accepted" } else { "refused" },
                if accepted { "accepted" } else { "refused" },
                out.status.code()
            ));
            continue;
        }
        if !accepted {
            let name = Path::new(&e.file).file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if out.status.code() != Some(2) || !stderr.contains(&format!("{name}:")) {
                problems.push(format!("{}: a refusal exits 2 naming file:line:column\n{stderr}", e.file));
            }
        }
        for warning in &e.warns {
            if !stderr.contains("warning: ") || !stderr.contains(warning.as_str()) {
                problems.push(format!("{}: expected the warning {warning:?}\n{stderr}", e.file));
            }
        }
        if let Some(word) = LIBRARY_WORDS.iter().find(|w| stderr.contains(**w)) {
            problems.push(format!("{}: library wording `{word}` reached the user\n{stderr}", e.file));
        }
        if e.baton.is_none() {
            agree += 1;
        }
    }
    assert!(
        buildspecs >= 60 && appspecs >= 25 && machines >= 22,
        "{buildspecs} buildspecs, {appspecs} appspecs, {machines} state machines"
    );
    assert!(
        problems.is_empty(),
        "{} of {} files:\n{}",
        problems.len(),
        entries.len(),
        problems.join("\n")
    );
    println!(
        "baton validate agrees with AWS on {agree} of {} real files ({buildspecs} buildspecs, {appspecs} appspecs, {machines} state machines); the rest are named limitations",
        entries.len()
    );
}

/// `baton validate --kind KIND FILE`; a state machine by `baton asl validate`, which takes the
/// substitutions a SAM template gives its definition.
fn validate(file: &Path, kind: &str, substitutions: &[String]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    if kind == "statemachine" {
        command.args(["asl", "validate"]).arg(file);
        for pair in substitutions {
            command.args(["--substitute", pair]);
        }
    } else {
        command.args(["validate", "--kind", kind]).arg(file);
    }
    command.env("NO_COLOR", "1").output().expect("run baton validate")
}
