//! Each state type's own fields, and Choice rules.

use serde_json::{Map, Value};

use super::map_numbers::{COUNT, Range};
use super::{Checker, PathField, StatesView, all_required, not_supported, required};
use crate::definition::allowed_fields;
use crate::intrinsics;

impl Checker {
    pub(super) fn state(&mut self, name: &str, state: &Value, states: &Map<String, Value>, here: &str, machine_jsonata: bool) {
        let at = |f: &str| format!("{here}/{f}");
        // AWS's own code and words (quoted from CreateStateMachine in asl-validator#69 and
        // cfn-lint#4079).
        if name.chars().count() > 80 {
            self.report(
                "INVALID_STATE_NAME",
                format!("Invalid State name: State '{name}' exceeds the 80-character limit allowed by the service"),
                here,
            );
        }
        let Some(fields) = state.as_object() else {
            self.report("SCHEMA_VALIDATION_FAILED", "A state must be an object", here);
            return;
        };
        // AWS's words for a state with no Type, one of a type it does not know, and one with
        // neither or both of Next and End (recorded with ValidateStateMachineDefinition:
        // gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/aws/
        // Validation.BasicStructure-001, -002, -004).
        let Some(ty) = fields.get("Type").and_then(Value::as_str) else {
            self.report("SCHEMA_VALIDATION_FAILED", required("Type"), here);
            return;
        };
        let jsonata = match fields.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => true,
            // AWS's words, at the state (floci-io/floci#2968, measured with
            // ValidateStateMachineDefinition).
            Some("JSONPath") if machine_jsonata => {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                    here,
                );
                false
            }
            Some("JSONPath") => false,
            Some(other) => {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    format!("QueryLanguage is JSONPath or JSONata, not {other}"),
                    &at("QueryLanguage"),
                );
                machine_jsonata
            }
            None => machine_jsonata,
        };
        let Some(allowed) = allowed_fields(ty, jsonata) else {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]",
                &at("Type"),
            );
            return;
        };
        // AWS's words, at the state: a field of the other query language is named as such
        // (floci-io/floci#2968 and #3733), any other as not supported (#2735).
        let language = |jsonata: bool| if jsonata { "JSONata" } else { "JSONPath" };
        for field in fields.keys().filter(|k| !allowed.contains(&k.as_str())) {
            let other_language = allowed_fields(ty, !jsonata).is_some_and(|other| other.contains(&field.as_str()));
            let message = if other_language {
                format!(
                    "The QueryLanguage is set to '{}', but field '{field}' is only supported for the '{}' QueryLanguage",
                    language(jsonata),
                    language(!jsonata)
                )
            } else {
                not_supported(field)
            };
            self.report("SCHEMA_VALIDATION_FAILED", message, here);
        }
        // A transition to no state is named `Next` wherever it is, at AWS's bracketed place
        // (`/States/C/Choices[0]/Next`, `/States/T/Catch[0]/Next`, `/States/A/Default`; floci-io/
        // floci#2786, measured on AWS).
        let target = |c: &mut Self, v: Option<&Value>, loc: &str| match v {
            Some(Value::String(t)) if !states.contains_key(t) => {
                c.report("MISSING_TRANSITION_TARGET", format!("Missing 'Next' target: {t}"), &bracketed(loc));
            }
            Some(Value::String(_)) | None => {}
            Some(_) => c.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: String", loc),
        };
        if !matches!(ty, "Choice" | "Succeed" | "Fail") {
            let next = fields.get("Next");
            let end = fields.get("End") == Some(&Value::Bool(true));
            if fields.get("End").is_some_and(|e| !e.is_boolean()) {
                self.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: Boolean", &at("End"));
            }
            if next.is_some() == end {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "This object should have only one of the following fields: [Next, End]",
                    here,
                );
            } else {
                target(self, next, &at("Next"));
            }
        }
        // A Task, Map or Parallel state's own Output and Assign read its result.
        let view = if matches!(ty, "Task" | "Map" | "Parallel") {
            StatesView::Result
        } else {
            StatesView::Entry
        };
        if jsonata {
            self.viewing(view, |c| c.jsonata(fields.get("Output"), &at("Output")));
            for f in [
                "Arguments",
                "Items",
                "ItemSelector",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Seconds",
                "Timestamp",
                "Error",
                "Cause",
                "Credentials",
            ] {
                self.jsonata(fields.get(f), &at(f));
            }
        } else {
            for f in ["InputPath", "OutputPath"] {
                self.path(fields.get(f), &at(f), PathField::Plain);
            }
            self.path(fields.get("ResultPath"), &at("ResultPath"), PathField::Reference);
            for f in ["Parameters", "ResultSelector", "ItemSelector", "Credentials"] {
                self.template(fields.get(f), &at(f));
            }
        }
        self.viewing(view, |c| c.assign(fields.get("Assign"), &at("Assign"), jsonata));
        self.error_lists(fields.get("Retry"), &at("Retry"), "Retrier", jsonata);
        self.error_lists(fields.get("Catch"), &at("Catch"), "Catcher", jsonata);
        for (i, c) in fields.get("Catch").and_then(Value::as_array).into_iter().flatten().enumerate() {
            match c.get("Next") {
                None => self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Next"]), &format!("{here}/Catch/{i}")),
                next => target(self, next, &format!("{here}/Catch/{i}/Next")),
            }
        }
        // Step Functions' schema caps each of these (recorded: "SCHEMA_VALIDATION_FAILED: Maximum
        // value is 99999999 at /States/Wait/Seconds", aws-cloudformation/cfn-lint#4075).
        for f in ["Seconds", "TimeoutSeconds", "HeartbeatSeconds"] {
            self.bounded_seconds(fields.get(f), &at(f), jsonata);
        }
        let exclusive = |c: &mut Self, a: &str, b: &str| c.exclusive(fields, (a, b), here);
        match ty {
            "Task" => {
                match fields.get("Resource") {
                    None => self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Resource"]), here),
                    // AWS's words for a Resource that is no ARN, a SAM or CDK placeholder left
                    // unsubstituted among them ("SCHEMA_VALIDATION_FAILED: Value is not a valid
                    // resource ARN at /States/ResolveConfig/Resource", quoted in two projects'
                    // deployment notes).
                    Some(Value::String(arn)) if !crate::resource::is_arn(arn) => {
                        self.report("SCHEMA_VALIDATION_FAILED", super::RESOURCE_NOT_AN_ARN, &at("Resource"));
                    }
                    Some(Value::String(arn)) => {
                        if let Some(refusal) = crate::integration_patterns::refusal(arn) {
                            self.report("SCHEMA_VALIDATION_FAILED", refusal, &at("Resource"));
                        }
                    }
                    Some(_) => {}
                }
                if let (Some(Value::String(resource)), Some(parameters)) = (fields.get("Resource"), fields.get("Parameters")) {
                    for problem in crate::integration_fields::problems(resource, parameters) {
                        self.report("SCHEMA_VALIDATION_FAILED", problem, &at("Parameters"));
                    }
                }
                self.credentials(fields.get("Credentials"), &at("Credentials"), jsonata);
                exclusive(self, "TimeoutSeconds", "TimeoutSecondsPath");
                exclusive(self, "HeartbeatSeconds", "HeartbeatSecondsPath");
                for f in ["TimeoutSecondsPath", "HeartbeatSecondsPath"] {
                    self.path(fields.get(f), &at(f), PathField::Plain);
                }
                let secs = |f: &str| fields.get(f).and_then(Value::as_u64);
                if let (Some(t), Some(h)) = (secs("TimeoutSeconds"), secs("HeartbeatSeconds"))
                    && h >= t
                {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        "HeartbeatSeconds must be smaller than TimeoutSeconds",
                        &at("HeartbeatSeconds"),
                    );
                }
            }
            "Choice" => {
                match fields.get("Choices").and_then(Value::as_array) {
                    Some(rules) if !rules.is_empty() => {
                        for (i, rule) in rules.iter().enumerate() {
                            let loc = format!("{here}/Choices/{i}");
                            if jsonata {
                                match rule.get("Condition") {
                                    Some(c) if rule.get("Next").is_some() => self.jsonata(Some(c), &format!("{loc}/Condition")),
                                    _ => self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Condition", "Next"]), &loc),
                                }
                                if let Some(field) = rule.as_object().and_then(|r| {
                                    r.keys()
                                        .find(|k| !matches!(k.as_str(), "Condition" | "Next" | "Assign" | "Output" | "Comment"))
                                }) {
                                    self.report(
                                        "SCHEMA_VALIDATION_FAILED",
                                        format!("The field \"{field}\" is not supported in a JSONata Choice rule"),
                                        &format!("{loc}/{field}"),
                                    );
                                }
                                self.assign(rule.get("Assign"), &format!("{loc}/Assign"), true);
                                self.jsonata(rule.get("Output"), &format!("{loc}/Output"));
                            } else {
                                self.choice_rule(rule, &loc, true);
                            }
                            target(self, rule.get("Next"), &format!("{loc}/Next"));
                        }
                    }
                    Some(_) => self.report("SCHEMA_VALIDATION_FAILED", EMPTY, &at("Choices")),
                    None => self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Choices"]), here),
                }
                target(self, fields.get("Default"), &at("Default"));
            }
            "Wait" => {
                let n = ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"]
                    .iter()
                    .filter(|f| fields.contains_key(**f))
                    .count();
                if n != 1 {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        "A Wait state needs exactly one of Seconds, SecondsPath, Timestamp or TimestampPath",
                        here,
                    );
                }
                for f in ["SecondsPath", "TimestampPath"] {
                    self.path(fields.get(f), &at(f), PathField::Plain);
                }
                // A JSONata expression is a timestamp only in a JSONata state; in a JSONPath
                // one AWS refuses it as any other string that is not one (recorded in
                // localstack/localstack, test_base_scenarios.snapshot.json,
                // test_wait_timestamp_invalid[JSONATA], 2024-12-27).
                if let Some(ts) = fields.get("Timestamp").and_then(Value::as_str)
                    && !(jsonata && crate::jsonata::expression(ts).is_some())
                    && crate::timestamp::offset_date_time(ts).is_none()
                {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        "String does not match RFC3339 timestamp",
                        &at("Timestamp"),
                    );
                }
            }
            "Fail" => {
                exclusive(self, "Error", "ErrorPath");
                exclusive(self, "Cause", "CausePath");
                for f in ["ErrorPath", "CausePath"] {
                    if let Some(expr) = fields.get(f).and_then(Value::as_str).filter(|e| intrinsics::is_intrinsic(e)) {
                        if let Err(e) = intrinsics::parse(expr) {
                            self.report("INVALID_INTRINSIC_FUNCTION", e.cause, &at(f));
                        }
                    } else {
                        self.path(fields.get(f), &at(f), PathField::Plain);
                    }
                }
            }
            "Parallel" => match fields.get("Branches").and_then(Value::as_array) {
                Some(branches) if !branches.is_empty() => {
                    // A branch's states take the machine's query language, not the Parallel
                    // state's (floci-io/floci#2968, measured on AWS).
                    for (i, b) in branches.iter().enumerate() {
                        self.machine(b, &format!("{here}/Branches/{i}"), machine_jsonata);
                    }
                }
                _ => self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Branches"]), here),
            },
            "Map" => {
                exclusive(self, "ItemProcessor", "Iterator");
                exclusive(self, "ItemSelector", "Parameters");
                self.path(fields.get("ItemsPath"), &at("ItemsPath"), PathField::Plain);
                let distributed = fields
                    .get("ItemProcessor")
                    .and_then(|p| p.get("ProcessorConfig"))
                    .and_then(|c| c.get("Mode"))
                    .and_then(Value::as_str)
                    == Some("DISTRIBUTED");
                // Before the processor's, so a label met again inside it is the duplicate.
                if let (true, Some(label)) = (distributed, fields.get("Label").and_then(Value::as_str)) {
                    self.label(label, &at("Label"));
                }
                match fields.get("ItemProcessor").or_else(|| fields.get("Iterator")) {
                    Some(p) => {
                        let field = if fields.contains_key("ItemProcessor") {
                            "ItemProcessor"
                        } else {
                            "Iterator"
                        };
                        // The processor's states take the machine's query language, not the Map
                        // state's, and the processor cannot set one (floci-io/floci#2968,
                        // measured on AWS: "Field 'QueryLanguage' is not supported").
                        if p.get("QueryLanguage").is_some() {
                            self.report("SCHEMA_VALIDATION_FAILED", not_supported("QueryLanguage"), &at(field));
                        }
                        if distributed {
                            self.apart(|c| c.machine(p, &at(field), machine_jsonata));
                        } else {
                            self.machine(p, &at(field), machine_jsonata);
                        }
                    }
                    None => self.report("SCHEMA_VALIDATION_FAILED", all_required(&["ItemProcessor"]), here),
                }
                // The tolerated-failure fields are taken on an inline Map too, as AWS takes them
                // (recorded in tests/conformance/states.json); it is warned about.
                for f in ["ItemReader", "ItemBatcher", "ResultWriter", "Label"] {
                    if fields.contains_key(f) && !distributed {
                        self.report(
                            "SCHEMA_VALIDATION_FAILED",
                            format!("The field \"{f}\" is only supported in a Map state whose ProcessorConfig Mode is DISTRIBUTED"),
                            &at(f),
                        );
                    }
                }
                if let Some(batcher) = fields.get("ItemBatcher") {
                    self.item_batcher(batcher, &at("ItemBatcher"), jsonata);
                }
                if let Some(reader) = fields.get("ItemReader") {
                    self.item_reader(reader, &at("ItemReader"), jsonata);
                }
                // "The ResultWriter field cannot be empty": a WriterConfig, a Resource with its
                // Parameters (Arguments in JSONata), or all three (developer guide,
                // ResultWriter (Map), "Required field combinations"). The words are Baton's.
                if let Some(writer) = fields.get("ResultWriter") {
                    self.call_template(writer, &at("ResultWriter"), jsonata);
                }
                if let Some(writer) = fields.get("ResultWriter").and_then(Value::as_object) {
                    let has = |f: &str| writer.contains_key(f);
                    if !has("WriterConfig") && !(has("Resource") && (has("Parameters") || has("Arguments"))) {
                        self.report(
                            "SCHEMA_VALIDATION_FAILED",
                            "A ResultWriter holds a WriterConfig, or a Resource with its Parameters (Arguments in JSONata), or all three",
                            &at("ResultWriter"),
                        );
                    }
                }
                // A path may read a variable (test_assign_reference_variables,
                // tests/conformance/states.json).
                let percentage = Range {
                    minimum: "0.0",
                    maximum: Some("100.0"),
                    whole: false,
                };
                for (f, range) in [
                    ("MaxConcurrency", &COUNT),
                    ("ToleratedFailureCount", &COUNT),
                    ("ToleratedFailurePercentage", &percentage),
                ] {
                    self.map_number(fields, f, here, jsonata, range);
                }
            }
            _ => {}
        }
    }

    fn choice_rule(&mut self, rule: &Value, location: &str, top: bool) {
        let Some(fields) = rule.as_object() else {
            self.report("SCHEMA_VALIDATION_FAILED", "A Choice rule must be an object", location);
            return;
        };
        if top && !fields.contains_key("Next") {
            self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Next"]), location);
        }
        if !top && fields.contains_key("Next") {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                "Next is only allowed on top-level Choice rules",
                location,
            );
        }
        for op in ["And", "Or"] {
            if let Some(rules) = fields.get(op) {
                match rules.as_array() {
                    Some(rs) if !rs.is_empty() => {
                        for (i, r) in rs.iter().enumerate() {
                            self.choice_rule(r, &format!("{location}/{op}/{i}"), false);
                        }
                    }
                    Some(_) => self.report("SCHEMA_VALIDATION_FAILED", EMPTY, &format!("{location}/{op}")),
                    None => self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        format!("{op} takes a non-empty array of rules"),
                        &format!("{location}/{op}"),
                    ),
                }
                return;
            }
        }
        if let Some(inner) = fields.get("Not") {
            self.choice_rule(inner, &format!("{location}/Not"), false);
            return;
        }
        self.path(fields.get("Variable"), &format!("{location}/Variable"), PathField::Condition);
        // A top-level rule may assign variables when it matches (developer guide, "Passing data
        // between states with variables": Assign in Choice rules).
        if top {
            self.assign(fields.get("Assign"), &format!("{location}/Assign"), false);
        }
        let others = fields
            .keys()
            .filter(|k| !(matches!(k.as_str(), "Variable" | "Next" | "Comment") || top && k.as_str() == "Assign"));
        let (ops, strangers): (Vec<&String>, Vec<&String>) = others.partition(|k| is_comparison(k));
        for field in strangers {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("The field \"{field}\" is not a Choice comparison operator"),
                &format!("{location}/{field}"),
            );
        }
        // AWS's words, naming every operator in its own order (recorded with
        // ValidateStateMachineDefinition for a rule with none and one with two:
        // gabrielmoreira/tiny-asl-machine, tests/conformance/cases/.snapshots/aws/
        // Feature.ChoiceValidation-003 and -005).
        match ops.as_slice() {
            [] => self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("This object should have only one of the following fields: {OPERATORS}"),
                location,
            ),
            [_] if fields.get("Variable").is_none() => {
                self.report("SCHEMA_VALIDATION_FAILED", all_required(&["Variable"]), location);
            }
            [op] if op.ends_with("Path") => self.path(fields.get(op.as_str()), &format!("{location}/{op}"), PathField::Condition),
            [_] => {}
            _ => self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("There should only be one of the following fields: {OPERATORS}"),
                location,
            ),
        }
    }
}

const COMPARISONS: [&str; 5] = ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"];

/// A Choice rule's operators as AWS lists them when a rule has none or more than one.
const OPERATORS: &str = "[StringEquals, IsBoolean, StringLessThan, IsNumeric, BooleanEquals, StringLessThanEqualsPath, NumericLessThan, NumericGreaterThan, NumericLessThanPath, StringMatches, TimestampLessThanEqualsPath, NumericEquals, TimestampGreaterThan, StringGreaterThanEqualsPath, TimestampGreaterThanEqualsPath, TimestampLessThanEquals, NumericLessThanEqualsPath, TimestampEquals, BooleanEqualsPath, IsTimestamp, StringLessThanEquals, NumericLessThanEquals, StringLessThanPath, TimestampGreaterThanPath, StringGreaterThan, StringGreaterThanPath, IsString, StringEqualsPath, TimestampEqualsPath, TimestampLessThan, StringGreaterThanEquals, NumericGreaterThanPath, NumericGreaterThanEquals, NumericEqualsPath, TimestampLessThanPath, IsNull, IsPresent, TimestampGreaterThanEquals, NumericGreaterThanEqualsPath]";

/// AWS's words for an empty array where one entry at least is needed: Choices, And, Or, States
/// (recorded with ValidateStateMachineDefinition: gabrielmoreira/tiny-asl-machine,
/// tests/conformance/cases/.snapshots/aws/Feature.ChoiceValidation-002 and -006,
/// Validation.BasicStructure-005).
pub(super) const EMPTY: &str = "Value cannot be empty";

fn is_comparison(op: &str) -> bool {
    let base = op.strip_suffix("Path").unwrap_or(op);
    if matches!(
        op,
        "IsPresent"
            | "IsNull"
            | "IsString"
            | "IsNumeric"
            | "IsBoolean"
            | "IsTimestamp"
            | "StringMatches"
            | "BooleanEquals"
            | "BooleanEqualsPath"
    ) {
        return true;
    }
    ["String", "Numeric", "Timestamp"]
        .iter()
        .any(|t| base.strip_prefix(t).is_some_and(|rest| COMPARISONS.contains(&rest)))
}

/// Every state a state can transition to.
pub(super) fn targets(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| out.extend(v.and_then(Value::as_str).map(str::to_string));
    push(state.get("Next"));
    push(state.get("Default"));
    for c in state.get("Choices").and_then(Value::as_array).into_iter().flatten() {
        push(c.get("Next"));
    }
    for c in state.get("Catch").and_then(Value::as_array).into_iter().flatten() {
        push(c.get("Next"));
    }
    out
}

/// A pointer's `/Choices/0` and `/Catch/0` steps as AWS writes a transition's place:
/// `/Choices[0]`, `/Catch[0]`.
fn bracketed(pointer: &str) -> String {
    let mut out = String::new();
    let mut steps = pointer.split('/').skip(1).peekable();
    while let Some(step) = steps.next() {
        out.push('/');
        out.push_str(step);
        if matches!(step, "Choices" | "Catch")
            && let Some(index) = steps.next_if(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push_str(&format!("[{index}]"));
        }
    }
    out
}
