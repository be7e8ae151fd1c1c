//! Input and output processing: InputPath, ResultSelector, ResultPath, OutputPath, and the
//! payload size limit.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use crate::context::Context;
use crate::definition::{Io, Transition};
use crate::error::{StatesError, names};
use crate::jsonata::{Source, StatesParts};
use crate::path::{Path, lookup_or_why};
use crate::{partial, payload};

/// Step Functions' payload quota for state input, output and task results: 256 KiB.
pub const PAYLOAD_LIMIT: usize = 256 * 1024;

/// The query language a state's fields are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    JsonPath,
    Jsonata,
}

impl Lang {
    pub(crate) fn of(state: Option<&str>, machine: Lang) -> Lang {
        match state {
            Some("JSONata") => Lang::Jsonata,
            Some(_) => Lang::JsonPath,
            None => machine,
        }
    }
}

/// What a JSONata field of a state reads: `$states` (the state input, the result or error output
/// when there is one, and the context object) and the variables visible to the state. Written
/// as JSON only as far as an expression reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct States<'a> {
    input: &'a Value,
    result: Option<&'a Value>,
    error_output: Option<&'a Value>,
    ctx: &'a Context,
}

/// `$states` for a state's JSONata fields: its input, and its result or error output where the
/// field may read one.
pub(crate) fn states_doc<'a>(input: &'a Value, result: Option<&'a Value>, error_output: Option<&'a Value>, ctx: &'a Context) -> States<'a> {
    States {
        input,
        result,
        error_output,
        ctx,
    }
}

impl Source for States<'_> {
    fn states(&self, parts: Option<&StatesParts>) -> Value {
        // A member whole, or only what the expression reads of it (`bucket` of
        // `$states.input.bucket` read in each iteration of a Map over the input's items).
        let part = |member: &str, value: &Value| match parts {
            None => Some(value.clone()),
            Some(p) => {
                let fields = partial::fields_of(&p.members, member);
                (!fields.is_empty()).then(|| partial::subset(Cow::Borrowed(value), &fields))
            }
        };
        let mut doc = Map::with_capacity(4);
        if let Some(input) = part("input", self.input) {
            doc.insert("input".into(), input);
        }
        match parts {
            None => _ = doc.insert("context".into(), self.ctx.to_value()),
            Some(p) if p.context.is_empty() => {}
            Some(p) => _ = doc.insert("context".into(), self.ctx.reading(&p.context)),
        }
        if let Some(result) = self.result.and_then(|r| part("result", r)) {
            doc.insert("result".into(), result);
        }
        if let Some(error_output) = self.error_output.and_then(|e| part("errorOutput", e)) {
            doc.insert("errorOutput".into(), error_output);
        }
        Value::Object(doc)
    }

    fn variable(&self, name: &str) -> Option<Value> {
        self.ctx.variable(name)
    }
}

/// Evaluates a JSONata field (JSON with `{% %}` strings) for a state.
pub(crate) fn jsonata_field(value: &Value, field: &str, states: &States<'_>) -> Result<Value, StatesError> {
    crate::jsonata::template(value, states, field)
}

/// A template field (`Parameters`, `Arguments`, `Credentials`) evaluated in the state's
/// language: in JSONPath its `.$` keys over `effective`, the input after InputPath; in JSONata
/// its `{% %}` strings over `$states.input`, `field` naming it in a failure's cause.
pub(crate) fn template(
    lang: Lang,
    template: &Value,
    field: &str,
    (input, effective): (&Value, &Value),
    ctx: &Context,
) -> Result<Value, StatesError> {
    match lang {
        Lang::JsonPath => payload::apply(template, effective, ctx),
        Lang::Jsonata => jsonata_field(template, field, &states_doc(input, None, None, ctx)),
    }
}

/// The call template a state's language reads, with its name: `Parameters` in JSONPath,
/// `Arguments` in JSONata; `None` where that one is not written.
pub(crate) fn call_template<'t>(
    lang: Lang,
    parameters: Option<&'t Value>,
    arguments: Option<&'t Value>,
) -> Option<(&'t Value, &'static str)> {
    match lang {
        Lang::JsonPath => parameters.map(|t| (t, "Parameters")),
        Lang::Jsonata => arguments.map(|t| (t, "Arguments")),
    }
}

/// A seconds field: a number, or in JSONata an expression that yields one, refused in AWS's
/// words — "The JSONata expression '\"3\"' specified for the field 'TimeoutSeconds' returned an
/// unexpected result type. Expected 'number', …", "The TimeoutSeconds field cannot be parsed as
/// an integer: 1.6", "TimeoutSeconds must be between 0 and 99999999 but was: -1" (recorded on
/// AWS for TimeoutSeconds: gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/
/// aws/Feature.JSONataValidation-007, -010, -008; taken to be the same for the other seconds).
pub(crate) fn seconds_field(value: &Value, field: &str, states: &States<'_>) -> Result<u64, StatesError> {
    let v = match value {
        Value::String(text) => {
            let v = jsonata_field(value, field, states)?;
            match crate::jsonata::expression(text) {
                Some(expr) if !v.is_number() => return Err(crate::jsonata::unexpected_type(expr, field, "number", &v)),
                _ => v,
            }
        }
        other => other.clone(),
    };
    if v.as_f64().is_some_and(|n| n.fract() != 0.0) {
        return Err(StatesError::query_evaluation(
            field,
            format!("The {field} field cannot be parsed as an integer: {v}"),
        ));
    }
    v.as_i64()
        .filter(|n| (0..=crate::definition::MAX_SECONDS).contains(n))
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| {
            StatesError::query_evaluation(
                field,
                format!("{field} must be between 0 and {} but was: {v}", crate::definition::MAX_SECONDS),
            )
        })
}

/// Evaluates an `Assign` block: JSONPath values with `.$` keys read the value given (the
/// state's result, or its input); JSONata values read `$states`. `field` is where it stands, as
/// AWS names it in a cause: `Assign`, or `Choices[1]/Assign` for a rule's own,
/// `Catch[0]/Assign` for a catcher's.
pub(crate) fn assign_block(block: Option<&Value>, field: &str, from: AssignFrom<'_>) -> Result<Option<Map<String, Value>>, StatesError> {
    let Some(block) = block else { return Ok(None) };
    let evaluated = match from {
        AssignFrom::JsonPath(current, ctx) => payload::apply(block, current, ctx)?,
        AssignFrom::Jsonata(states) => jsonata_field(block, field, &states)?,
    };
    match evaluated {
        Value::Object(m) => Ok(Some(m)),
        other => Err(StatesError::runtime(format!("Assign must be an object, got {other}"))),
    }
}

/// What an `Assign` block reads: in JSONPath, the value its `.$` keys select from (and the
/// context object); in JSONata, `$states` and the variables.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AssignFrom<'a> {
    JsonPath(&'a Value, &'a Context),
    Jsonata(States<'a>),
}

/// Where a state goes next and with what.
#[derive(Debug)]
pub(crate) enum Step {
    /// The next state and its input; after a caught failure, the catcher's `Next` and output
    /// (the state still exits: AWS records a `…StateExited` with that output, and the
    /// catcher's variables, after the failure; localstack/localstack,
    /// tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json).
    Next(String, Value),
    End(Value),
}

/// The effective input: the input itself, borrowed, where InputPath selects it whole (most
/// states), so that a state reading it copies nothing; a state that hands it on takes it with
/// [`selected`].
pub(crate) fn input_path<'v>(io: &Io, input: &'v Value, ctx: &Context) -> Result<Cow<'v, Value>, StatesError> {
    match &io.input_path {
        None => Ok(Cow::Borrowed(input)),
        Some(None) => Ok(Cow::Owned(json!({}))),
        Some(Some(p)) => filter_path(p, input, ctx).map(Cow::Owned),
    }
}

/// What `input_path` selected, unless it is the input itself: `.unwrap_or(input)` then takes
/// the input without copying it once its borrow has ended.
pub(crate) fn selected(effective: Cow<'_, Value>) -> Option<Value> {
    match effective {
        Cow::Borrowed(_) => None,
        Cow::Owned(v) => Some(v),
    }
}

pub(crate) fn output_path(io: &Io, output: Value, ctx: &Context) -> Result<Value, StatesError> {
    match &io.output_path {
        None => Ok(output),
        Some(None) => Ok(json!({})),
        Some(Some(p)) => filter_path(p, &output, ctx),
    }
}

/// InputPath and OutputPath that select nothing fail the execution with Jayway's words
/// ([`crate::path::lookup_or_why`]), as recorded executions show: "Invalid path '$.Payload' : No
/// results for path: $['Payload']" (States.Runtime; cited in `tests/conformance/io.json`). A
/// Task's TimeoutSecondsPath and HeartbeatSecondsPath fail alike (LocalStack's Task state gives
/// these words for them, from its recordings of AWS, test_base_scenarios' test_invalid_jsonpath,
/// 2025-01-02).
pub(crate) fn filter_path(path: &str, document: &Value, ctx: &Context) -> Result<Value, StatesError> {
    lookup_or_why(path, document, ctx)?.map_err(|why| StatesError::runtime(format!("Invalid path '{path}' : {why}")))
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

/// `States.DataLimitExceeded` for a result over the quota, in Step Functions' words naming the
/// state, or the task's service, that returned it: "The state/task 'Uppers' returned a result
/// with a size exceeding the maximum number of bytes service limit." (AWS's error for a Map
/// state quoted in LedgeDash/unum, examples/text_fan_in/README.md; a task's recorded in
/// `tests/conformance/errors.json`).
pub(crate) fn result_over_quota(named: &str) -> StatesError {
    StatesError::new(
        names::DATA_LIMIT_EXCEEDED,
        format!("The state/task '{named}' returned a result with a size exceeding the maximum number of bytes service limit."),
    )
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

/// How deep a state's output may nest: Jackson's default (`StreamWriteConstraints`, 1000 levels),
/// the reader and writer AWS's JSON goes through. Deeper, and writing it would recurse past what
/// a thread's stack holds: a state that loops nesting its input one level further each time
/// (`"ResultPath": "$.a"`) crashed Baton before.
pub(crate) const MAX_DOCUMENT_NESTING: usize = 1000;

/// `States.Runtime` when `v` nests deeper than [`MAX_DOCUMENT_NESTING`], in Jackson's words for
/// it (what AWS answers is not on record). Counted without recursion.
pub(crate) fn check_nesting(v: &Value) -> Result<(), StatesError> {
    // Arrays and objects only, each with its depth: a scalar nests nothing.
    let nests = |v: &&Value| v.is_array() || v.is_object();
    let mut open = vec![(v, 1usize)];
    while let Some((v, depth)) = open.pop() {
        if depth > MAX_DOCUMENT_NESTING {
            return Err(StatesError::runtime(format!(
                "Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DOCUMENT_NESTING}, from `StreamWriteConstraints.getMaxNestingDepth()`)"
            )));
        }
        match v {
            Value::Array(a) => open.extend(a.iter().filter(nests).map(|c| (c, depth + 1))),
            Value::Object(m) => open.extend(m.values().filter(nests).map(|c| (c, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// A value's JSON text, as the history records every state's input and output. Written into
/// bytes: `to_string` (`Display`) passes each token through a formatter, which made writing
/// payloads the largest cost of a Map over many items.
pub(crate) fn json_text(v: &Value) -> String {
    // Writing a `Value` into memory cannot fail: its keys are strings, its numbers finite.
    serde_json::to_string(v).unwrap_or_default()
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

/// The output half of a state that produces a result (Task, Parallel, Map): JSONPath's
/// ResultSelector, ResultPath and OutputPath, or JSONata's Output; then Assign and the transition.
pub(crate) struct Outputs<'a> {
    pub lang: Lang,
    pub selector: Option<&'a Value>,
    pub result_path: Option<&'a Option<String>>,
    pub io: &'a Io,
    pub output: Option<&'a Value>,
    pub assign: Option<&'a Value>,
    pub transition: &'a Transition,
}

/// The output processing of each state that has a result of its own.
macro_rules! outputs_of {
    ($($state:ty),*) => {$(
        impl $state {
            pub(crate) fn outputs(&self, lang: Lang) -> Outputs<'_> {
                Outputs {
                    lang,
                    selector: self.result_selector.as_ref(),
                    result_path: self.result_path.as_ref(),
                    io: &self.io,
                    output: self.output.as_ref(),
                    assign: self.assign.as_ref(),
                    transition: &self.transition,
                }
            }
        }
    )*};
}

outputs_of!(
    crate::definition::TaskState,
    crate::definition::ParallelState,
    crate::definition::MapState
);

impl Outputs<'_> {
    /// Returns the step and the variables the state assigns.
    pub(crate) fn apply(&self, input: Value, result: Value, ctx: &Context) -> Result<(Step, Option<Map<String, Value>>), StatesError> {
        match self.lang {
            Lang::JsonPath => {
                let selected = match self.selector {
                    Some(sel) => payload::apply(sel, &result, ctx)?,
                    None => result,
                };
                let assigned = assign_block(self.assign, "Assign", AssignFrom::JsonPath(&selected, ctx))?;
                let merged = result_path(self.result_path, input, selected)?;
                Ok((transition(self.transition, output_path(self.io, merged, ctx)?)?, assigned))
            }
            Lang::Jsonata => {
                let states = states_doc(&input, Some(&result), None, ctx);
                let assigned = assign_block(self.assign, "Assign", AssignFrom::Jsonata(states))?;
                let output = match self.output {
                    Some(o) => jsonata_field(o, "Output", &states)?,
                    None => result,
                };
                Ok((transition(self.transition, output)?, assigned))
            }
        }
    }
}
