//! The subcommands of the command groups: `baton artifacts`, `params`, `alarm` and `asl`.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(crate) enum ArtifactsCommand {
    /// Every stored version (or every version of NAME), oldest first.
    #[command(after_help = "Examples:\n  baton artifacts list --pipeline examples/hello-app\n  baton artifacts list app --json")]
    List {
        /// Only this artifact's versions, as pipeline.yml names it (e.g. app).
        name: Option<String>,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// A version's manifest: digest, size, files, provenance (commit, execution, build, inputs).
    #[command(after_help = "Examples:\n  baton artifacts show app@3\n  baton artifacts show app@3 --json | jq .provenance")]
    Show {
        /// NAME@VERSION, e.g. app@3
        artifact: String,
        /// Print the manifest as JSON (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Copy a version's files into a new or empty directory, or write them as a zip bundle
    /// (FILE.zip: reproducible, what CodeBuild and CodeDeploy read from S3), verifying its digest.
    #[command(after_help = "Examples:\n  baton artifacts get app@3 -o /tmp/app-3\n  baton artifacts get app@3 -o app-3.zip")]
    Get {
        /// NAME@VERSION
        artifact: String,
        /// A new or empty directory for the files, or a path ending in .zip for the bundle.
        #[arg(short, long, value_name = "DIR|FILE.zip")]
        output: PathBuf,
    },
    /// Remove old versions: keep the newest N of each artifact, and every version a group's
    /// last-good or running revision, a deployment in progress or a running execution needs.
    #[command(
        after_help = "Examples:\n  baton artifacts gc --dry-run         what would go, keeping 10 of each\n  baton artifacts gc --keep 3"
    )]
    Gc {
        /// How many of each artifact's newest versions to keep.
        #[arg(long, default_value_t = 10)]
        keep: usize,
        /// Say what would go, remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Files added (+), removed (-) and changed (~) from one version to another, with sizes.
    #[command(after_help = "Examples:\n  baton artifacts diff app@2 app@3\n  baton artifacts diff app@2 app@3 --json")]
    Diff {
        /// NAME@VERSION before
        before: String,
        /// NAME@VERSION after
        after: String,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ParamsCommand {
    /// Set a value. A secrets-manager secret is the whole secret string (JSON for `id:key` refs).
    #[command(
        after_help = "Examples:\n  baton params set /app/db-host db.internal\n  printf '{\"password\":\"…\"}' | baton params set prod/db --secret   (from stdin: no shell history)"
    )]
    Set {
        /// The name a buildspec's parameter-store or secrets-manager entry gives, e.g. /app/db-host.
        name: String,
        /// The value [default: read from stdin, without its final newline]
        value: Option<String>,
        /// Mark it secret (listed without a hint of its value).
        #[arg(long)]
        secret: bool,
    },
    /// List the names (never the values).
    #[command(after_help = "Examples:\n  baton params list\n  baton params list --json")]
    List {
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Remove a value.
    #[command(after_help = "Examples:\n  baton params rm /hello/db-password")]
    Rm {
        /// The name, as `baton params list` shows it.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AlarmCommand {
    /// Evaluate an alarm over datapoints, evaluation by evaluation, with CloudWatch's rules.
    #[command(
        after_help = "ALARM.json is a PutMetricAlarm request: {\"AlarmName\", \"MetricName\",\n\"Statistic\" or \"ExtendedStatistic\", \"Period\", \"EvaluationPeriods\", \"DatapointsToAlarm\", \"Threshold\",\n\"ComparisonOperator\", \"TreatMissingData\", \"EvaluationWindow\"}, or one MetricAlarm of\n`aws cloudwatch describe-alarms`.\nPOINTS.json is a list of {\"Timestamp\": RFC 3339 or epoch seconds, \"Value\": number}.\nCloudWatch evaluates an alarm every minute (every 10 s for a 10 or 30 s period) over a\nsliding window that ends at the evaluation; with a WallClockWindow, at the period's\nboundaries in UTC, or in its Timezone's fixed offset (+05:30). Without --from/--to the\nevaluations cover the datapoints; with them, that window, so a range with no datapoints at all\nis decided by the missing-data rule.\n\nExamples:\n  baton alarm evaluate --alarm errors.json --datapoints last-hour.json\n  baton alarm evaluate --alarm errors.json --datapoints none.json \\\n    --from 2026-12-01T10:00:00Z --to 2026-12-01T10:10:00Z"
    )]
    Evaluate {
        /// The alarm, as a PutMetricAlarm request (JSON).
        #[arg(long, value_name = "ALARM.json")]
        alarm: PathBuf,
        /// The datapoints to replay, in any order (JSON).
        #[arg(long, value_name = "POINTS.json")]
        datapoints: PathBuf,
        /// The state before the first evaluation: OK, ALARM or INSUFFICIENT_DATA.
        #[arg(long, default_value = "INSUFFICIENT_DATA")]
        initial_state: String,
        /// Evaluate from this time (RFC 3339 or epoch seconds) rather than the first datapoint.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// Evaluate until this time rather than until the last datapoint has left the range.
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Print `{"alarm", "evaluations": [{time, state, changed, reason}]}` instead of one line each.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AnalysisCommand {
    /// Judge a canary against its baseline, interval by interval, as a deployment's analysis does.
    #[command(
        after_help = "CONFIG.json: {\"metrics\": [{\"name\", \"direction\": \"increase\"|\"decrease\"|\"either\",\n\"tolerance\" (a ratio, default 0.1), \"critical\" (default false), \"weight\" (default 1)}],\n\"intervals\", \"thresholds\": {\"pass\", \"marginal\"} (0-100), \"significance\" (default 0.05),\n\"min_samples\" (default 5)}.\nCANARY.json and BASELINE.json: {\"METRIC\": [[samples of interval 1], [interval 2], ...], ...}.\n\nEach interval is judged on every sample so far, as a deployment judges it. Each metric is\ncompared with a Mann-Whitney U test and its effect (the relative change of the median, or of the\nmean where the medians are equal), classified PASS, HIGH, LOW or NO_DATA; the weights of the\nmetrics that did not fail make the score. A critical metric that fails, or a score under\n`marginal`, fails the canary; the last interval promotes it when every interval scored at least\n`pass`.\n\nExit codes: 0 promoted (or no decision yet), 1 failed, 2 invalid input.\n\nExamples:\n  baton analysis evaluate --config analysis.json --canary canary.json --baseline baseline.json\n  baton analysis evaluate --config analysis.json --canary c.json --baseline b.json --json"
    )]
    Evaluate {
        /// The analysis: metrics, intervals, thresholds (JSON).
        #[arg(long, value_name = "CONFIG.json")]
        config: PathBuf,
        /// The canary's samples, per metric and interval (JSON).
        #[arg(long, value_name = "CANARY.json")]
        canary: PathBuf,
        /// The baseline's samples, per metric and interval (JSON).
        #[arg(long, value_name = "BASELINE.json")]
        baseline: PathBuf,
        /// Print `{"intervals": [...], "decision"}` instead of a table per interval.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AslCommand {
    /// Execute a state machine definition and print {status, output, error, cause, history?}.
    #[command(
        after_help = "Task states are answered from a Step Functions Local mock configuration\n(StateMachines → TestCases → state → mocked response; MockedResponses → n → Return | Throw).\n\nExamples:\n  baton asl run machine.asl.json --input '{\"n\": 3}'\n  baton asl run machine.asl.json --input @input.json \\\n    --mock-config MockConfigFile.json --test-case HappyPath\n  baton asl run slow.asl.json --fast-time     a one-hour Wait takes no time\n  baton asl run sync.asl.json --type EXPRESS   as an Express state machine\n  baton asl run csv-map.asl.json --s3-dir ./s3   an ItemReader reads ./s3/BUCKET/KEY\n  baton asl run list-map.asl.json --s3-dir ./s3  s3:listObjectsV2 lists the files under ./s3/BUCKET\n  baton asl run export-map.asl.json --s3-dir ./s3  a ResultWriter writes ./s3/BUCKET/PREFIX/RUN-ID/\n  baton asl run statemachine.asl.json --mock-config MockConfigFile.json --test-case HappyPath \\\n    --substitute HelloFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:hello\n\nA SAM project's definition holds ${NAME} placeholders that DefinitionSubstitutions replace\nat deploy: give each with --substitute to run it as deployed.\n\nExit codes: 0 the execution succeeded, 1 it failed or timed out, 2 invalid definition or usage."
    )]
    Run {
        /// The state machine: an Amazon States Language definition (JSON), as deployed or with
        /// ${NAME} placeholders given by --substitute.
        definition: PathBuf,
        /// The execution input: JSON text, or @FILE, kept as written (as Step Functions keeps it)
        /// [default: {}]
        #[arg(long)]
        input: Option<String>,
        /// Replace ${NAME} with VALUE first, as SAM's DefinitionSubstitutions do at deploy
        /// (repeatable).
        #[arg(long = "substitute", value_name = "NAME=VALUE")]
        substitute: Vec<String>,
        /// Include the execution history (GetExecutionHistory events; for an Express machine,
        /// the records its CloudWatch Logs log group would hold) in the output, and each
        /// Distributed Map child execution's own under `childExecutions`.
        #[arg(long)]
        history: bool,
        /// A Step Functions Local mock configuration (MockConfigFile.json).
        #[arg(long, requires = "test_case")]
        mock_config: Option<PathBuf>,
        /// The test case of the mock configuration to run.
        #[arg(long, requires = "mock_config")]
        test_case: Option<String>,
        /// The state machine's name in the mock configuration [default: its only one]
        #[arg(long)]
        state_machine: Option<String>,
        /// Virtual time: Waits, backoffs and timeouts take no wall-clock time.
        #[arg(long)]
        fast_time: bool,
        /// A directory standing for S3, DIR/BUCKET/KEY: where a Distributed Map's ItemReader
        /// reads its items (an object's JSON, JSON Lines or CSV, or a bucket's listing) and its
        /// ResultWriter writes its results (never over a file that is there).
        #[arg(long, value_name = "DIR")]
        s3_dir: Option<PathBuf>,
        /// The state machine's type: EXPRESS refuses .sync and .waitForTaskToken tasks and
        /// activities, gives the execution an Express ARN, and its history as log records.
        #[arg(long = "type", value_name = "TYPE", value_enum, ignore_case = true, default_value = "STANDARD")]
        machine_type: super::args::MachineType,
    },
    /// Check a definition and report every problem, as ValidateStateMachineDefinition does.
    #[command(
        after_help = "Examples:\n  baton asl validate machine.json --json\n  baton asl validate machine.json --type EXPRESS\n  baton asl validate statemachine.asl.json \\\n    --substitute HelloFunctionArn=arn:aws:lambda:us-east-1:123456789012:function:hello\n\nA SAM project's definition holds ${NAME} placeholders that DefinitionSubstitutions replace\nat deploy; Step Functions refuses a Resource still holding one, so give each with --substitute.\n\nWarnings (NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC) name what Step Functions runs but\nlikely not as meant, such as a path in a field without .$; they do not fail the check."
    )]
    Validate {
        /// The state machine: an Amazon States Language definition (JSON), as deployed or with
        /// ${NAME} placeholders given by --substitute.
        definition: PathBuf,
        /// Replace ${NAME} with VALUE first, as SAM's DefinitionSubstitutions do at deploy
        /// (repeatable).
        #[arg(long = "substitute", value_name = "NAME=VALUE")]
        substitute: Vec<String>,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
        /// The state machine's type: EXPRESS also refuses .sync and .waitForTaskToken tasks and
        /// activities.
        #[arg(long = "type", value_name = "TYPE", value_enum, ignore_case = true, default_value = "STANDARD")]
        machine_type: super::args::MachineType,
    },
}
