//! A stage function's failure as Step Functions records it. Lambda answers a failed invocation
//! with the runtime's error payload, and Step Functions takes the payload's `errorType` as the
//! task's error and the payload itself, verbatim, as its cause (recorded on AWS in
//! localstack/localstack, `tests/aws/services/stepfunctions/v2/error_handling/
//! test_task_lambda.snapshot.json`, test_raise_exception_catch, 2023-06-22: the catcher's input
//! is `{"Error": "Exception", "Cause": "{\"errorMessage\": \"Some exception was raised.\", …}"}`).
//! The local runner builds the same payload, so a Catch, a `CausePath` and a record read the same
//! text on both executors; [`readable_cause`] is what a person is shown of it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::StageError;

/// The payload the Rust Lambda runtime posts for a handler's error: `lambda_runtime`'s
/// `Diagnostic`, whose serialization this matches byte for byte (checked where both are at hand,
/// in `baton-aws`'s entrypoint tests).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaErrorPayload {
    pub error_type: String,
    pub error_message: String,
}

impl StageError {
    /// The payload a Lambda function posts for this failure.
    pub fn payload(&self) -> LambdaErrorPayload {
        LambdaErrorPayload {
            error_type: self.error_type().to_string(),
            error_message: self.to_string(),
        }
    }

    /// The cause Step Functions records for this failure: the payload's JSON.
    pub fn cause(&self) -> String {
        serde_json::to_string(&self.payload()).expect("two strings serialize")
    }
}

/// The message inside a cause that is a Lambda error payload (any runtime's: the Rust runtime
/// writes `errorType` first, Python and Node `errorMessage` first with a `stackTrace` after);
/// any other cause as it is.
pub fn readable_cause(cause: &str) -> Cow<'_, str> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Message {
        error_message: String,
    }
    match serde_json::from_str::<Message>(cause) {
        Ok(m) => Cow::Owned(m.error_message),
        Err(_) => Cow::Borrowed(cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_failure_s_cause_is_its_lambda_error_payload() {
        let e = StageError::InvalidInput("missing field `group`".into());
        assert_eq!(
            e.cause(),
            r#"{"errorType":"InvalidInput","errorMessage":"the task input does not fit this handler: missing field `group`"}"#
        );
        assert_eq!(
            readable_cause(&e.cause()),
            "the task input does not fit this handler: missing field `group`"
        );
    }

    #[test]
    fn a_cause_reads_as_its_message_when_it_is_a_lambda_payload_and_as_itself_otherwise() {
        // Python's runtime, as a Catch on AWS receives it.
        let python = r#"{"errorMessage": "Some exception was raised.", "errorType": "Exception", "requestId": "r", "stackTrace": ["  File \"/var/task/handler.py\", line 3"]}"#;
        assert_eq!(readable_cause(python), "Some exception was raised.");
        for plain in ["build 12 failed in phase BUILD", "{\"not\": \"a payload\"}", "", "[1]"] {
            assert_eq!(readable_cause(plain), plain);
        }
    }
}
