//! How `--stack` says what is wrong with the AWS configuration it was given.

use std::process::Command;

use super::baton;
use crate::cli::text;
use crate::util::repo_root;

/// No credentials, and an endpoint nobody listens on (a closed loopback port): each said as
/// what it is, not as a "transport failure" alike.
#[test]
fn missing_credentials_and_an_unreachable_endpoint_are_told_apart() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let endpoint = format!("http://{}", closed.local_addr().expect("port"));
    drop(closed);
    let hello = repo_root().join("examples/hello-app");
    let args = ["history", "--stack", "hello", "--pipeline", hello.to_str().expect("utf-8")];

    let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("HOME", std::env::temp_dir())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env_remove("BATON_STACK")
        .env_remove("BATON_STATE_MACHINE");
    let anonymous = command.output().expect("baton runs");
    assert_eq!(anonymous.status.code(), Some(1), "{}", text(&anonymous.stderr));
    assert!(
        text(&anonymous.stderr).contains("no AWS credentials found (the standard AWS configuration: set AWS_PROFILE"),
        "{}",
        text(&anonymous.stderr)
    );

    let unreachable = baton(&args, Some(&endpoint));
    assert_eq!(unreachable.status.code(), Some(1), "{}", text(&unreachable.stderr));
    assert!(
        text(&unreachable.stderr).contains("transport failure (io error: client error (Connect): tcp connect error: Connection refused"),
        "{}",
        text(&unreachable.stderr)
    );
}
