//! Serving a handler on the Lambda runtime: every function's `main` is "build the handler, serve
//! it", and this is the serving. Failures leave as `Diagnostic`s whose `errorType` is the
//! stable name the state machine's `Retry` and `Catch` match.

use std::future::Future;

use baton_core::stages::StageError;
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Logs as JSON lines with structured fields when the function's log format is JSON (the
/// template sets it), as text otherwise.
pub fn init_logging() {
    lambda_runtime::tracing::init_default_subscriber();
}

pub async fn serve<Req, Res, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    Req: DeserializeOwned + Send + 'static,
    Res: Serialize,
    F: Fn(Req) -> Fut,
    Fut: Future<Output = Result<Res, StageError>>,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Req>| async move {
        // lambda_runtime logs the Diagnostic itself.
        handler(event.payload).await.map_err(|e| diagnostic(&e))
    }))
    .await
}

/// The runtime's error payload for a failure: the one the local runner records as the cause.
fn diagnostic(e: &StageError) -> Diagnostic {
    let payload = e.payload();
    Diagnostic {
        error_type: payload.error_type,
        error_message: payload.error_message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime posts `serde_json::to_vec(&Diagnostic)`, which Step Functions records as the
    /// cause; the local runner must record the same bytes.
    #[test]
    fn the_runtime_posts_the_cause_the_local_runner_records() {
        let e = StageError::AlarmTriggered {
            alarm: "p99 \"latency\"".into(),
            reason: "Threshold Crossed: 1 datapoint [9.0 (06/12/26 05:40:00)]".into(),
        };
        assert_eq!(serde_json::to_string(&diagnostic(&e)).unwrap(), e.cause());
    }
}
