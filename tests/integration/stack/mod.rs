//! `--stack NAME` from the command line: the stack is found through CloudFormation with the
//! standard AWS configuration, and the command acts on its executions. The stack (outputs only)
//! and its state machine are made in a moto server on 127.0.0.1 with boto3 from the test venv.

use std::process::{Command, Output};

use crate::cli::text;
use crate::util::repo_root;

#[cfg(feature = "aws")]
mod console;
#[cfg(feature = "aws")]
mod dora;
#[cfg(feature = "aws")]
mod errors;
#[cfg(feature = "aws")]
mod state_machine;

#[cfg(feature = "aws")]
const EXECUTION: &str = "20261203-101500-aaaaaaaa";

fn baton(args: &[&str], endpoint: Option<&str>) -> Output {
    command(args, endpoint).output().expect("baton runs")
}

/// `baton ARGS` with the standard AWS configuration pointed at `endpoint` and nothing else.
fn command(args: &[&str], endpoint: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env("USER", "ada")
        // The standard AWS configuration, pointed at the test's server and nothing else.
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("BATON_STATE_DIR")
        .env_remove("BATON_STACK")
        .env_remove("BATON_STATE_MACHINE");
    match endpoint {
        Some(url) => command.env("AWS_ENDPOINT_URL", url),
        None => command.env_remove("AWS_ENDPOINT_URL"),
    };
    command
}

/// `baton ARGS` (a `--json` command) that must succeed: what it printed, as JSON.
#[cfg(feature = "aws")]
fn baton_json(args: &[&str], endpoint: Option<&str>) -> serde_json::Value {
    let out = baton(args, endpoint);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the command printed JSON")
}

#[test]
fn a_command_that_reads_this_machines_state_only_refuses_a_stack() {
    let hello = repo_root().join("examples/hello-app");
    let out = baton(
        &[
            "artifacts",
            "list",
            "--stack",
            "hello",
            "--pipeline",
            hello.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("act on a deployed stack; this command reads this machine's state only"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(not(feature = "aws"))]
#[test]
fn a_build_without_aws_support_says_how_to_get_it() {
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let nowhere = tempfile::tempdir().expect("tempdir");
    // With a pipeline, and where there is none: the missing support is what is said, not the
    // missing pipeline.yml the command would read next.
    for (args, dir) in [
        (
            &["stop", "x", "--abandon", "--stack", "hello", "--pipeline", hello][..],
            repo_root(),
        ),
        (&["status", "--stack", "hello"][..], nowhere.path().to_path_buf()),
    ] {
        let out = command(args, None).current_dir(dir).output().expect("baton runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("built without AWS support; build it with `cargo build --release --features aws`"),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A moto server for one test, stopped when dropped.
#[cfg(feature = "aws")]
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

#[cfg(feature = "aws")]
impl Moto {
    fn start() -> Self {
        let python = repo_root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: scripts/test.sh installs moto there",
            python.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("port")
            .port();
        let child = Command::new(&python)
            .arg(repo_root().join("scripts/moto_serial.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto starts");
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        crate::util::until_blocking("moto listening", std::time::Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        moto
    }

    /// Runs `script` with boto3 against this server; its stdout.
    fn boto3(&self, script: &str) -> String {
        let out = Command::new(repo_root().join(".venv/bin/python"))
            .args(["-c", script])
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .expect("python runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    }
}

#[cfg(feature = "aws")]
impl Moto {
    /// A state machine `hello-pipeline` of `definition` and a stack `hello` whose outputs name it
    /// as `baton synth --sam`'s template does. With `execute`, moto runs its executions itself
    /// (Pass, Choice, Wait, Fail and Succeed need no Lambda); otherwise they stay RUNNING.
    fn hello_stack(&self, definition: &serde_json::Value, execute: bool) {
        self.boto3(&format!(
            r#"
import boto3, json, os, urllib.request
if {execute}:
    urllib.request.urlopen(urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"] + "/moto-api/config", method="POST",
        data=json.dumps({{"stepfunctions": {{"execute_state_machine": True}}}}).encode()))
arn = boto3.client("stepfunctions").create_state_machine(
    name="hello-pipeline", definition=r"""{definition}""",
    roleArn="arn:aws:iam::123456789012:role/baton")["stateMachineArn"]
outputs = {{"StateMachineArn": arn, "StateTableName": "hello-state", "ArtifactBucketName": "hello-artifacts",
           "DeployApplicationName": "hello-app"}}
template = {{"Resources": {{"Topic": {{"Type": "AWS::SNS::Topic"}}}},
            "Outputs": {{k: {{"Value": v}} for k, v in outputs.items()}}}}
boto3.client("cloudformation").create_stack(StackName="hello", TemplateBody=json.dumps(template))
"#,
            execute = if execute { "True" } else { "False" }
        ));
    }

    /// Starts execution `name` of `hello-pipeline` with `input`; with `wait`, until it ends.
    fn start_execution(&self, name: &str, input: &serde_json::Value, wait: bool) {
        self.boto3(&format!(
            r#"
import boto3, time
sfn = boto3.client("stepfunctions")
arn = sfn.start_execution(stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:hello-pipeline",
                          name="{name}", input=r"""{input}""")["executionArn"]
while {wait} and sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
    time.sleep(0.05)
"#,
            wait = if wait { "True" } else { "False" }
        ));
    }
}

#[cfg(feature = "aws")]
impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "aws")]
#[test]
fn stop_with_a_stack_stops_the_execution_on_step_functions() {
    let moto = Moto::start();
    // moto does not run it: the execution stays RUNNING until stopped.
    let pass = serde_json::json!({"StartAt": "Source", "States": {"Source": {"Type": "Pass", "End": true}}});
    moto.hello_stack(&pass, false);
    moto.start_execution(EXECUTION, &serde_json::json!({}), false);
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let endpoint = Some(moto.endpoint.as_str());

    let rows = baton_json(&["history", "--json", "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(
        (rows[0]["id"].as_str(), rows[0]["status"].as_str()),
        (Some(EXECUTION), Some("RUNNING")),
        "{rows}"
    );
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");

    let waiting = baton(&["stop", EXECUTION, "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(waiting.status.code(), Some(2), "{}", text(&waiting.stderr));
    assert!(
        text(&waiting.stderr).contains("ask for that with --abandon"),
        "{}",
        text(&waiting.stderr)
    );

    let stopped = baton(&["stop", EXECUTION, "--abandon", "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(stopped.status.code(), Some(0), "{}{}", text(&stopped.stdout), text(&stopped.stderr));
    assert!(
        text(&stopped.stdout).contains(&format!("Execution {EXECUTION} ABORTED: stopped by ada")),
        "{}",
        text(&stopped.stdout)
    );
    let status = moto.boto3(&format!(
        "import boto3; print(boto3.client('stepfunctions').describe_execution(executionArn='arn:aws:states:us-east-1:123456789012:execution:hello-pipeline:{EXECUTION}')['status'])"
    ));
    assert_eq!(status.trim(), "ABORTED");

    let aborted = baton(
        &["history", "--status", "ABORTED", "--stack", "hello", "--pipeline", hello],
        endpoint,
    );
    assert!(text(&aborted.stdout).contains(EXECUTION), "{}", text(&aborted.stdout));
    let running = baton(
        &["history", "--status", "RUNNING", "--stack", "hello", "--pipeline", hello],
        endpoint,
    );
    assert!(text(&running.stdout).contains("no execution matches"), "{}", text(&running.stdout));

    let unknown = baton(&["stop", EXECUTION, "--abandon", "--stack", "nope", "--pipeline", hello], endpoint);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    assert!(
        text(&unknown.stderr).contains("no stack `nope` in us-east-1"),
        "{}",
        text(&unknown.stderr)
    );
}

/// An execution moto ran to a failure in `Deploy`, as the trigger would have started it.
#[cfg(feature = "aws")]
fn failed_execution(moto: &Moto) {
    let definition = serde_json::json!({"StartAt": "Source", "States": {
        "Source": {"Type": "Pass", "Next": "Ready?"},
        "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.ready", "BooleanEquals": true, "Next": "Done"}],
                   "Default": "Deploy"},
        "Deploy": {"Type": "Fail", "Error": "Baton.DeployFailed", "Cause": "group web: 2 of 3 instances failed"},
        "Done": {"Type": "Succeed"}}});
    moto.hello_stack(&definition, true);
    let input = serde_json::json!({"revision": "0a1b2c3d", "variables": {}, "ready": false,
                                   "trigger": {"type": "push", "ref": "refs/heads/main"}});
    moto.start_execution("20261204-090000-bbbbbbbb", &input, true);
}

#[cfg(feature = "aws")]
#[test]
fn status_with_a_stack_draws_the_step_functions_history_as_a_local_one() {
    let moto = Moto::start();
    failed_execution(&moto);
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let endpoint = Some(moto.endpoint.as_str());

    // No id: the newest execution, as locally.
    let shown = baton(&["status", "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
    let shown = text(&shown.stdout);
    assert!(
        shown.contains("Execution 20261204-090000-bbbbbbbb FAILED · pipeline hello · commit 0a1b2c3d"),
        "{shown}"
    );
    assert!(shown.contains("Baton.DeployFailed: group web: 2 of 3 instances failed"), "{shown}");
    let deploy = shown.lines().find(|l| l.trim_start().starts_with("Deploy")).unwrap_or_default();
    assert!(
        deploy.contains("FAILED") && deploy.contains("Baton.DeployFailed: group web"),
        "{shown}"
    );

    let doc = baton_json(
        &[
            "status",
            "20261204-090000-bbbbbbbb",
            "--json",
            "--stack",
            "hello",
            "--pipeline",
            hello,
        ],
        endpoint,
    );
    assert_eq!(doc["execution"]["status"], "FAILED", "{doc}");
    assert_eq!(doc["deployments"], serde_json::json!([]), "no deployment started: {doc}");
    assert_eq!(
        (&doc["execution"]["branch"], &doc["execution"]["trigger"]),
        (&serde_json::json!("main"), &serde_json::json!("push refs/heads/main")),
        "{doc}"
    );
    let states: Vec<(&str, &str)> = doc["states"]
        .as_array()
        .expect("states")
        .iter()
        .map(|s| (s["name"].as_str().unwrap_or_default(), s["status"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        states,
        [("Source", "SUCCEEDED"), ("Ready?", "SUCCEEDED"), ("Deploy", "FAILED")],
        "{doc}"
    );

    // moto ran the machine; the same definition here, on the same input, takes the same path.
    let replayed = baton(
        &[
            "replay",
            "20261204-090000-bbbbbbbb",
            "--json",
            "--stack",
            "hello",
            "--pipeline",
            hello,
        ],
        endpoint,
    );
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}{}",
        text(&replayed.stdout),
        text(&replayed.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&replayed.stdout).expect("replay --json");
    assert_eq!(doc["agrees"], true, "{doc}");
    assert_eq!(doc["states"].as_array().map(Vec::len), Some(3), "{doc}");
    assert_eq!(doc["recorded_end"]["error"], "Baton.DeployFailed", "{doc}");

    // Priced from the same history: Source, Ready? and Deploy are three transitions.
    let doc = baton_json(&["cost", "--json", "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(
        (&doc["execution"], &doc["usage"]["transitions"]),
        (&serde_json::json!("20261204-090000-bbbbbbbb"), &serde_json::json!(3)),
        "{doc}"
    );

    let unknown = baton(&["status", "20261204-nope", "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown.stderr));
    assert!(
        text(&unknown.stderr).contains("no execution 20261204-nope of arn:aws:states:"),
        "{}",
        text(&unknown.stderr)
    );
}

#[cfg(feature = "aws")]
#[test]
fn run_with_a_stack_starts_an_execution_as_a_push_would_and_follows_it_to_its_end() {
    let moto = Moto::start();
    let waits = serde_json::json!({"StartAt": "Source", "States": {
        "Source": {"Type": "Pass", "Next": "Bake"},
        "Bake": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Succeed"}}});
    moto.hello_stack(&waits, true);
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let endpoint = Some(moto.endpoint.as_str());

    let no_commit = baton(&["run", "--stack", "hello", "--pipeline", hello], endpoint);
    assert_eq!(no_commit.status.code(), Some(2), "{}", text(&no_commit.stderr));
    assert!(text(&no_commit.stderr).contains("give the commit to run with --source-revision COMMIT"));
    let unknown_var = baton(
        &[
            "run",
            "--source-revision",
            "c0ffee1",
            "--var",
            "NOPE=1",
            "--stack",
            "hello",
            "--pipeline",
            hello,
        ],
        endpoint,
    );
    assert_eq!(unknown_var.status.code(), Some(2), "{}", text(&unknown_var.stderr));

    let run = baton(
        &[
            "run",
            "--source-revision",
            "c0ffee1",
            "--var",
            "GREETING=hi",
            "--stack",
            "hello",
            "--pipeline",
            hello,
        ],
        endpoint,
    );
    assert_eq!(run.status.code(), Some(0), "{}{}", text(&run.stdout), text(&run.stderr));
    let shown = text(&run.stdout);
    assert!(shown.contains("Pipeline hello · stack hello · execution "), "{shown}");
    assert!(shown.contains(" SUCCEEDED"), "followed to its end: {shown}");

    let listed = baton(&["history", "--json", "--stack", "hello", "--pipeline", hello], endpoint);
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("history --json");
    assert_eq!(rows[0]["commit_id"], "c0ffee1", "{rows}");
    assert!(
        rows[0]["trigger"].as_str().is_some_and(|t| t.starts_with("manual by arn:aws:")),
        "started under the caller's AWS identity: {rows}"
    );
    let input = moto.boto3(&format!(
        "import boto3; print(boto3.client('stepfunctions').describe_execution(executionArn='arn:aws:states:us-east-1:123456789012:execution:hello-pipeline:{}')['input'])",
        rows[0]["id"].as_str().expect("id")
    ));
    let input: serde_json::Value = serde_json::from_str(input.trim()).expect("input");
    assert_eq!(
        (&input["revision"], &input["variables"]["GREETING"], &input["trigger"]["type"]),
        (
            &serde_json::json!("c0ffee1"),
            &serde_json::json!("hi"),
            &serde_json::json!("manual")
        ),
        "the input a push's execution gets: {input}"
    );

    // With its build logs streamed: this machine runs no builds, so the logs end with it.
    let streamed = baton(
        &[
            "run",
            "--source-revision",
            "c0ffee2",
            "--logs",
            "--stack",
            "hello",
            "--pipeline",
            hello,
        ],
        endpoint,
    );
    assert_eq!(
        streamed.status.code(),
        Some(0),
        "{}{}",
        text(&streamed.stdout),
        text(&streamed.stderr)
    );
    assert!(!text(&streamed.stderr).contains("build logs"), "{}", text(&streamed.stderr));
}
