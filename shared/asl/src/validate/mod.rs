//! Definition checks, as `ValidateStateMachineDefinition` makes them: every problem is reported,
//! each with Step Functions' diagnostic code and a JSON pointer to where it is. This module walks
//! machines and shared field kinds (paths, templates, JSONata, Assign, Retry/Catch); `state`
//! checks each state type's own fields.

mod bounds;
mod credentials;
mod duplicates;
mod express;
mod item_batcher;
mod labels;
mod map_numbers;
mod reader_config;
mod scopes;
mod state;
mod warnings;

pub use warnings::warnings;

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;

use crate::error::{Diagnostic, MAX_NESTING};
use crate::intrinsics;
use crate::path::Path;

/// AWS's words for a Task's Resource that is no ARN; a placeholder left unsubstituted is the
/// usual cause, which a tool may point out.
pub const RESOURCE_NOT_AN_ARN: &str = "Value is not a valid resource ARN";

/// What a field holding a JSONPath may hold, which decides AWS's words when it holds none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PathField {
    /// A Path (InputPath, OutputPath, ItemsPath, the `…Path` numbers): any JSONPath.
    Plain,
    /// A Reference Path (ResultPath): one node of the state's input, no wildcard, no `$$`.
    Reference,
    /// A Choice rule's condition path (its Variable, a `…Path` operand): any JSONPath, which AWS
    /// names a Reference Path when it does not start with `$`.
    Condition,
}

pub(super) struct Checker {
    problems: Vec<Diagnostic>,
    /// Every state name met so far, in every nested machine: names are unique in the whole
    /// state machine.
    names: BTreeSet<String>,
    /// Every Distributed Map label met so far: labels are unique in the whole state machine.
    labels: BTreeSet<String>,
    /// Which of `$states`' fields the JSONata being checked may read.
    view: StatesView,
    /// The names each machine being checked assigns, the outermost first (`scopes`).
    scopes: Vec<BTreeSet<String>>,
}

/// What `$states` holds besides `input` and `context` where a JSONata expression is evaluated
/// (the Amazon States Language specification on `$states`): a Task, Map or Parallel
/// state's result in its own top-level Output and Assign, the error output in a catcher's. AWS
/// refuses a read of either field anywhere else: "Field '$states.errorOutput' does not exist."
/// for the error output in a Task's Arguments (a Terraform apply quoted in anomalyco/sst#6110),
/// and a definition whose Pass state's Output reads `$states.result` (a public Step Functions
/// conformance catalogue whose cases run against AWS, Feature.JSONataValidation 002).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum StatesView {
    /// What the state was entered with: `input` and `context` only.
    Entry,
    /// A Task, Map or Parallel state's own Output and Assign: its `result` too.
    Result,
    /// A catcher's Output and Assign: the `errorOutput` too.
    Error,
}

impl StatesView {
    /// The fields `$states` lacks here.
    fn missing(self) -> &'static [&'static str] {
        match self {
            Self::Entry => &["result", "errorOutput"],
            Self::Result => &["errorOutput"],
            Self::Error => &["result"],
        }
    }
}

/// The schema validator's sentences, as ValidateStateMachineDefinition words them (recorded in
/// the cases their callers cite): a field the object does not take, one it needs, several it
/// needs.
pub(super) fn not_supported(field: &str) -> String {
    format!("Field '{field}' is not supported")
}

pub(super) fn required(field: &str) -> String {
    format!("The field '{field}' is required")
}

pub(super) fn all_required(fields: &[&str]) -> String {
    format!("These fields are required: [{}]", fields.join(", "))
}
impl Checker {
    pub(super) fn report(&mut self, code: &'static str, message: impl Into<String>, location: &str) {
        self.problems.push(Diagnostic {
            code,
            message: message.into(),
            location: location.to_string(),
        });
    }

    /// Checks with `view` in force, then restores the one before.
    pub(super) fn viewing(&mut self, view: StatesView, check: impl FnOnce(&mut Self)) {
        let before = std::mem::replace(&mut self.view, view);
        check(self);
        self.view = before;
    }

    /// Two fields of which an object takes one, in AWS's words (floci-io/floci#3733, measured
    /// on AWS for MaxConcurrency and MaxConcurrencyPath).
    pub(super) fn exclusive(&mut self, fields: &serde_json::Map<String, Value>, (a, b): (&str, &str), location: &str) {
        if fields.contains_key(a) && fields.contains_key(b) {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("There should only be one of the following fields: [{a}, {b}]"),
                location,
            );
        }
    }

    /// A field that holds a number, or in a JSONata state an expression that yields one when
    /// it runs: the number, when it is one.
    pub(super) fn number_or_expression(&mut self, value: Option<&Value>, field: &str, location: &str, jsonata: bool) -> Option<f64> {
        match value {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(e)) if jsonata && crate::jsonata::expression(e).is_some() => {
                self.jsonata(value, location);
                None
            }
            Some(_) => {
                let or = if jsonata { " or a JSONata expression" } else { "" };
                self.report("SCHEMA_VALIDATION_FAILED", format!("{field} must be a number{or}"), location);
                None
            }
        }
    }

    /// A JSONPath field, refused in AWS's words: "SCHEMA_VALIDATION_FAILED: Value must be a
    /// valid JSONPath. at /States/Pass/OutputPath" for an OutputPath of "Test" (a CloudFormation
    /// deployment's answer, aws-cloudformation/cfn-lint#4078), "Value is not a Reference Path:
    /// Reference path didn't start with '$'" for a Choice Variable of "Test" (cfn-lint#4076, and
    /// a Terraform apply quoted in a blog post) and "Value is not a Reference Path" for a
    /// Reference Path that is a path but not one node (floci-io/floci#3733, measured on AWS).
    pub(super) fn path(&mut self, value: Option<&Value>, location: &str, field: PathField) {
        let Some(v) = value else { return };
        if v.is_null() {
            return; // `null` has its own meaning for InputPath, OutputPath and ResultPath
        }
        let Some(text) = v.as_str() else {
            self.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: String", location);
            return;
        };
        let valid = match field {
            PathField::Reference => is_reference_path(text),
            PathField::Plain | PathField::Condition => path_problem(text).is_none(),
        };
        if valid
            && field == PathField::Reference
            && let Some(depth) = Path::parse(text).ok().map(|p| p.depth()).filter(|d| *d > MAX_NESTING)
        {
            // Writing there nests the input that deep at once; AWS states no bound.
            let message = format!("the Reference Path is {depth} steps deep; Baton writes at most {MAX_NESTING}");
            self.report("SCHEMA_VALIDATION_FAILED", message, location);
        }
        if !valid {
            let message = match field {
                PathField::Reference | PathField::Condition if !text.starts_with('$') => {
                    "Value is not a Reference Path: Reference path didn't start with '$'"
                }
                PathField::Reference => "Value is not a Reference Path",
                PathField::Plain | PathField::Condition => "Value must be a valid JSONPath.",
            };
            self.report("SCHEMA_VALIDATION_FAILED", message, location);
        }
    }

    /// `.$` keys in Parameters, ResultSelector, ItemSelector and Assign hold a path or an
    /// intrinsic. AWS refuses any other value in one sentence naming the field, located at the
    /// object that holds it ("… at /States/P/Parameters"); Baton adds what it found wrong.
    pub(super) fn template(&mut self, value: Option<&Value>, location: &str) {
        let Some(template) = value else { return };
        each_template_field(template, location, &mut |key, value, holder| {
            if key.ends_with(".$")
                && let Some(problem) = dollar_field_problem(value)
            {
                let message = format!("{} ({problem})", dollar_field_refused(key));
                self.report("SCHEMA_VALIDATION_FAILED", message, holder);
            }
        });
    }

    pub(super) fn error_lists(&mut self, list: Option<&Value>, location: &str, kind: &str, jsonata: bool) {
        let Some(entries) = list.and_then(Value::as_array) else { return };
        for (i, entry) in entries.iter().enumerate() {
            let here = format!("{location}/{i}");
            let Some(equals) = entry.get("ErrorEquals").and_then(Value::as_array) else {
                self.report("SCHEMA_VALIDATION_FAILED", all_required(&["ErrorEquals"]), &here);
                continue;
            };
            if equals.is_empty() {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "ErrorEquals must not be empty",
                    &format!("{here}/ErrorEquals"),
                );
            }
            // One sentence for States.ALL beside other names and in a retrier or catcher before
            // the last, in AWS's words (recorded with ValidateStateMachineDefinition for both, in
            // Retry and in Catch: gabrielmoreira/tiny-asl-machine, tests/conformance/cases/
            // .snapshots/aws/Validation.Structure-004 to -007).
            if equals.iter().any(|e| e == "States.ALL") && (equals.len() > 1 || i + 1 != entries.len()) {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "States.ALL must appear alone and at end of list",
                    &format!("{here}/ErrorEquals"),
                );
            }
            if kind == "Catcher" {
                self.path(entry.get("ResultPath"), &format!("{here}/ResultPath"), PathField::Reference);
                // A catcher's Output and Assign read the error output, and its Assign names
                // variables as a state's does (ASL spec, "Catchers" and "Assign").
                self.viewing(StatesView::Error, |c| {
                    c.jsonata(entry.get("Output"), &format!("{here}/Output"));
                    c.assign(entry.get("Assign"), &format!("{here}/Assign"), jsonata);
                });
            }
            if kind == "Retrier" {
                self.retrier_numbers(entry, &here);
            }
            if let Some(rate) = entry.get("BackoffRate").and_then(Value::as_f64)
                && rate < 1.0
            {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "BackoffRate must be at least 1.0",
                    &format!("{here}/BackoffRate"),
                );
            }
        }
    }

    /// Every JSONata `{% %}` string inside a field must parse.
    pub(super) fn jsonata(&mut self, value: Option<&Value>, location: &str) {
        match value {
            Some(Value::String(text)) => {
                if let Some(expr) = crate::jsonata::expression(text) {
                    match crate::jsonata::parse(expr) {
                        Err(e) => self.report("INVALID_JSONATA_EXPRESSION", e, location),
                        Ok(ast) => {
                            for name in crate::jsonata_references::top_level_references(&ast) {
                                self.report(
                                    "UNSUPPORTED_JSONATA_EXPRESSION",
                                    format!("Reference to '{name}' at the top level is not supported."),
                                    location,
                                );
                            }
                            for field in self.view.missing() {
                                if crate::jsonata_references::reads_states(&ast, field) {
                                    self.report(
                                        "UNSUPPORTED_JSONATA_EXPRESSION",
                                        format!("Field '$states.{field}' does not exist."),
                                        location,
                                    );
                                }
                            }
                        }
                    }
                }
            }
            Some(Value::Object(fields)) => {
                for (k, v) in fields {
                    self.jsonata(Some(v), &format!("{location}/{k}"));
                }
            }
            Some(Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    self.jsonata(Some(v), &format!("{location}/{i}"));
                }
            }
            _ => {}
        }
    }

    pub(super) fn assign(&mut self, value: Option<&Value>, location: &str, jsonata: bool) {
        let Some(value) = value else { return };
        let Some(fields) = value.as_object() else {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                "Assign must be an object of variable names to values",
                location,
            );
            return;
        };
        for key in fields.keys() {
            let name = if jsonata {
                key.as_str()
            } else {
                key.strip_suffix(".$").unwrap_or(key)
            };
            self.unshadowed(name, &format!("{location}/{key}"));
            if !crate::variables::valid_name(name) {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    format!(
                        "\"{name}\" is not a valid variable name (letters, digits and '_', not starting with a digit; 'states' is reserved)"
                    ),
                    &format!("{location}/{key}"),
                );
            }
        }
        if jsonata {
            self.jsonata(Some(value), location);
        } else {
            self.template(Some(value), location);
        }
    }

    pub(super) fn machine(&mut self, m: &Value, location: &str, inherited: bool) {
        let Some(m) = m.as_object() else {
            self.report("SCHEMA_VALIDATION_FAILED", "A state machine must be an object", location);
            return;
        };
        let jsonata = match m.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => true,
            Some("JSONPath") if inherited => {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "a JSONata state machine cannot contain JSONPath states",
                    &format!("{location}/QueryLanguage"),
                );
                false
            }
            Some("JSONPath") => false,
            Some(other) => {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    format!("QueryLanguage is JSONPath or JSONata, not {other}"),
                    &format!("{location}/QueryLanguage"),
                );
                inherited
            }
            None => inherited,
        };
        let at = |f: &str| format!("{location}/{f}");
        // The required fields are named together, and the machine's own place is "/" at the top
        // (AWS's "These fields are required: [States, StartAt]" at "/" for `{}`, recorded in
        // localstack/localstack, tests/aws/services/stepfunctions/v2/
        // test_sfn_api_validation.snapshot.json, EMPTY_DICT, 2025-10-19).
        let missing: Vec<&str> = ["States", "StartAt"].into_iter().filter(|f| !m.contains_key(*f)).collect();
        if !missing.is_empty() {
            let here = if location.is_empty() { "/" } else { location };
            self.report("SCHEMA_VALIDATION_FAILED", all_required(&missing), here);
        }
        let states = match m.get("States") {
            // AWS goes on to find StartAt naming no state and no terminal state (recorded with
            // ValidateStateMachineDefinition: gabrielmoreira/tiny-asl-machine,
            // tests/conformance/cases/.snapshots/aws/Validation.BasicStructure-005).
            Some(Value::Object(s)) => {
                if s.is_empty() {
                    self.report("SCHEMA_VALIDATION_FAILED", state::EMPTY, &at("States"));
                }
                s
            }
            Some(_) => {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "States must be an object of named states",
                    &at("States"),
                );
                return;
            }
            None => return,
        };
        let start = m.get("StartAt").and_then(Value::as_str);
        match start {
            None if m.contains_key("StartAt") => self.report(
                "SCHEMA_VALIDATION_FAILED",
                "StartAt must be a string naming the first state",
                &at("StartAt"),
            ),
            None => {}
            Some(s) if !states.contains_key(s) => {
                self.report("MISSING_TRANSITION_TARGET", format!("Missing 'Next' target: {s}"), &at("StartAt"))
            }
            _ => {}
        }
        self.scopes.push(scopes::assigned(states));
        for (name, state) in states {
            let here = format!("{location}/States/{name}");
            // A name met in an enclosing or earlier machine (a Map's processor and the machine
            // around it, say) is a duplicate as much as one given twice in one object:
            // "DUPLICATE_STATE_NAME: Duplicate State name: ScanService", recorded for a state of
            // a Map's iterator.
            if !self.names.insert(name.clone()) {
                self.problems.push(duplicates::duplicate(name, &here));
            }
            self.state(name, state, states, &here, jsonata);
        }
        self.scopes.pop();
        // Reachability from StartAt; from a StartAt naming no state nothing is reachable, as AWS
        // answers ("Missing 'Next' target: aws_own.run_step at /StartAt, … State \"run_step\" is
        // not reachable. at /States/run_step", serverless-operations/serverless-step-functions#250).
        if let Some(start) = start {
            let mut seen = BTreeSet::new();
            let mut queue = VecDeque::new();
            if states.contains_key(start) {
                seen.insert(start.to_string());
                queue.push_back(start.to_string());
            }
            while let Some(name) = queue.pop_front() {
                for next in state::targets(&states[&name]) {
                    if states.contains_key(&next) && seen.insert(next.clone()) {
                        queue.push_back(next);
                    }
                }
            }
            // As AWS answers (floci-io/floci#2735 and #2786, measured with
            // validate-state-machine-definition; localstack/localstack#12487, on AWS): a
            // machine with no terminal state is one MISSING_END_STATE with no location, which
            // stands for the unreachable states too; otherwise each state nothing routes to is
            // a MISSING_TRANSITION_TARGET, `State "C" is not reachable.` at /States/C.
            // A state with no Type is no state, so its End does not count (AWS answered a lone
            // `{"End": true}` with both "The field 'Type' is required" and this; Validation.
            // BasicStructure-001 above).
            let terminal = states.values().any(|s| match s.get("Type").and_then(Value::as_str) {
                Some("Succeed" | "Fail") => true,
                Some(_) => s.get("End") == Some(&Value::Bool(true)),
                None => false,
            });
            if !terminal {
                self.report("MISSING_END_STATE", "Workflow has no terminal state", "");
                return;
            }
            for name in states.keys().filter(|n| !seen.contains(*n)) {
                self.report(
                    "MISSING_TRANSITION_TARGET",
                    format!("State \"{name}\" is not reachable."),
                    &format!("{location}/States/{name}"),
                );
            }
        }
    }
}

/// Calls `visit` with every field of a payload template, at any depth, and where the object
/// holding it stands (`/States/P/Parameters/Payload`). A `.$` field's value is a path or an
/// intrinsic, not a template, so the walk does not enter it; arrays are entered element by
/// element.
pub(crate) fn each_template_field(template: &Value, at: &str, visit: &mut dyn FnMut(&str, &Value, &str)) {
    match template {
        Value::Object(fields) => {
            for (key, value) in fields {
                visit(key, value, at);
                if !key.ends_with(".$") {
                    each_template_field(value, &format!("{at}/{key}"), visit);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                each_template_field(item, &format!("{at}/{i}"), visit);
            }
        }
        _ => {}
    }
}

/// Calls `visit` with every state of `definition` and where it stands (`/States/A`,
/// `/States/M/ItemProcessor/States/B`), each state before the branches and item processor it
/// holds.
pub(crate) fn each_state(definition: &Value, at: &str, visit: &mut dyn FnMut(&Value, &str)) {
    let Some(states) = definition.get("States").and_then(Value::as_object) else {
        return;
    };
    for (name, state) in states {
        let here = format!("{at}/States/{name}");
        visit(state, &here);
        for (i, branch) in state.get("Branches").and_then(Value::as_array).into_iter().flatten().enumerate() {
            each_state(branch, &format!("{here}/Branches/{i}"), visit);
        }
        for field in ["ItemProcessor", "Iterator"] {
            if let Some(inner) = state.get(field) {
                each_state(inner, &format!("{here}/{field}"), visit);
            }
        }
    }
}

/// Every problem in a definition for a state machine of `workflow`'s kind, as
/// `ValidateStateMachineDefinition` with its `type` would list them.
pub fn validate_for(definition: &Value, workflow: &crate::Workflow) -> Vec<Diagnostic> {
    let mut problems = validate(definition);
    if matches!(workflow, crate::Workflow::Express { .. }) {
        problems.extend(express::problems(definition));
    }
    problems
}

/// The state names a definition's text gives twice in one `States` object, which its parsed
/// value no longer shows.
pub(crate) fn names_given_twice(text: &str) -> Vec<Diagnostic> {
    duplicates::in_states_objects(text)
}

/// Every problem in a definition, as `ValidateStateMachineDefinition` would list them.
pub fn validate(definition: &Value) -> Vec<Diagnostic> {
    let mut c = Checker {
        problems: Vec::new(),
        names: BTreeSet::new(),
        labels: BTreeSet::new(),
        view: StatesView::Entry,
        scopes: Vec::new(),
    };
    if let Some(top) = definition.as_object() {
        for field in top.keys().filter(|k| {
            !matches!(
                k.as_str(),
                "Comment" | "StartAt" | "States" | "Version" | "TimeoutSeconds" | "QueryLanguage"
            )
        }) {
            c.report("SCHEMA_VALIDATION_FAILED", not_supported(field), &format!("/{field}"));
        }
    }
    c.bounded_seconds(definition.get("TimeoutSeconds"), "/TimeoutSeconds", false);
    c.machine(definition, "", false);
    c.problems
}

#[cfg(test)]
mod distributed_map_tests;
#[cfg(test)]
mod jsonata_tests;
#[cfg(test)]
mod tests;

/// What is wrong with a JSONPath written in a definition, if anything, in Baton's detail (which
/// a `.$` field's refusal adds to AWS's sentence). `$$…` reads the context object and `$name…`
/// a variable, then a path into its value.
fn path_problem(text: &str) -> Option<String> {
    let parsed = match text.strip_prefix("$$") {
        Some(rest) => Path::parse(&format!("${rest}")),
        None => match crate::path::variable_path(text) {
            Some((_, tail)) => Path::parse(&format!("${tail}")),
            None => Path::parse(text),
        },
    };
    parsed.err().map(|_| format!("Value is not a valid JSON path: \"{text}\""))
}

/// A Reference Path names one node of the state's input: no wildcard, no context object, no
/// variable.
fn is_reference_path(text: &str) -> bool {
    !text.starts_with("$$") && !names_variable(text) && Path::parse(text).is_ok_and(|p| p.is_reference())
}

fn names_variable(text: &str) -> bool {
    crate::path::variable_path(text).is_some()
}

/// What is wrong with the value of a `.$` field, if anything: it must be a string holding a
/// JSONPath or an intrinsic call that parses.
pub(crate) fn dollar_field_problem(value: &Value) -> Option<String> {
    match value.as_str() {
        Some(expr) if intrinsics::is_intrinsic(expr) => intrinsics::parse(expr).err().map(|e| e.cause),
        Some(text) => path_problem(text),
        None => Some(format!("{value} is not a string")),
    }
}

/// AWS's sentence for a `.$` field that holds neither, when the definition is created
/// (recorded in a Terraform apply against AWS: "ERROR (SCHEMA_VALIDATION_FAILED): The value for
/// the field 'Message.$' must be a valid JSONPath or a valid intrinsic function call") and when
/// a task's resolved Parameters still hold one.
pub(crate) fn dollar_field_refused(field: &str) -> String {
    format!("The value for the field '{field}' must be a valid JSONPath or a valid intrinsic function call")
}
