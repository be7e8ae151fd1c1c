//! JSONata states: `{% … %}` expressions evaluated with `$states` and the workflow variables
//! bound, by the jsonata-core crate (a port of jsonata-js that passes its 1,686-case suite).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{Context as Bindings, Evaluator, EvaluatorError, EvaluatorOptions};
use jsonata_core::value::JValue;
use serde_json::{Map, Value};

use crate::context::ContextRead;
use crate::error::StatesError;
use crate::jsonata_references::{Reads, StatesRead};
use crate::{jsonata_blame, jsonata_errors};

pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";

/// The expression inside `{% … %}`, if the string is one.
pub fn expression(s: &str) -> Option<&str> {
    s.strip_prefix("{%")?.strip_suffix("%}").map(str::trim)
}

/// An expression parsed once, with the functions of Step Functions' own (and jsonata-js's that
/// Baton supplies) it names, which are bound when it is evaluated, and what it reads of
/// `$states` and the variables.
struct Parsed {
    ast: Rc<AstNode>,
    host_functions: Vec<&'static str>,
    reads: Reads,
}

/// The parsed expression, or the parser's message without its code, as AWS words it at
/// CreateStateMachine (`INVALID_JSONATA_EXPRESSION: Unexpected end of expression`, recorded in
/// floci-io/floci#2745 for `1 +`, `a[1,2)`, `{"a":}` and others).
pub fn parse(expr: &str) -> Result<Rc<AstNode>, String> {
    parsed(expr).map(|p| p.ast.clone())
}

fn parsed(expr: &str) -> Result<Rc<Parsed>, String> {
    thread_local! {
        static ASTS: RefCell<HashMap<String, Rc<Parsed>>> = RefCell::default();
    }
    ASTS.with(|cache| {
        if let Some(parsed) = cache.borrow().get(expr) {
            return Ok(parsed.clone());
        }
        let read = crate::jsonata_regex_literals::as_the_engine_reads(expr)?;
        let mut ast =
            jsonata_core::parser::parse(&read.source).map_err(|e| crate::jsonata_parse_errors::parse_message(&e.to_string(), expr))?;
        crate::jsonata_chain::as_jsonata_js_runs(&mut ast);
        if let Some(refused) = read.refused_once_parsed.or_else(|| crate::jsonata_version::refusal(&ast)) {
            return Err(refused);
        }
        // Before the transforms are rewritten: a transform's clauses are called where only the
        // functions Baton binds that the expression names are bound (`jsonata_transform`), so the
        // names this rewrite gives must be in the expression by then.
        crate::jsonata_stand_in_calls::as_jsonata_js_calls(&mut ast);
        crate::jsonata_transform::as_jsonata_js_runs(&mut ast);
        let ast = Rc::new(ast);
        // Called (`$now()`) or passed as a value (`$map(xs, $encodeUrl)`).
        let nodes = crate::jsonata_references::nodes(&ast);
        let (mut called, mut passed) = (Vec::new(), Vec::new());
        for node in &nodes {
            match node {
                AstNode::Function { name, args, .. } if crate::jsonata_functions::needed(name, args) => called.push(name.as_str()),
                AstNode::Variable(name) => passed.push(name.as_str()),
                _ => {}
            }
        }
        let backtracking = crate::jsonata_regex_backtracking::held(&nodes);
        let host_functions = crate::jsonata_functions::names()
            .filter(|name| (called.contains(name) || passed.contains(name)) && crate::jsonata_stand_ins::in_play(name, backtracking))
            .collect();
        let reads = crate::jsonata_references::reads(&ast);
        let parsed = Rc::new(Parsed {
            ast,
            host_functions,
            reads,
        });
        let mut cache = cache.borrow_mut();
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(expr.to_string(), parsed.clone());
        Ok(parsed)
    })
}

pub(crate) fn to_json(v: &JValue) -> Value {
    match v {
        // jsonata-core keeps numbers as f64; integers go back to JSON as integers, as jsonata-js
        // prints them.
        JValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 => Value::from(*n as i64),
        // JSON has no infinities: AWS answers `["Infinity"]` for `[1/0]` and `{"k":"Infinity"}`
        // for `{'k': 1/0}` (recorded in floci-io/floci#2783); NaN is read the same way.
        JValue::Number(n) if n.is_infinite() => Value::from(if *n > 0.0 { "Infinity" } else { "-Infinity" }),
        JValue::Number(n) if n.is_nan() => Value::from("NaN"),
        JValue::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        JValue::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        other => Value::from(other),
    }
}

/// Where an evaluation finds `$states` and the workflow variables. It is asked for what the
/// expression reads, and only that.
pub trait Source {
    /// `$states`: whole with `None`; with `Some(parts)`, it may hold those parts alone, as the
    /// expression reads no other.
    fn states(&self, parts: Option<&StatesParts>) -> Value;
    /// The variable of that name visible here, if the execution assigned one.
    fn variable(&self, name: &str) -> Option<Value>;
}

/// The parts of `$states` an expression reads by name: its members (`input`, `result`,
/// `errorOutput`; `context` is never one), and what it reads of the context object. An
/// expression that may read more is given `$states` whole.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StatesParts {
    pub members: Vec<MemberRead>,
    pub context: Vec<ContextRead>,
}

/// What an expression reads of a member of `$states` other than `context`: its name (`input`)
/// and the plain names read beneath it (`bucket` of `$states.input.bucket`).
pub type MemberRead = crate::partial::NamesRead<String>;

/// The values an expression sees, given whole: `$states` and every visible variable.
#[derive(Debug, Clone)]
pub struct Env<'a> {
    pub states: &'a Value,
    pub variables: &'a std::collections::BTreeMap<String, Value>,
}

impl Source for Env<'_> {
    fn states(&self, _parts: Option<&StatesParts>) -> Value {
        self.states.clone()
    }

    fn variable(&self, name: &str) -> Option<Value> {
        self.variables.get(name).cloned()
    }
}

thread_local! {
    /// When the expression being evaluated on this thread runs out of time.
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// AWS's bounds on one evaluation (`jsonata_errors`), for the expression's evaluator and for
/// those a function Baton binds makes to call the engine's builtins or the expression's own
/// functions (`jsonata_engine_calls`), which share what is left of the expression's time:
/// a function handed to `$reduce` or a transform's clause that loops for ever is stopped as one
/// in the expression is.
pub(crate) fn bounds() -> EvaluatorOptions {
    let left = DEADLINE.with(Cell::get).map_or(jsonata_errors::TIMEOUT_MS, |deadline| {
        u64::try_from(deadline.saturating_duration_since(Instant::now()).as_millis()).unwrap_or(u64::MAX)
    });
    EvaluatorOptions {
        timeout_ms: Some(left.max(1)),
        max_stack_depth: Some(jsonata_errors::MAX_DEPTH),
        max_sequence_length: Some(jsonata_errors::MAX_SEQUENCE),
        cancel: None,
    }
}

/// Whether the expression being evaluated on this thread has run past its time: a function
/// Baton binds that loops over an input asks between its steps, as the engine asks between its own.
pub(crate) fn out_of_time() -> bool {
    DEADLINE.with(Cell::get).is_some_and(|deadline| Instant::now() >= deadline)
}

/// The deadline of the outermost evaluation on this thread, from its start until it ends.
struct Deadline {
    outermost: bool,
}

impl Deadline {
    fn start() -> Self {
        let outermost = DEADLINE.with(Cell::get).is_none();
        if outermost {
            let deadline = Instant::now() + std::time::Duration::from_millis(jsonata_errors::TIMEOUT_MS);
            DEADLINE.with(|d| d.set(Some(deadline)));
        }
        Deadline { outermost }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if self.outermost {
            DEADLINE.with(|d| d.set(None));
        }
    }
}

/// Evaluates one expression; `None` when it yields nothing (JSONata's undefined). A variable
/// the execution never assigned is unbound, so undefined, as on AWS: `{"error": "{% $stateError
/// %}"}` fails with "… returned nothing (undefined)." (recorded in localstack/localstack,
/// tests/aws/services/stepfunctions/v2/states_variables/test_error_output.snapshot.json,
/// MAP_CATCH_ERROR_OUTPUT_WITH_RETRY, 2024-11-12).
pub fn evaluate(expr: &str, env: &(impl Source + ?Sized), field: &str) -> Result<Option<Value>, StatesError> {
    let parsed =
        parsed(expr).map_err(|e| StatesError::query_evaluation(field, format!("the JSONata expression '{expr}' does not parse: {e}")))?;
    let ast = &parsed.ast;
    let mut bindings = Bindings::new();
    for name in &parsed.reads.names {
        if let Some(value) = env.variable(crate::jsonata_stand_ins::written(name)) {
            bindings.bind(name.clone(), JValue::from(value));
        }
    }
    let states = match &parsed.reads.states {
        StatesRead::Nothing => None,
        StatesRead::Parts(parts) => Some(env.states(Some(parts))),
        StatesRead::Whole => Some(env.states(None)),
    };
    if let Some(states) = states {
        bindings.bind("states".to_string(), JValue::from(states));
    }
    let _deadline = Deadline::start();
    crate::jsonata_stand_ins::bind(&mut bindings, &parsed.host_functions);
    let mut evaluator = Evaluator::with_options(bindings, bounds());
    crate::jsonata_functions::register(&mut evaluator, &parsed.host_functions)
        .map_err(|e| StatesError::new(QUERY_EVALUATION_ERROR, format!("Step Functions' JSONata functions: {e}")))?;
    // AWS's wording, recorded in executions: "The JSONata expression '…' specified for the field
    // '…' threw an error during evaluation", then ". " and a coded JSONata message, or ": " and
    // a bare one (tests/conformance/jsonata.json cites the recordings).
    // With no context item: the input is `$states.input` (see `there_is_no_context_item`).
    let result = match guarded(&mut evaluator, ast, &JValue::Undefined) {
        Ok(result) => result,
        Err(e) if e.message() == jsonata_errors::INTERNAL => {
            return Err(StatesError::query_evaluation(
                field,
                format!(
                    "The JSONata expression '{expr}' specified for the field '{field}' threw an internal error during evaluation. {}",
                    uuid::Uuid::new_v4()
                ),
            ));
        }
        Err(e) => {
            // An operand or argument evaluates on its own, with the context item it is given:
            // none at the top, where only `$states` and variables are read, or an item a filter
            // reads.
            let mut value_of = |node: &AstNode, context: &JValue| guarded(&mut evaluator, node, context).ok();
            let reworded = jsonata_blame::in_jsonata_js_words(e.message(), ast, &mut value_of);
            let (separator, message) = jsonata_errors::in_aws_words(reworded.as_deref().unwrap_or(e.message()));
            return Err(StatesError::query_evaluation(
                field,
                format!(
                    "The JSONata expression '{expr}' specified for the field '{field}' threw an error during evaluation{separator}{message}"
                ),
            ));
        }
    };
    match result {
        JValue::Undefined => Ok(None),
        // A function is no JSON: AWS fails the field (recorded in localstack/localstack,
        // tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json,
        // test_map_state_items_eval_jsonata_fail[function], 2024-11-19).
        JValue::Lambda(_) | JValue::Builtin { .. } | JValue::Regex { .. } => Err(StatesError::query_evaluation(
            field,
            format!("The JSONata expression '{expr}' specified for the field '{field}' returned an unsupported result type."),
        )),
        v => Ok(Some(to_json(&v))),
    }
}

/// `node` evaluated with `context`, the engine's panic taken for its internal error: it panics
/// on some numbers an input may give (`$substring('abc', 1e300)` adds past `usize` in a debug
/// build), which is its failure, not the execution's, as AWS's internal error is AWS's. The
/// evaluator is not used again after a panic but to evaluate other nodes, each on its own.
fn guarded(evaluator: &mut Evaluator, node: &AstNode, context: &JValue) -> Result<JValue, EvaluatorError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| evaluator.evaluate(node, context)))
        .unwrap_or_else(|_| Err(EvaluatorError::EvaluationError(jsonata_errors::INTERNAL.into())))
}

/// A field's expression yielded a value of the wrong type, in AWS's words: "… returned an
/// unexpected result type. Expected 'array', but was 'object' for value: {"foo":"bar"}"
/// (recorded in localstack/localstack, tests/aws/services/stepfunctions/v2/scenarios/
/// test_base_scenarios.snapshot.json, test_map_state_items_variable_sampling, 2024-11-19).
pub(crate) fn unexpected_type(expr: &str, field: &str, expected: &str, value: &Value) -> StatesError {
    let was = crate::path::type_of(value);
    StatesError::query_evaluation(
        field,
        format!(
            "The JSONata expression '{expr}' specified for the field '{field}' returned an unexpected result type. Expected '{expected}', but was '{was}' for value: {value}"
        ),
    )
}

/// Evaluates a field that is JSON with `{% %}` strings anywhere inside. Every expression must
/// yield something, at the top or inside an object or array: AWS fails the state with
/// "The JSONata expression '…' specified for the field 'Output/a/b' returned nothing
/// (undefined)." rather than drop the member (recorded executions, tests/conformance/jsonata.json).
pub fn template(value: &Value, env: &(impl Source + ?Sized), field: &str) -> Result<Value, StatesError> {
    match value {
        Value::String(s) => match expression(s) {
            Some(expr) => evaluate(expr, env, field)?.ok_or_else(|| {
                StatesError::query_evaluation(
                    field,
                    format!("The JSONata expression '{expr}' specified for the field '{field}' returned nothing (undefined)."),
                )
            }),
            None => Ok(value.clone()),
        },
        Value::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (k, v) in fields {
                out.insert(k.clone(), template(v, env, &format!("{field}/{k}"))?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| template(v, env, &format!("{field}[{i}]")))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env_result(expr: &str, states: Value, vars: Value) -> Result<Option<Value>, StatesError> {
        let variables = serde_json::from_value(vars).unwrap();
        evaluate(
            expr,
            &Env {
                states: &states,
                variables: &variables,
            },
            "f",
        )
    }

    fn env_eval(expr: &str, states: Value, vars: Value) -> Option<Value> {
        env_result(expr, states, vars).unwrap()
    }

    /// An expression has no context item: AWS refuses a top-level name for that reason
    /// (jsonata_references), and jsonata-js's "no input" is undefined, so a function that falls
    /// back on the context item gets nothing (jsonata-js 2.0.6: `$string()` and `$boolean()` are
    /// undefined with no input, "null" and false with a null one).
    #[test]
    fn there_is_no_context_item() {
        assert_eq!(env_eval("$string()", json!({}), json!({})), None);
        assert_eq!(env_eval("$boolean()", json!({}), json!({})), None);
        assert_eq!(env_eval("$split('a,b', 1)", json!({}), json!({})), None);
    }

    /// Numbers an input may give that the engine cannot take: each fails the field, none ends
    /// the process (each panicked, exhausted the memory or overflowed the stack before).
    #[test]
    fn numbers_the_engine_cannot_take_fail_the_field() {
        let states = json!({"input": {"huge": 1e300, "wide": 1e10, "roman": 1e21}});
        for expr in [
            "$substring('abc', $states.input.huge)",
            "$pad('x', $states.input.wide)",
            "$formatInteger($states.input.roman, 'I')",
            "$formatInteger($states.input.wide / 0, 'w')",
            "$formatInteger($states.input.wide % 0, 'Ww;o')",
            "$fromMillis(0, '[Y,-4294967296]')",
            "$fromMillis(0, '[f,100000000]')",
            "$now('[D,' & $string($states.input.wide) & ']')",
        ] {
            let failed = env_result(expr, states.clone(), json!({})).unwrap_err();
            assert_eq!(failed.error, QUERY_EVALUATION_ERROR, "{expr}");
        }
    }

    /// A function handed to a function Baton binds, or a transform's clause, runs in an
    /// evaluator of its own: one that loops for ever ran for ever there (the engine's own
    /// bounds were not set on it) and is now stopped when the expression's time is up.
    #[test]
    fn a_function_that_loops_for_ever_where_baton_calls_it_is_stopped() {
        for expr in [
            "($f := function($n){ $f($n) }; $reduce([1, 2], function($a, $b){ $f(1) }))",
            "($f := function($n){ $f($n) }; {'a': {}} ~> |a|{'x': $f(1)}|)",
        ] {
            let failed = env_result(expr, json!({"input": {}}), json!({})).unwrap_err();
            assert!(
                failed.cause.ends_with("Expression evaluation timeout: Check for infinite loop"),
                "{expr}: {}",
                failed.cause
            );
        }
    }

    #[test]
    fn states_and_variables_are_bound() {
        assert_eq!(
            env_eval("$states.input.a + $x", json!({"input": {"a": 2}}), json!({"x": 3})),
            Some(json!(5))
        );
        assert_eq!(env_eval("$states.input.missing", json!({"input": {}}), json!({})), None);
        assert_eq!(env_eval("$sum([1, 2.5])", json!({}), json!({})), Some(json!(3.5)));
    }

    #[test]
    fn an_undefined_member_fails_the_field_naming_its_path() {
        let states = json!({"input": {"a": 1}});
        let vars = Default::default();
        let env = Env {
            states: &states,
            variables: &vars,
        };
        let out = template(&json!({"a": "{% $states.input.a %}", "lit": ["x", "{% 2 %}"]}), &env, "Output").unwrap();
        assert_eq!(out, json!({"a": 1, "lit": ["x", 2]}));
        let nested = template(&json!({"a": {"b": "{% $states.input.b %}"}}), &env, "Output").unwrap_err();
        assert_eq!(
            (nested.error.as_str(), nested.cause.as_str()),
            (
                QUERY_EVALUATION_ERROR,
                "The JSONata expression '$states.input.b' specified for the field 'Output/a/b' returned nothing (undefined)."
            )
        );
        let thrown = template(&json!("{% $$bad( %}"), &env, "Output").unwrap_err();
        assert_eq!(thrown.error, QUERY_EVALUATION_ERROR);
    }
}
