//! What every adapter shares: the one HTTP client of the SDK clients, and how an SDK error
//! becomes a port error.

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::ProvideErrorKind;
use baton_core::ports::PortError;

/// hyper 1 with rustls on ring: HTTPS to AWS, plain HTTP to a loopback endpoint in tests.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The SDK configuration a function builds once at init: region and credentials from the Lambda
/// environment, every client on [`http_client`], with [`timeouts`].
pub async fn load_config() -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .timeout_config(timeouts())
        .load()
        .await
}

/// Without these an attempt whose connection hangs waits for the Lambda function's own timeout,
/// and the retry that would have succeeded never happens. An attempt is one request: the
/// largest, a 16 MiB multipart part, takes well under a second inside a region.
pub fn timeouts() -> aws_smithy_types::timeout::TimeoutConfig {
    aws_smithy_types::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_attempt_timeout(std::time::Duration::from_secs(30))
        .build()
}

/// A service error becomes a port error; what the SDK itself classifies as retryable
/// (throttling, server faults, transient transport failures) is marked transient, so the state
/// machine's `Transient` retry takes it.
pub fn port_error<E, R>(operation: &str, e: &SdkError<E, R>) -> PortError
where
    E: ProvideErrorMetadata + ProvideErrorKind,
    R: HttpStatus,
{
    let (detail, transient) = match e {
        SdkError::ServiceError(s) => {
            let kind = s.err().retryable_error_kind();
            let code = ProvideErrorMetadata::code(s.err())
                .map(str::to_string)
                .or_else(|| kind.map(|k| format!("{k:?}")))
                .unwrap_or_else(|| "error".into());
            let message = ProvideErrorMetadata::message(s.err()).map(|m| format!(": {m}")).unwrap_or_default();
            if let Some(action) = access_denied(&code).then(|| iam_action(operation)).flatten() {
                return PortError::permanent(format!(
                    "{operation} was refused: your AWS identity is not allowed {action} ({code}{message})"
                ));
            }
            (format!("{code}{message}"), kind.is_some() || s.raw().server_error())
        }
        SdkError::TimeoutError(_) => ("timeout".into(), true),
        SdkError::DispatchFailure(d) => {
            let connector = d.as_connector_error();
            let source = connector.and_then(std::error::Error::source);
            // The SDK resolves credentials as it dispatches: none found is no transport fault.
            if source.is_some_and(|s| s.is::<CredentialsError>()) {
                return PortError::permanent(format!(
                    "{operation} failed: no AWS credentials found (the standard AWS configuration: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or sign in with `aws sso login`)"
                ));
            }
            (
                format!(
                    "transport failure ({})",
                    connector.map_or_else(|| "no detail".to_string(), |c| chain(c))
                ),
                true,
            )
        }
        SdkError::ResponseError(_) => ("transport failure".into(), true),
        _ => ("request could not be built".into(), false),
    };
    let message = format!("{operation} failed: {detail}");
    if transient {
        PortError::transient(message)
    } else {
        PortError::permanent(message)
    }
}

/// An error and its sources, each said once: "client error (Connect): tcp connect error: …".
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        next = cause.source();
    }
    text
}

/// The error codes AWS services answer a call the caller's policies do not allow with.
fn access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError"
    )
}

/// The IAM action an operation label (`Step Functions DescribeExecution`) calls
/// (`states:DescribeExecution`), so an access-denied error says what to allow.
fn iam_action(operation: &str) -> Option<String> {
    let (service, call) = operation.rsplit_once(' ')?;
    let prefix = match service {
        "Step Functions" => "states",
        "DynamoDB" => "dynamodb",
        "S3" => "s3",
        "CodeBuild" => "codebuild",
        "CodeDeploy" => "codedeploy",
        "CodeCommit" => "codecommit",
        "CloudWatch" => "cloudwatch",
        "CloudWatch Logs" => "logs",
        "CloudFormation" => "cloudformation",
        "Lambda" => "lambda",
        "STS" => "sts",
        "Scheduler" => "scheduler",
        _ => return None,
    };
    // S3's IAM actions name objects and buckets, not the API call: GetObject is s3:GetObject,
    // but HeadObject is s3:GetObject too.
    let call = match (prefix, call) {
        ("s3", "HeadObject") => "GetObject",
        ("s3", "ListObjectsV2") => "ListBucket",
        _ => call,
    };
    Some(format!("{prefix}:{call}"))
}

/// The HTTP status of a raw response, behind a trait so `port_error` stays generic.
pub trait HttpStatus {
    fn server_error(&self) -> bool;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn server_error(&self) -> bool {
        self.status().is_server_error()
    }
}

#[cfg(test)]
mod tests {
    use super::iam_action;

    #[test]
    fn an_operation_names_its_iam_action() {
        assert_eq!(
            iam_action("Step Functions GetExecutionHistory").as_deref(),
            Some("states:GetExecutionHistory")
        );
        assert_eq!(iam_action("S3 HeadObject").as_deref(), Some("s3:GetObject"));
        assert_eq!(iam_action("S3 ListObjectsV2").as_deref(), Some("s3:ListBucket"));
        assert_eq!(iam_action("DynamoDB Query").as_deref(), Some("dynamodb:Query"));
        assert_eq!(iam_action("CloudWatch Logs GetLogEvents").as_deref(), Some("logs:GetLogEvents"));
        assert_eq!(iam_action("Somewhere Else").as_deref(), None);
    }
}
