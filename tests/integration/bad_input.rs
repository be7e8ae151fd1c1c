//! One test per bad-input class: each is refused (or fails the run) with a message that says
//! where and why.

use std::path::Path;

use crate::util::{Project, state, states};

fn pipeline_error(yaml: &str) -> String {
    baton_core::parse_pipeline(Path::new("pipeline.yml"), yaml)
        .expect_err("must be rejected")
        .to_string()
}

const GOOD: &str = "name: p
stages:
  - name: Build
    actions:
      - name: Compile
        type: build
        outputs: [app]
  - name: Ship
    actions:
      - name: Deploy
        type: deploy
        input: app
        group: prod
deployment_groups:
  prod: { instances: 1 }
";

#[test]
fn the_baseline_is_valid() {
    baton_core::parse_pipeline(Path::new("pipeline.yml"), GOOD).expect("valid");
}

#[test]
fn malformed_yaml_points_at_the_spot() {
    let err = pipeline_error("name: p\nstages:\n  - name: Build\n    actions: [ {name: X, type: build\n");
    assert!(err.starts_with("pipeline.yml:"), "{err}");
    let line: u32 = err.split(':').nth(1).and_then(|l| l.parse().ok()).expect("a line number");
    assert!((4..=5).contains(&line), "{err}");
}

#[test]
fn unknown_key_is_named_with_line_and_column() {
    let err = pipeline_error(&GOOD.replace("        outputs: [app]\n", "        outputs: [app]\n        bogus: 1\n"));
    assert!(err.starts_with("pipeline.yml:8:9: unknown key `bogus`"), "{err}");
    assert!(err.contains("the keys allowed here are"), "{err}");
}

#[test]
fn dangling_artifact_reference_is_located() {
    let err = pipeline_error(&GOOD.replace("input: app", "input: ap"));
    assert!(
        err.starts_with("pipeline.yml:12:16: artifact `ap` is not produced by any earlier action"),
        "{err}"
    );
    assert!(err.contains("`app`"), "the message lists what is available: {err}");
    let err = pipeline_error(&GOOD.replace("group: prod", "group: staging"));
    assert!(err.starts_with("pipeline.yml:13:16: unknown deployment group `staging`"), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = pipeline_error(&GOOD.replace("input: app", "input: ap").replace("group: prod", "group: nope"));
    assert_eq!(err.matches("pipeline.yml:").count(), 2, "{err}");
}

#[test]
fn bad_buildspec_and_appspec_are_located() {
    use baton_core::spec::{appspec, buildspec};
    let err = buildspec::parse_buildspec(
        Path::new("buildspec.yml"),
        "version: 0.2\nphases:\n  biuld:\n    commands: [make]\n",
    )
    .expect_err("typo");
    assert!(err.to_string().starts_with("buildspec.yml:3:3: unknown key `biuld`"), "{err}");
    let err = appspec::parse_appspec(
        Path::new("appspec.yml"),
        "version: 0.0\nos: linux\nhooks:\n  AfterAllowTestTraffic:\n    - location: x.sh\n",
    )
    .expect_err("wrong platform hook");
    assert!(
        err.to_string()
            .starts_with("appspec.yml:4:3: unknown lifecycle event `AfterAllowTestTraffic` (that is an ECS hook)"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_build_command_fails_the_run_before_any_deploy() {
    let project = Project::with_files(&[
        ("pipeline.yml", GOOD),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - echo compiling\n      - test -f missing.c\n      - echo unreachable\nartifacts:\n  files: ['**/*']\n",
        ),
    ]);
    let (_, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    assert_eq!(record.error.as_deref(), Some("BuildFailed"));
    let cause = record.cause.expect("a cause");
    assert!(
        cause.contains("phase BUILD") && cause.contains("test -f missing.c") && cause.contains("exit status 1"),
        "{cause}"
    );
    let st = states(&project.db(), &record.id);
    assert!(st.iter().all(|s| s.name != "Ship:Deploy"), "nothing deploys after a failed build");
    let log = std::fs::read_dir(project.state_dir().join("builds"))
        .expect("builds")
        .next()
        .expect("one build")
        .expect("entry")
        .path()
        .join("build.log");
    let log = std::fs::read_to_string(log).expect("log");
    assert!(log.contains("compiling") && !log.contains("unreachable"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_timeout_fails_the_deployment_and_kills_the_hook() {
    let project = Project::with_files(&[
        ("pipeline.yml", GOOD),
        (
            "buildspec.yml",
            "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p out && cp -r appspec.yml hooks out/\nartifacts:\n  base-directory: out\n  files: ['**/*']\n",
        ),
        (
            "appspec.yml",
            "version: 0.0\nos: linux\nhooks:\n  BeforeInstall:\n    - location: hooks/slow.sh\n      timeout: 1\n",
        ),
        (
            "hooks/slow.sh",
            "#!/bin/sh\necho $$ > \"$BATON_INSTANCE_ROOT/hook.pid\"\nsleep 30 &\necho $! > \"$BATON_INSTANCE_ROOT/child.pid\"\nwait\n",
        ),
    ]);
    let (_, record) = project.run().await;
    assert_eq!(record.status, "FAILED");
    assert_eq!(record.error.as_deref(), Some("DeployFailed"));
    let cause = record.cause.expect("a cause");
    assert!(cause.contains("BeforeInstall") && cause.contains("timed out after 1 s"), "{cause}");
    let st = states(&project.db(), &record.id);
    assert_eq!(state(&st, "Ship:Deploy").status, "FAILED");
    // The hook and the child it started were killed with their process group.
    let root = project.state_dir().join("groups/p/prod/instance-0/root");
    for file in ["hook.pid", "child.pid"] {
        let pid: i32 = std::fs::read_to_string(root.join(file)).expect(file).trim().parse().expect("pid");
        let alive = Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_default()
                .contains(") Z ");
        assert!(!alive, "{file} ({pid}) still runs");
    }
}

#[test]
fn composite_alarms_and_percentiles_are_checked() {
    let base = "name: p
stages:
  - name: Ship
    actions:
      - { name: Deploy, type: deploy, input: source, group: prod }
deployment_groups:
  prod: { instances: 1, alarms: [any], auto_rollback: [alarm] }
alarms:
  latency: { metric: Latency, statistic: p99, period: 60, threshold: 500, comparison: GreaterThanThreshold, evaluation_periods: 3 }
  errors: { metric: Errors, statistic: Sum, period: 60, threshold: 1, comparison: GreaterThanOrEqualToThreshold, evaluation_periods: 1, dimensions: { Service: api } }
  any: { rule: 'ALARM(latency) OR ALARM(errors)' }
";
    // `latency` is used by no group directly, so its dimensions cannot default to one.
    let err = pipeline_error_at(base);
    assert!(err.contains("alarm `latency`") && err.contains("dimensions"), "{err}");
    let fixed = base.replace("evaluation_periods: 3 }", "evaluation_periods: 3, dimensions: { Service: api } }");
    let p = baton_core::parse_pipeline(Path::new("pipeline.yml"), &fixed).expect("valid");
    assert_eq!(p.alarms["latency"].statistic, baton_core::alarm::Statistic::Percentile(99.0));
    assert_eq!(p.composite_alarms["any"].rule.alarms(), ["latency", "errors"]);

    let err = pipeline_error_at(&fixed.replace("ALARM(errors)'", "ALARM(nope)'"));
    assert!(err.contains("pipeline.yml:11:") && err.contains("reads alarm `nope`"), "{err}");
    let err = pipeline_error_at(&fixed.replace("ALARM(latency) OR", "ALARM(latency) XOR"));
    assert!(err.contains("AlarmRule"), "{err}");
    let err = pipeline_error_at(&fixed.replace("statistic: p99", "statistic: p150"));
    assert!(err.contains("unknown statistic `p150`") && err.contains("tm99"), "{err}");

    // What an alarm watches is bounded as PutMetricAlarm bounds it.
    let long = "M".repeat(256);
    let err = pipeline_error_at(&fixed.replace("metric: Latency", &format!("metric: {long}")));
    assert!(
        err.contains("alarm `latency`: MetricName must be 1 to 255 characters, not 256"),
        "{err}"
    );
    let err = pipeline_error_at(&fixed.replace(
        "dimensions: { Service: api } }\n  errors",
        &format!("dimensions: {{ Service: {} }} }}\n  errors", "v".repeat(1025)),
    ));
    assert!(err.contains("a dimension's Value must be 1 to 1024 characters, not 1025"), "{err}");

    // The statistics CloudWatch defines beyond percentiles, as an alarm takes them.
    let trimmed =
        baton_core::parse_pipeline(Path::new("pipeline.yml"), &fixed.replace("statistic: p99", "statistic: tm99")).expect("a trimmed mean");
    assert_eq!(trimmed.alarms["latency"].statistic.to_string(), "tm99");
    let err = pipeline_error_at(&fixed.replace("statistic: p99", "statistic: 'TM(150:1000)'"));
    assert!(
        err.contains("pipeline.yml:9:") && err.contains("an alarm's trimmed statistic takes its bounds in percent"),
        "{err}"
    );

    // Periods: CloudWatch's 10, 20 and 30 s and minutes, and 1 or 5 s for a local bake.
    for period in ["20", "1", "5", "120"] {
        let p = baton_core::parse_pipeline(
            Path::new("pipeline.yml"),
            &fixed.replace("period: 60, threshold: 500", &format!("period: {period}, threshold: 500")),
        )
        .unwrap_or_else(|e| panic!("period {period}: {e}"));
        assert_eq!(p.alarms["latency"].period_secs.to_string(), period);
    }
    let err = pipeline_error_at(&fixed.replace("period: 60, threshold: 500", "period: 45, threshold: 500"));
    assert!(
        err.contains("pipeline.yml:9:") && err.contains("10, 20 or 30 seconds or a multiple of 60"),
        "{err}"
    );

    // AT_LEAST, as the CloudWatch user guide writes it; a count no list can reach is refused.
    let at_least = fixed.replace("'ALARM(latency) OR ALARM(errors)'", "'AT_LEAST(50%, NOT OK, (latency, errors))'");
    let p = baton_core::parse_pipeline(Path::new("pipeline.yml"), &at_least).expect("valid");
    assert_eq!(p.composite_alarms["any"].rule.alarms(), ["latency", "errors"]);
    let err = pipeline_error_at(&at_least.replace("50%", "3"));
    assert!(
        err.contains("pipeline.yml:11:") && err.contains("AT_LEAST(3, …) of 2 alarms can never hold"),
        "{err}"
    );

    // "A single composite alarm can monitor 100 underlying alarms" (user guide).
    let many: String = (0..101)
        .map(|n| format!("  m{n}: {{ metric: M, statistic: Sum, period: 60, threshold: 1, comparison: GreaterThanThreshold, evaluation_periods: 1, dimensions: {{ S: a }} }}\n"))
        .collect();
    let names: Vec<String> = (0..101).map(|n| format!("m{n}")).collect();
    let wide = format!("{fixed}{many}").replace(
        "'ALARM(latency) OR ALARM(errors)'",
        &format!("'AT_LEAST(1, ALARM, ({}))'", names.join(", ")),
    );
    let err = pipeline_error_at(&wide);
    assert!(
        err.contains("reads 101 alarms; a CloudWatch composite alarm can read at most 100"),
        "{err}"
    );
    let hundred = wide.replace(", m100)", ")");
    baton_core::parse_pipeline(Path::new("pipeline.yml"), &hundred).expect("100 alarms are allowed");
}

fn pipeline_error_at(yaml: &str) -> String {
    baton_core::parse_pipeline(Path::new("pipeline.yml"), yaml)
        .expect_err("must be rejected")
        .to_string()
}

#[test]
fn approval_fields_are_checked_per_type() {
    let err = pipeline_error(&GOOD.replace("        outputs: [app]\n", "        outputs: [app]\n        message: ship?\n"));
    assert!(
        err.starts_with("pipeline.yml:8:18: `message` applies to approval actions only"),
        "{err}"
    );
    let approval = "      - { name: Approve, type: approval, group: prod }\n      - name: Deploy\n";
    let err = pipeline_error(&GOOD.replace("      - name: Deploy\n", approval));
    assert!(err.contains("`group` applies to deploy and bake actions only"), "{err}");
    let ok = "      - { name: Approve, type: approval, message: ship?, timeout: 1h }\n      - name: Deploy\n        run_order: 2\n";
    baton_core::parse_pipeline(Path::new("pipeline.yml"), &GOOD.replace("      - name: Deploy\n", ok)).expect("an approval is valid");
}

/// The reference's annotated example is what newcomers copy; it must stay valid.
#[test]
fn the_documented_pipeline_example_is_valid() {
    let doc = std::fs::read_to_string(crate::util::repo_root().join("docs/pipeline.md")).expect("docs/pipeline.md");
    let example = doc
        .split("```yaml")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a yaml block");
    baton_core::parse_pipeline(Path::new("docs/pipeline.md"), example).expect("the documented example is valid");
}
