//! `--state-machine ARN`: the deployed pipeline named by its state machine where its stack is not
//! at hand; the rest (table, bucket, application) is read from the functions it invokes.

use super::{EXECUTION, Moto, baton, baton_json};
use crate::cli::text;
use crate::util::repo_root;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:hello-pipeline";

impl Moto {
    /// `hello-pipeline` as a deployed Baton definition has it, a Task invoking the source
    /// function (whose environment the template's `Globals` give), with no stack at all; and
    /// one execution of it, left RUNNING (moto does not run it).
    fn hello_machine_without_stack(&self) {
        self.boto3(&format!(
            r#"
import boto3, json
trust = {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
         "Principal": {{"Service": "lambda.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}}
role = boto3.client("iam").create_role(RoleName="hello-functions",
                                       AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
source = boto3.client("lambda").create_function(
    FunctionName="hello-SourceFunction", Runtime="provided.al2023", Handler="bootstrap", Role=role,
    Code={{"ZipFile": b"code"}},
    Environment={{"Variables": {{"BATON_STATE_MACHINE_ARN": "{MACHINE}", "BATON_TABLE": "hello-state",
                                "BATON_BUCKET": "hello-artifacts", "BATON_APPLICATION": "hello-app"}}}})["FunctionArn"]
definition = {{"StartAt": "Source", "States": {{"Source": {{"Type": "Task", "Resource": source, "End": True}}}}}}
sfn = boto3.client("stepfunctions")
sfn.create_state_machine(name="hello-pipeline", definition=json.dumps(definition),
                         roleArn="arn:aws:iam::123456789012:role/baton")
sfn.start_execution(stateMachineArn="{MACHINE}", name="{EXECUTION}",
                    input=json.dumps({{"revision": "3fa2c1e", "variables": {{}}}}))
"#
        ));
    }
}

#[test]
fn history_with_a_state_machine_reads_its_executions_with_no_stack_to_find() {
    let moto = Moto::start();
    moto.hello_machine_without_stack();
    let hello = repo_root().join("examples/hello-app");
    let hello = hello.to_str().expect("utf-8");
    let endpoint = Some(moto.endpoint.as_str());

    let rows = baton_json(&["history", "--json", "--state-machine", MACHINE, "--pipeline", hello], endpoint);
    assert_eq!(
        (rows[0]["id"].as_str(), rows[0]["status"].as_str()),
        (Some(EXECUTION), Some("RUNNING")),
        "{rows}"
    );

    // The same pipeline named both ways at once is refused, as two places would be.
    let both = baton(
        &["history", "--state-machine", MACHINE, "--stack", "hello", "--pipeline", hello],
        endpoint,
    );
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));
    assert!(text(&both.stderr).contains("cannot be used with"), "{}", text(&both.stderr));

    let unknown = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    let missing = baton(&["status", "--state-machine", unknown, "--pipeline", hello], endpoint);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(
        text(&missing.stderr).contains(&format!("no state machine {unknown}")),
        "{}",
        text(&missing.stderr)
    );

    let local_only = baton(&["artifacts", "list", "--state-machine", MACHINE, "--pipeline", hello], endpoint);
    assert_eq!(local_only.status.code(), Some(2), "{}", text(&local_only.stderr));
    assert!(
        text(&local_only.stderr).contains(&format!("--state-machine {MACHINE}: ")),
        "{}",
        text(&local_only.stderr)
    );
}
