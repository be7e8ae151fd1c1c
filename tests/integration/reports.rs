//! Buildspec report groups, read by the local runner as CodeBuild reads them: JUnit test
//! results and Cobertura / JaCoCo coverage, into the action's result and metrics.

use crate::util::{Project, metric_values, state, states};

const PIPELINE: &str = "name: p
stages:
  - name: Test
    actions:
      - { name: Unit, type: test }
";

const JUNIT: &str = r#"<testsuite name="unit"><testcase classname="a.T" name="one" time="0.2"/><testcase classname="a.T" name="two" time="0.1"><skipped/></testcase></testsuite>"#;

const COBERTURA: &str = r#"<?xml version="1.0" ?>
<coverage line-rate="0.8" branch-rate="0.5" lines-covered="8" lines-valid="10" branches-covered="2" branches-valid="4" version="7.4">
  <packages/>
</coverage>"#;

const JACOCO: &str =
    r#"<report name="java"><counter type="LINE" missed="10" covered="30"/><counter type="BRANCH" missed="0" covered="4"/></report>"#;

/// The tools "write" their reports by copying fixtures, in the build, where the buildspec says.
fn buildspec(extra_group: &str) -> String {
    format!(
        "version: 0.2
phases:
  build:
    commands:
      - mkdir -p out/junit out/cov
      - cp fixtures/junit.xml out/junit/TEST-a.xml
      - cp fixtures/cobertura.xml out/cov/coverage.xml
      - cp fixtures/jacoco.xml out/cov/jacoco.xml
reports:
  unit:
    files: ['junit/*.xml']
    base-directory: out
  python-coverage:
    files: ['out/cov/coverage.xml']
    file-format: COBERTURAXML
  java-coverage:
    files: ['**/jacoco.xml']
    base-directory: out
    file-format: JACOCOXML
  never-written:
    files: ['nothing/*.xml']
{extra_group}"
    )
}

fn project(extra_group: &str) -> Project {
    Project::with_files(&[
        ("pipeline.yml", PIPELINE),
        ("buildspec.yml", &buildspec(extra_group)),
        ("fixtures/junit.xml", JUNIT),
        ("fixtures/cobertura.xml", COBERTURA),
        ("fixtures/jacoco.xml", JACOCO),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_and_coverage_reports_reach_the_result_and_metrics() {
    let project = project("");
    let (_, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let db = project.db();
    let st = states(&db, &record.id);
    let result = state(&st, "Test:Unit").result.clone().expect("result");

    let tests = result["reports"].as_array().expect("reports");
    assert_eq!(tests.len(), 1, "a group whose files were never written has no report: {tests:?}");
    assert_eq!(
        (
            &tests[0]["group"],
            tests[0]["passed"].as_u64(),
            tests[0]["skipped"].as_u64(),
            tests[0]["duration_ms"].as_u64()
        ),
        (&"unit".into(), Some(1), Some(1), Some(300))
    );
    let coverage: Vec<(String, u64, u64)> = result["coverage"]
        .as_array()
        .expect("coverage")
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap_or_default();
            (
                c["group"].as_str().unwrap_or_default().to_string(),
                n("lines_covered"),
                n("lines_missed"),
            )
        })
        .collect();
    assert_eq!(
        coverage,
        [("java-coverage".to_string(), 30, 10), ("python-coverage".to_string(), 8, 2)]
    );
    // Pooled over both groups: 38 of 50 lines, 6 of 8 branches.
    assert_eq!(metric_values(&db, "LineCoverage"), [76.0]);
    assert_eq!(metric_values(&db, "BranchCoverage"), [75.0]);
    assert_eq!(metric_values(&db, "TestsSkipped"), [1.0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_format_baton_cannot_read_fails_the_build_by_name() {
    let project = project("  features:\n    files: ['fixtures/junit.xml']\n    file-format: CUCUMBERJSON\n");
    let (_, record) = project.run().await;
    assert_eq!(record.error.as_deref(), Some("BuildFailed"), "{record:?}");
    let cause = record.cause.unwrap_or_default();
    assert!(
        cause.contains("report group `features`: file-format CUCUMBERJSON is not read locally"),
        "{cause}"
    );
}
