//! How `baton` ends on an error: 2 when the request itself was wrong (a file that does not
//! parse, an unknown execution, an operation its target refuses), 1 when the work failed. Scripts
//! and CI tell "fix the command" from "the pipeline failed" by it, so the rule lives here once.

use baton_core::operations::OperationError;

/// A usage problem (bad path, unknown execution): exit code 2, like invalid input.
#[derive(Debug)]
pub(crate) struct Usage(pub String);

impl std::error::Error for Usage {}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exit code for `e`: 2 when anything in its chain says the caller asked wrongly, else 1.
/// The caller's errors are the CLI's [`Usage`], an operation's refusal (every
/// [`OperationError`] but `Internal`) and the refusals of the files a user writes: a pipeline or
/// buildspec ([`baton_core::SpecError`], also when the local runtime meets it), a state machine
/// ([`baton_asl::DefinitionError`]) or a mock configuration ([`baton_asl::mock::MockError`]).
pub(crate) fn code(e: &anyhow::Error) -> u8 {
    let caller = e.chain().any(|cause| {
        cause.is::<Usage>()
            || cause.is::<baton_core::SpecError>()
            || cause.is::<baton_asl::DefinitionError>()
            || cause.is::<baton_asl::mock::MockError>()
            || matches!(
                cause.downcast_ref::<baton_local::LocalError>(),
                Some(baton_local::LocalError::Spec(_))
            )
            || cause
                .downcast_ref::<OperationError>()
                .is_some_and(|e| !matches!(e, OperationError::Internal(_)))
    });
    if caller { 2 } else { 1 }
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn the_callers_mistakes_end_with_2_and_failures_with_1() {
        let refused = |e: OperationError| code(&anyhow::Error::new(e));
        assert_eq!(code(&anyhow::Error::new(Usage("no such execution".into()))), 2);
        assert_eq!(refused(OperationError::NotFound("x".into())), 2);
        assert_eq!(refused(OperationError::Conflict("x".into())), 2);
        assert_eq!(refused(OperationError::Invalid("x".into())), 2);
        assert_eq!(refused(OperationError::Internal("x".into())), 1);
        let spec = baton_core::parse_pipeline(std::path::Path::new("pipeline.yml"), "stages: [").unwrap_err();
        assert_eq!(code(&anyhow::Error::new(baton_local::LocalError::Spec(spec))), 2);
        let definition = baton_asl::StateMachine::from_json("{}").unwrap_err();
        assert_eq!(code(&anyhow::Error::new(definition)), 2);
        assert_eq!(code(&anyhow::anyhow!("the build failed")), 1);
        assert_eq!(code(&anyhow::Error::new(baton_local::LocalError::Internal("x".into()))), 1);
    }

    #[test]
    fn context_added_on_the_way_up_keeps_the_cause_a_usage_error() {
        let e = Err::<(), _>(Usage("bad".into())).context("while reading the pipeline").unwrap_err();
        assert_eq!(code(&e), 2);
    }
}
