//! What every adapter shares: the one HTTP client of the SDK clients, and how an SDK error
//! becomes a port error.

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
            (format!("{code}{message}"), kind.is_some() || s.raw().server_error())
        }
        SdkError::TimeoutError(_) => ("timeout".into(), true),
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ("transport failure".into(), true),
        _ => ("request could not be built".into(), false),
    };
    let message = format!("{operation} failed: {detail}");
    if transient {
        PortError::transient(message)
    } else {
        PortError::permanent(message)
    }
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
