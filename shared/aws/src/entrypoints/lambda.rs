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
        handler(event.payload).await.map_err(|e| Diagnostic {
            error_type: e.error_type().into(),
            error_message: e.to_string(),
        })
    }))
    .await
}
