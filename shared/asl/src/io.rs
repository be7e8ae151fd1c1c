//! Input and output processing: InputPath, ResultSelector, ResultPath, OutputPath, and the
//! payload size limit.

use serde_json::{Value, json};

use crate::context::Context;
use crate::definition::{Io, Transition};
use crate::error::{StatesError, names};
use crate::path::{Path, resolve};
use crate::payload;

/// Step Functions' payload quota for state input, output and task results: 256 KiB.
pub const PAYLOAD_LIMIT: usize = 256 * 1024;

/// Where a state goes next and with what.
#[derive(Debug)]
pub(crate) enum Step {
    Next(String, Value),
    /// A `Catch` took over: the state does not exit normally, so no `…StateExited` event.
    Caught(String, Value),
    End(Value),
}

pub(crate) fn input_path(io: &Io, input: &Value, ctx: &Context) -> Result<Value, StatesError> {
    match &io.input_path {
        None => Ok(input.clone()),
        Some(None) => Ok(json!({})),
        Some(Some(p)) => resolve(p, input, ctx),
    }
}

pub(crate) fn output_path(io: &Io, output: Value, ctx: &Context) -> Result<Value, StatesError> {
    match &io.output_path {
        None => Ok(output),
        Some(None) => Ok(json!({})),
        Some(Some(p)) => resolve(p, &output, ctx),
    }
}

/// `ResultPath`: absent means `$` (the result replaces the input), `null` discards the result.
pub(crate) fn result_path(path: Option<&Option<String>>, mut input: Value, result: Value) -> Result<Value, StatesError> {
    match path {
        None => Ok(result),
        Some(None) => Ok(input),
        Some(Some(p)) if p == "$" => Ok(result),
        Some(Some(p)) => {
            Path::parse(p)?.set(&mut input, result)?;
            Ok(input)
        }
    }
}

pub(crate) fn transition(t: &Transition, output: Value) -> Result<Step, StatesError> {
    match (&t.next, t.end) {
        (_, Some(true)) => Ok(Step::End(output)),
        (Some(next), _) => Ok(Step::Next(next.clone(), output)),
        _ => Err(StatesError::runtime("state has neither Next nor End")),
    }
}

/// `States.DataLimitExceeded` when a payload's JSON text is over the quota.
pub(crate) fn check_size(what: &str, text_len: usize) -> Result<(), StatesError> {
    if text_len > PAYLOAD_LIMIT {
        return Err(StatesError::new(
            names::DATA_LIMIT_EXCEEDED,
            format!("the {what} is {text_len} bytes, more than the {PAYLOAD_LIMIT}-byte payload quota"),
        ));
    }
    Ok(())
}

/// Serialized length of a value, without keeping the text.
pub(crate) fn json_len(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// The output half of a state that produces a result: ResultSelector, ResultPath, OutputPath,
/// then the transition.
pub(crate) struct Outputs<'a> {
    pub selector: Option<&'a Value>,
    pub result_path: Option<&'a Option<String>>,
    pub io: &'a Io,
    pub transition: &'a Transition,
}

impl Outputs<'_> {
    pub fn apply(&self, input: Value, result: Value, ctx: &Context) -> Result<Step, StatesError> {
        let selected = match self.selector {
            Some(sel) => payload::apply(sel, &result, ctx)?,
            None => result,
        };
        let merged = result_path(self.result_path, input, selected)?;
        transition(self.transition, output_path(self.io, merged, ctx)?)
    }
}
