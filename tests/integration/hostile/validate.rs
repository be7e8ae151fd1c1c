//! What `baton validate` accepted and a run then failed on (or worse: `buildspec: /etc/passwd`
//! made it print the file). Each is now an error with its file, line and column, exit code 2.

use crate::util::Project;

/// (what, files, the file to validate, `line:column`, words of the error)
type Probe = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
    &'static str,
);

const BUILD: &str = "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n";
const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands: [make]\n";

const PROBES: &[Probe] = &[
    (
        "a composite alarm cycle of three",
        &[
            (
                "pipeline.yml",
                "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\nalarms:\n  b: { rule: \"ALARM(c)\" }\n  c: { rule: \"ALARM(d)\" }\n  d: { rule: \"ALARM(b)\" }\n",
            ),
            ("buildspec.yml", BUILDSPEC),
        ],
        "pipeline.yml",
        "7:14",
        "`b` → `c` → `d` → `b` read each other in a cycle",
    ),
    (
        "a composite rule nested past what the parser recurses (it overflowed the stack)",
        &[
            (
                "pipeline.yml",
                "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\nalarms:\n  e: { metric: E, dimensions: { S: a }, statistic: Sum, period: 60, threshold: 1, comparison: GreaterThanThreshold, evaluation_periods: 1 }\n  c: { rule: \"(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((ALARM(e))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\" }\n",
            ),
            ("buildspec.yml", BUILDSPEC),
        ],
        "pipeline.yml",
        "8:14",
        "brackets and NOTs nest more than 100 deep",
    ),
    (
        "a threshold that is not a number",
        &[
            (
                "pipeline.yml",
                "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\nalarms:\n  a:\n    metric: M\n    dimensions: { X: y }\n    statistic: Sum\n    period: 60s\n    threshold: .nan\n    comparison: GreaterThanThreshold\n    evaluation_periods: 1\n",
            ),
            ("buildspec.yml", BUILDSPEC),
        ],
        "pipeline.yml",
        "12:16",
        "threshold must be a finite number, not NaN",
    ),
    (
        "a NUL byte in a variable's value",
        &[
            (
                "pipeline.yml",
                "name: p\nvariables:\n  TOKEN: \"a\\0b\"\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n",
            ),
            ("buildspec.yml", BUILDSPEC),
        ],
        "pipeline.yml",
        "3:3",
        "the value of variable `TOKEN` holds a NUL byte",
    ),
    (
        "an empty variable name",
        &[
            (
                "pipeline.yml",
                "name: p\nvariables:\n  \"\": x\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n",
            ),
            ("buildspec.yml", BUILDSPEC),
        ],
        "pipeline.yml",
        "3:3",
        "variable name `` must be 1-128 characters",
    ),
    (
        "a variable name with `=`",
        &[
            (
                "pipeline.yml",
                "name: p\nvariables:\n  A=B: x\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build }\n",
            ),
            ("buildspec.yml", BUILDSPEC),
        ],
        "pipeline.yml",
        "3:3",
        "variable name `A=B` must be",
    ),
    (
        "a buildspec that is not in the source",
        &[("pipeline.yml", BUILD)],
        "pipeline.yml",
        "5:17",
        "buildspec `buildspec.yml` is not in the source",
    ),
    (
        "a buildspec path outside the source",
        &[(
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Make, type: build, buildspec: /etc/passwd }\n",
        )],
        "pipeline.yml",
        "5:47",
        "buildspec `/etc/passwd` is outside the source",
    ),
    (
        "an artifact base-directory outside the build",
        &[(
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  base-directory: ../../outside\n  files: ['**/*']\n",
        )],
        "buildspec.yml",
        "6:19",
        "base-directory `../../outside` leaves the build's directory",
    ),
    (
        "an appspec destination that climbs",
        &[(
            "appspec.yml",
            "version: 0.0\nos: linux\nfiles:\n  - source: app\n    destination: /../../opt/escape\n",
        )],
        "appspec.yml",
        "5:18",
        "a file destination is an absolute path on the instance, without `..`",
    ),
    (
        "a bake longer than any execution",
        &[(
            "pipeline.yml",
            "name: p\nstages:\n  - name: Ship\n    actions:\n      - { name: Deploy, type: deploy, input: source, group: g }\n      - { name: Bake, type: bake, group: g, duration: 18446744073709551325s, run_order: 2 }\ndeployment_groups:\n  g: {}\n",
        )],
        "pipeline.yml",
        "6:55",
        "is longer than a duration may be: at most 365d",
    ),
];

#[test]
fn what_a_run_would_fail_on_is_refused_with_its_place() {
    for (what, files, file, at, words) in PROBES {
        let project = Project::with_files(files);
        let out = super::baton(project.path(), &["validate", file]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(&format!("{file}:{at}: ")), "{what}: not at {at}: {stderr}");
        assert!(stderr.contains(words), "{what}: {stderr}");
        assert!(!stderr.contains("root:x:0:0"), "{what}: a file outside the project was printed");
    }
}

/// `baton alarm evaluate` with numbers past CloudWatch's bounds: 4294967295 evaluation periods
/// overflowed the evaluation range (a panic), and datapoints years apart asked for billions of
/// evaluations.
#[test]
fn alarm_evaluate_holds_its_numbers_to_cloudwatchs_bounds() {
    let alarm = |period: u64, n: u64| {
        format!(
            "{{\"AlarmName\": \"a\", \"MetricName\": \"Errors\", \"Statistic\": \"Sum\", \"Period\": {period}, \"EvaluationPeriods\": {n}, \"Threshold\": 1, \"ComparisonOperator\": \"GreaterThanThreshold\"}}"
        )
    };
    for (what, alarm, points, words) in [
        (
            "a range past a day",
            alarm(60, 4_294_967_295),
            "[{\"Timestamp\": 0, \"Value\": 1}]",
            "at most 86400 s",
        ),
        (
            "datapoints years apart",
            alarm(10, 3),
            "[{\"Timestamp\": 0, \"Value\": 1}, {\"Timestamp\": 99999999999, \"Value\": 1}]",
            "evaluate at most 60480 at once",
        ),
    ] {
        let project = Project::with_files(&[("alarm.json", &alarm), ("points.json", points)]);
        let out = super::baton(
            project.path(),
            &["alarm", "evaluate", "--alarm", "alarm.json", "--datapoints", "points.json"],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(words), "{what}: {stderr}");
    }
}
