//! The command line: every command, its flags, and the help that teaches them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use args::parse_var;
pub(crate) use args::{FileKind, MachineType, PipelineFlag, Project};
pub(crate) use subcommands::{AlarmCommand, AnalysisCommand, ArtifactsCommand, AslCommand, ParamsCommand};

mod args;
#[cfg(test)]
mod help_snapshots;
mod remote;
mod subcommands;

/// The commands that take `--stack`, in words, for its help and for the refusal of the others
/// (`Command::takes_stack` says which they are).
macro_rules! stack_commands {
    () => {
        "run, history, status, logs, replay, cost, metrics, approve, stop, retry, rollback, stop-deployment and ui"
    };
}
pub(crate) use stack_commands;

#[derive(Debug, Parser)]
#[command(
    name = "baton",
    version,
    about = "Your own CodePipeline: pipeline.yml compiled to one state machine, run on this machine or on AWS",
    long_about = "Baton compiles a pipeline.yml (stages of build, test, deploy and bake actions) into one \
Amazon States Language state machine, and runs it here with embedded stand-ins for every AWS \
service: a filesystem artifact store, a buildspec runner, local deployment groups, and SQLite \
for state, metrics and alarms.",
    after_help = "Start here:\n  baton run examples/hello-app                 run the example pipeline end to end\n  baton status --pipeline examples/hello-app    what the last run did, action by action\n  baton down examples/hello-app                stop the services the run deployed\n\nExit codes, the same for every command:\n  0  done: the execution, deployment or rollback succeeded\n  1  it failed: the pipeline (rolled back or not), a deployment, a rollback, or an error\n     Baton could not get past\n  2  invalid input or usage: a bad file (with its line and column), an unknown execution,\n     group or flag\n  3  superseded: a newer execution overtook this one (SUPERSEDED mode)\n  4  stopped: baton stop, or Ctrl-C (a second Ctrl-C quits at once with 130)"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Where runs, artifacts and deployments are kept [default: .baton/ beside pipeline.yml]
    #[arg(long, env = "BATON_STATE_DIR", hide_env_values = true, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[arg(
        long,
        env = "BATON_STACK",
        hide_env_values = true,
        global = true,
        value_name = "NAME",
        help = concat!(
            "Act on a deployed stack (`sam deploy --stack-name NAME`) instead of this machine's state: ",
            stack_commands!(),
            ". AWS credentials, region and endpoint come from the standard AWS configuration. Needs a baton built with `--features aws`"
        )
    )]
    pub stack: Option<String>,
    #[arg(
        long,
        env = "BATON_STATE_MACHINE",
        hide_env_values = true,
        global = true,
        value_name = "ARN",
        conflicts_with = "stack",
        help = "The same as --stack, with the deployed pipeline's state machine named by its ARN where its stack is not at hand: the rest is read from the functions it invokes"
    )]
    pub state_machine: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the pipeline once, end to end, with live progress.
    #[command(
        after_help = "Examples:\n  baton run examples/hello-app\n  baton run --var LOG_LEVEL=debug --source-revision v1.2.0\n  baton run --working-tree     build uncommitted files too\n  baton run --source-revision 3f9a1c0 --stack hello-baton     start one on AWS and follow it"
    )]
    Run {
        #[command(flatten)]
        project: Project,
        /// Build this commit, branch or tag instead of HEAD (git sources).
        #[arg(long, value_name = "REV")]
        source_revision: Option<String>,
        /// Override a declared pipeline variable for this run (repeatable; undeclared names are refused).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
        /// Snapshot the source directory as it is, even inside a git work tree.
        #[arg(long)]
        working_tree: bool,
        /// Print the final execution record as JSON instead of the progress display.
        #[arg(long)]
        json: bool,
        /// Stream the build logs, each line prefixed with its action, beside the progress.
        #[arg(long, conflicts_with = "json")]
        logs: bool,
    },
    /// Start an execution for every push and schedule the pipeline's triggers accept, until Ctrl-C.
    #[command(
        after_help = "Follows the git repository of the pipeline's source: each branch or tag update that passes a
`push` trigger's filters (branches, tags, paths) starts an execution at the new commit, within
milliseconds of the ref moving (inotify, no polling); each `schedule` trigger starts one when it
comes due. Without `triggers` in pipeline.yml, pushes to the checked-out branch count. Executions
run concurrently, ordered by the pipeline's execution_mode; a push that starts nothing says why.

Examples:
  baton watch examples/hello-app
  baton watch --var LOG_LEVEL=debug
  git commit -m change && git update-ref refs/heads/main HEAD   (in another terminal)"
    )]
    Watch {
        #[command(flatten)]
        project: Project,
        /// Set a pipeline variable for every execution it starts (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
        vars: Vec<(String, String)>,
    },
    /// Print the pipeline's state machine (Amazon States Language), or write its whole SAM application.
    #[command(
        after_help = "The state machine keeps ${SourceFunctionArn}-style placeholders that SAM fills in through
DefinitionSubstitutions.

With --sam DIR, Baton writes the SAM application that deploys the pipeline on AWS: DIR/template.yaml
(a CodeDeploy deployment group per group, a CloudWatch alarm per alarm, a rule per schedule, the
dashboard, Baton's functions and state machine, all named after the pipeline), the state machine
in DIR/statemachine/pipeline.asl.json and, when neither DIR nor the directory above it has one,
DIR/samconfig.toml. Each file is
written atomically; the same pipeline gives the same bytes. What AWS cannot carry is an error,
what it carries differently a warning, each with its place in pipeline.yml. Then, from DIR:
`sam build && sam deploy --guided` (guide: docs/deploy-aws.md).

Examples:
  baton synth examples/hello-app -o infra/statemachine/pipeline.asl.json
  baton synth --sam infra examples/hello-app
  baton synth --sam deploy/aws . --functions ../baton/functions"
    )]
    Synth {
        #[command(flatten)]
        project: Project,
        /// Write to this file (atomically) instead of stdout.
        #[arg(short, long, conflicts_with = "sam")]
        output: Option<PathBuf>,
        /// Write the pipeline's SAM application into this directory.
        #[arg(long, value_name = "DIR")]
        sam: Option<PathBuf>,
        /// Where Baton's function crates are (the `functions/` of a Baton checkout) [default: this
        /// baton's own source tree].
        #[arg(long, value_name = "DIR", requires = "sam")]
        functions: Option<PathBuf>,
    },
    /// Check pipeline.yml, buildspec.yml, appspec.yml and state machine files; report every problem with its line and column.
    #[command(
        after_help = "The kind of each file is taken from its name (buildspec*, appspec*, *.json is a state machine,\nanything else a pipeline) unless --kind says otherwise. Checking a pipeline also checks the\nbuildspecs it names, and the appspec of each server deployment group where the source holds it.\n\nExamples:\n  baton validate                     the pipeline in this directory, its buildspecs and appspec\n  baton validate examples/hello-app/pipeline.yml\n  baton validate machine.asl.json appspec.yml\n  baton validate ci/build.yaml --kind buildspec"
    )]
    Validate {
        /// Files to check; a directory means its pipeline.yml [default: the pipeline here].
        #[arg(default_value = ".")]
        files: Vec<PathBuf>,
        /// Read every file as this kind, whatever its name.
        #[arg(long, value_enum)]
        kind: Option<FileKind>,
    },
    /// List past executions, newest first.
    #[command(
        after_help = "Examples:\n  baton history examples/hello-app\n  baton history --status FAILED --search staging-health     failures the alarm caused\n  baton history --search 3fa2c1e                            the executions of a commit\n  baton history --limit 100 --json | jq -r '.[] | select(.status == \"FAILED\") | .id'"
    )]
    History {
        #[command(flatten)]
        project: Project,
        /// How many executions to list (after filtering).
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Only executions that ended so (or still run).
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(baton_local::PipelineStatus::ALL.map(baton_local::PipelineStatus::as_str)))]
        status: Option<String>,
        /// Only executions whose id, commit (id, subject), branch, trigger, error or cause contain every one of these words (any case).
        #[arg(long, value_name = "WORDS")]
        search: Option<String>,
        /// One JSON array of execution records.
        #[arg(long)]
        json: bool,
    },
    /// Show one execution action by action: status, duration, artifact versions, rollbacks.
    #[command(
        after_help = "Examples:\n  baton status --pipeline examples/hello-app        the latest execution\n  baton status 20261126-101500                     one execution, by id or unique prefix\n  baton status --json | jq '.deployments[].instances'\n  baton status --stack hello-pipeline               the newest execution on AWS (Step Functions)"
    )]
    Status {
        /// An execution id (or a unique prefix of one) [default: the latest]
        execution: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Run a finished execution again in the local interpreter, each task answered with what it
    /// returned, and show where the two runs differ.
    #[command(
        after_help = "Reads the execution's definition and history (locally, or from Step Functions with --stack) and\nruns the same definition on the same input here, every Task answered with the result or error it\nrecorded, Wait states instant. Then compares the runs state by state: what each state received and\nproduced, and how each run ended. Agreement means this interpreter reads the definition as the\nrecording executor did; a divergence names the first state where they part and the JSON path that\ndiffers. Exit status: 0 when they agree, 1 when they diverge.\n\nExamples:\n  baton replay 20261126-101500                           a local execution\n  baton replay 20261204-090000-3f9a1c07 --stack hello-baton   an execution on AWS\n  baton replay --stack hello-baton --json \\\n    arn:aws:states:us-east-1:123456789012:execution:hello-baton-pipeline:20261204-090000"
    )]
    Replay {
        /// An execution id (or, with --stack, its ARN)
        execution: String,
        #[command(flatten)]
        pipeline: PipelineFlag,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Estimate what one execution would cost to orchestrate on AWS, beside CodePipeline V2.
    #[command(
        after_help = "Counts what the execution did in the units AWS bills (state transitions, Lambda invocations at\neach function's memory in infra/template.yaml, S3 requests, DynamoDB writes, Scheduler timers)\nand prices them, printing every price used. CodePipeline V2 charges $0.002 per action minute,\neach action rounded up to a minute, manual approvals free. Build minutes and deployment targets\ncost the same either way and are left out.\n\nExamples:\n  baton cost                     the latest execution\n  baton cost 20261126-101500 --invocation-ms 250 --json\n  baton cost --stack hello-baton     the newest execution on AWS, from its Step Functions history"
    )]
    Cost {
        /// An execution id (or a unique prefix of one) [default: the latest]
        execution: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
        /// Billed duration assumed per Lambda invocation (handlers start work and return).
        #[arg(long, default_value_t = 100, value_name = "MS")]
        invocation_ms: u64,
        /// Print JSON instead of text (stable field names, for scripts).
        #[arg(long)]
        json: bool,
    },
    /// Approve (or reject) a manual approval that a running execution waits on.
    #[command(
        after_help = "The execution must still be running: `baton run` waits at the approval and prints the command to\nanswer it. Rejecting fails the execution with ApprovalRejected.\n\nExamples:\n  baton approve 20261126-101500-3fa2c1 --comment \"staging looks good\"\n  baton approve 20261126-101500 --action Release:Approve --reject --comment \"wait for the freeze\""
    )]
    Approve {
        /// The execution id (or a unique prefix of one).
        execution: String,
        /// Which approval, when the execution waits for several: `Stage:Action` or `Action`.
        #[arg(long)]
        action: Option<String>,
        /// Reject instead of approve.
        #[arg(long)]
        reject: bool,
        /// Why; recorded in the execution's history.
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
    },
    /// Stop a running execution: it ends ABORTED, after its actions in progress or at once.
    #[command(
        after_help = "As CodePipeline's StopPipelineExecution. By default (stop and wait) the actions in progress\nfinish and nothing starts after them; an unanswered approval and a stage not yet entered end at\nonce. With --abandon (Step Functions' StopExecution) the execution ends where it stands: its\nbuilds are stopped (SIGTERM, then SIGKILL after 3 s) and end STOPPED. A deployment in flight\nfinishes either way (`baton stop-deployment` stops it). Ctrl-C in `baton run` abandons.\n\nExamples:\n  baton stop 20261126-101500-3fa2c1\n  baton stop 20261126-101500 --abandon --reason \"wrong branch\""
    )]
    Stop {
        /// The execution id (or a unique prefix of one).
        execution: String,
        /// Why; recorded as the cause of the abort.
        #[arg(long)]
        reason: Option<String>,
        /// Stop the actions in progress too (builds end STOPPED), rather than let them finish.
        #[arg(long)]
        abandon: bool,
        #[command(flatten)]
        pipeline: PipelineFlag,
    },
    /// Serve the console: the pipeline's graph with live status, executions, approvals, rollbacks.
    #[command(
        after_help = "The console listens on 127.0.0.1 and prints its address with this session's token; open that
address (the token becomes a cookie). Changes (approve, reject, roll back) need the token and must
come from the console's own page. It reads the same state directory as `baton status`, so it shows
runs started anywhere on this machine, live. With --stack it serves a deployed stack instead: the
same views from Step Functions, CodeBuild, CodeDeploy and CloudWatch (checked every 5 s), approvals
answered as your AWS identity, stops and retries as Step Functions' StopExecution and
RedriveExecution.

Examples:
  baton ui --pipeline examples/hello-app
  baton ui --port 0                                  any free port
  baton ui --stack hello-prod                        a deployed stack (a build with --features aws)
  baton ui --bind 0.0.0.0 --token \"$(openssl rand -hex 16)\"   reachable from other machines
  baton ui --bind 0.0.0.0 --token \"$TOKEN\" --host ci.example.com   and by that name"
    )]
    Ui {
        /// The TCP port (0: any free one).
        #[arg(long, default_value_t = 8642)]
        port: u16,
        /// Listen on this address instead of 127.0.0.1; requires --token.
        #[arg(long, value_name = "ADDR")]
        bind: Option<std::net::IpAddr>,
        /// The session token: 16+ characters of A-Z a-z 0-9 - . _ ~, not guessable [default: a
        /// new random one].
        #[arg(long, env = "BATON_UI_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Another name this console is reached by (a DNS name of this machine, a proxy's);
        /// repeat for several. Off loopback, addresses and the machine's host name are accepted.
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
    },
    /// Stop a deployment in progress, with or without a rollback, as CodeDeploy's StopDeployment.
    #[command(
        name = "stop-deployment",
        after_help = "The deployment stops at its next lifecycle event, batch or traffic step (a hook script already
running finishes or times out first), skips the rest and ends Stopped; a canary or linear
deployment sends all traffic back to the original instances. With a rollback, a new deployment
returns the group to its last-good revision. Neither flag: the group's `auto_rollback` decides
(`stop` in the list rolls back, as CodeDeploy's DEPLOYMENT_STOP_ON_REQUEST). The execution
waiting for the deployment fails with DeploymentStopped; its rollback path leaves the group to
this decision. `baton status` shows the deployment ids.

Examples:
  baton stop-deployment d-4F2A91C07
  baton stop-deployment d-4F2A91C07 --rollback --reason \"p99 latency doubled\"
  baton stop-deployment d-4F2A91C07 --no-rollback"
    )]
    StopDeployment {
        /// The deployment id (d-…), as `baton status` shows it.
        deployment: String,
        /// Roll the group back to its last-good revision afterwards.
        #[arg(long, conflicts_with = "no_rollback")]
        rollback: bool,
        /// Leave the group as the stop finds it.
        #[arg(long)]
        no_rollback: bool,
        /// Why; recorded in the deployment's reason.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
    },
    /// Carry on executions whose `baton run` died (killed, or its machine stopped).
    #[command(
        after_help = "An execution whose runner died is marked ABORTED (Baton.RunnerLost) by the next baton command.
Resuming it continues from the stage it was in, in the same attempt: the actions that had
succeeded are not run again, and the one in flight is looked up by its idempotency key, so a
build or deployment that had finished is not run twice. `baton run` resumes them too, first.

Examples:
  baton resume                       every interrupted execution of the pipeline in .
  baton resume 20261126-101500 --pipeline examples/hello-app"
    )]
    Resume {
        /// The execution id (or a unique prefix of one) [default: every interrupted execution]
        execution: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
        /// Print the final execution record as JSON instead of the progress display.
        #[arg(long)]
        json: bool,
    },
    /// Run a failed execution's failed stage again, in a new attempt of the same execution.
    #[command(
        after_help = "As Step Functions' RedriveExecution: the execution keeps its id and history, which continues
after an ExecutionRedriven event. It starts again at the gate of the stage that failed, so it
queues for the stage like any execution; the stages before it are not run again. By default
every action of that stage runs again; with --failed-only the ones that succeeded keep their
results. Failed, aborted (baton stop) and timed-out executions can be retried.

Examples:
  baton retry 20261126-101500
  baton retry 20261126-101500 --failed-only --pipeline examples/hello-app"
    )]
    Retry {
        /// The execution id (or a unique prefix of one).
        execution: String,
        /// Run only the actions of the stage that did not succeed.
        #[arg(long)]
        failed_only: bool,
        #[command(flatten)]
        pipeline: PipelineFlag,
        /// Print the final execution record as JSON instead of the progress display.
        #[arg(long)]
        json: bool,
    },
    /// Put a deployment group back on its last-good revision, or on any stored version.
    #[command(
        after_help = "A rollback is a new deployment of the chosen revision, paced by the group's configuration.\n\nExamples:\n  baton rollback staging              the group's last-good revision (the last to pass its bake)\n  baton rollback staging --to app@3   any stored version"
    )]
    Rollback {
        /// The deployment group.
        group: String,
        /// The artifact version to deploy: NAME@VERSION [default: the group's last-good]
        #[arg(long, value_name = "NAME@VERSION")]
        to: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
    },
    /// Print the build logs of an execution, or follow them live; for a deploy action, its
    /// deployments' lifecycle events and hook output, per instance.
    #[command(
        after_help = "Examples:\n  baton logs                            the latest execution's builds\n  baton logs 20261126-101500            every build of the execution, one after another\n  baton logs 20261126-101500 Compile    one action's build (`Stage:Action` or `Action`)\n  baton logs 20261126-101500 Deploy     the deployment and its rollback, hook by hook, per instance\n  baton logs 20261126-101500 --follow   stream the builds as they run, until the execution ends\n  baton logs 20261204-090000-3f9a1c07 Compile --stack hello-baton   a build's CodeBuild log on AWS"
    )]
    Logs {
        /// The execution id (or a unique prefix of one) [default: the latest, as for `status`].
        execution: Option<String>,
        /// Only this action's build: `Stage:Action` or `Action`.
        action: Option<String>,
        /// Keep printing as the builds write, until the execution ends.
        #[arg(long, short)]
        follow: bool,
        #[command(flatten)]
        pipeline: PipelineFlag,
    },
    /// Stop every service the pipeline's local deployment groups run.
    #[command(
        after_help = "Examples:\n  baton down examples/hello-app\n  baton down                        the pipeline in the current directory"
    )]
    Down {
        #[command(flatten)]
        project: Project,
    },
    /// Print the shell completion script for bash, zsh, fish, elvish or PowerShell.
    #[command(
        after_help = "Examples:\n  baton completions bash > ~/.local/share/bash-completion/completions/baton\n  baton completions zsh > \"${fpath[1]}/_baton\"\n  baton completions fish > ~/.config/fish/completions/baton.fish"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Query the pipeline's metrics (`Baton` namespace) or its DORA figures (`baton metrics dora`).
    #[command(
        after_help = "Examples:\n  baton metrics --pipeline examples/hello-app                 every series\n  baton metrics ActionDuration --dimension Stage=Build --statistic p90 --period 1h\n  baton metrics dora --since 30d"
    )]
    Metrics {
        /// A metric name, or `dora` for DORA's four key metrics [default: list the series]
        name: Option<String>,
        #[command(flatten)]
        pipeline: PipelineFlag,
        /// Only series with this dimension (repeatable).
        #[arg(long = "dimension", value_name = "NAME=VALUE", value_parser = parse_var)]
        dimensions: Vec<(String, String)>,
        /// SampleCount, Sum, Average, Minimum, Maximum, a percentile (p99), a trimmed statistic (tm99,
        /// wm99, tc99, ts99, TM(10%:90%)), IQM or a percentile rank (PR(:300)).
        #[arg(long, default_value = "Average")]
        statistic: String,
        /// The width of each aggregated period: 1s, 10s, 1m, 1h, …
        #[arg(long, default_value = "1m")]
        period: String,
        /// How far back [default: 1h; 30d for dora]
        #[arg(long)]
        since: Option<String>,
        /// Print the datapoints (or DORA figures) as JSON instead of a table and chart.
        #[arg(long)]
        json: bool,
    },
    /// The stored, immutable artifact versions: list, show a manifest, get the files, diff two.
    #[command(
        after_help = "Examples:\n  baton artifacts list app\n  baton artifacts show app@3\n  baton artifacts get app@3 -o /tmp/app-3\n  baton artifacts diff app@2 app@3"
    )]
    Artifacts {
        #[command(subcommand)]
        command: ArtifactsCommand,
        /// The pipeline: a pipeline.yml, or a directory that holds one.
        #[arg(long, default_value = ".", global = true)]
        pipeline: PathBuf,
    },
    /// Local Parameter Store / Secrets Manager values for buildspecs' `env.parameter-store` and
    /// `env.secrets-manager`; secret values are masked in build logs.
    #[command(after_help = "Examples:\n  baton params set /app/db-host db.internal\n  baton params list\n  baton params rm /app/db-host")]
    Params {
        #[command(subcommand)]
        command: ParamsCommand,
        /// The pipeline: a pipeline.yml, or a directory that holds one.
        #[arg(long, default_value = ".", global = true)]
        pipeline: PathBuf,
    },
    /// Dry-run CloudWatch alarms against recorded data before trusting them with rollbacks.
    #[command(after_help = "Examples:\n  baton alarm evaluate --alarm errors.json --datapoints last-hour.json")]
    Alarm {
        #[command(subcommand)]
        command: AlarmCommand,
    },
    /// Replay the canary judge on recorded samples: the decision a deployment would have taken.
    #[command(after_help = "Examples:\n  baton analysis evaluate --config analysis.json --canary canary.json --baseline baseline.json")]
    Analysis {
        #[command(subcommand)]
        command: AnalysisCommand,
    },
    /// Run or check any Amazon States Language state machine, as Step Functions would.
    #[command(after_help = "Examples:\n  baton asl run machine.asl.json --input '{\"n\": 3}'\n  baton asl validate machine.asl.json")]
    Asl {
        #[command(subcommand)]
        command: AslCommand,
    },
}
