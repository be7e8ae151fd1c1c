//! `baton replay` on a local execution: the recorded run and its replay agree; a history altered
//! where a build's result is recorded diverges at that build, and the exit status says so.

use crate::cli::text;
use crate::util::Project;

const PIPELINE: &str = "name: p
stages:
  - name: Build
    actions:
      - { name: Compile, type: build }
  - name: Test
    actions:
      - { name: Unit, type: test, buildspec: test.yml }
";

#[test]
fn a_local_execution_replays_in_agreement_and_an_altered_history_diverges_at_the_altered_build() {
    let project = Project::with_files(&[
        ("pipeline.yml", PIPELINE),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo compiled\n",
        ),
        ("test.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - 'false'\n"),
    ]);
    let run = project.baton(&["run"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stdout));
    let history = project.baton(&["history", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&history.stdout).expect("history JSON");
    let id = rows[0]["id"].as_str().expect("id").to_string();

    let agreed = project.baton(&["replay", &id]);
    assert_eq!(agreed.status.code(), Some(0), "{}{}", text(&agreed.stdout), text(&agreed.stderr));
    let shown = text(&agreed.stdout);
    assert!(shown.contains("The runs agree"), "{shown}");
    assert!(shown.contains("both ended ExecutionFailed (BuildFailed"), "{shown}");

    // The recorded result of Build:Compile says another build id: the replay answers the task
    // with it, and the state's recorded output no longer matches.
    let db = project.db();
    let changed = db
        .lock()
        .execute(
            r#"UPDATE history SET event = replace(event, '\"build_id\":\"', '\"build_id\":\"altered-')
               WHERE id = (SELECT min(id) FROM history WHERE execution_id = ?1
                           AND event LIKE '%"TaskSucceeded"%' AND event LIKE '%build_id%')"#,
            [&id],
        )
        .expect("history altered");
    assert_eq!(changed, 1, "one recorded task result was altered");
    let altered: i64 = db
        .lock()
        .query_row("SELECT count(*) FROM history WHERE event LIKE '%altered-%'", [], |r| r.get(0))
        .expect("count");
    assert_eq!(altered, 1);
    let diverged = project.baton(&["replay", &id, "--json"]);
    assert_eq!(
        diverged.status.code(),
        Some(1),
        "{}{}",
        text(&diverged.stdout),
        text(&diverged.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&diverged.stdout).expect("replay --json");
    assert_eq!(doc["agrees"], false, "{doc}");
    assert_eq!(doc["first_divergence"]["state"], "Build:Compile", "{doc}");
    assert_eq!(doc["first_divergence"]["difference"]["kind"], "output", "{doc}");
    let text_out = text(&project.baton(&["replay", &id]).stdout);
    assert!(text_out.contains("The runs part at Build:Compile (recorded event #"), "{text_out}");
}

#[test]
fn replay_refuses_an_execution_that_is_not_there() {
    let project = Project::with_files(&[("pipeline.yml", PIPELINE)]);
    let out = project.baton(&["replay", "20261204-nope"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no executions yet"), "{}", text(&out.stderr));
}
