//! Definition checks, as `ValidateStateMachineDefinition` makes them: every problem is reported,
//! each with Step Functions' diagnostic code and a JSON pointer to where it is.

use std::collections::{BTreeSet, VecDeque};

use serde_json::{Map, Value};

use crate::definition::allowed_fields;
use crate::error::Diagnostic;
use crate::intrinsics;
use crate::path::Path;

struct Checker {
    problems: Vec<Diagnostic>,
}

impl Checker {
    fn report(&mut self, code: &'static str, message: impl Into<String>, location: &str) {
        self.problems.push(Diagnostic {
            code,
            message: message.into(),
            location: location.to_string(),
        });
    }

    fn path(&mut self, value: Option<&Value>, location: &str, reference: bool) {
        let Some(v) = value else { return };
        if v.is_null() {
            return; // `null` has its own meaning for InputPath, OutputPath and ResultPath
        }
        let Some(text) = v.as_str() else {
            self.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: String", location);
            return;
        };
        let parsed = match text.strip_prefix("$$") {
            Some(_) if reference => {
                self.report(
                    "INVALID_JSON_PATH",
                    format!("A Reference Path cannot use the context object: {v}"),
                    location,
                );
                return;
            }
            Some(rest) => Path::parse(&format!("${rest}")),
            // `$name…`: a workflow variable, then a path into its value.
            None if text
                .strip_prefix('$')
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')) =>
            {
                let rest = &text[1..];
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                if reference {
                    self.report(
                        "INVALID_JSON_PATH",
                        format!("A Reference Path cannot name a variable: {v}"),
                        location,
                    );
                    return;
                }
                Path::parse(&format!("${}", &rest[end..]))
            }
            None => Path::parse(text),
        };
        match parsed {
            Err(_) => self.report("INVALID_JSON_PATH", format!("Value is not a valid JSON path: {v}"), location),
            Ok(p) if reference && !p.is_definite() => self.report(
                "INVALID_JSON_PATH",
                format!("Value is not a Reference Path (no '*' allowed): {v}"),
                location,
            ),
            Ok(_) => {}
        }
    }

    /// `.$` keys in Parameters, ResultSelector and ItemSelector hold a path or an intrinsic.
    fn template(&mut self, value: Option<&Value>, location: &str) {
        match value {
            Some(Value::Object(fields)) => {
                for (k, v) in fields {
                    let here = format!("{location}/{k}");
                    if k.ends_with(".$") {
                        match v.as_str() {
                            Some(expr) if intrinsics::is_intrinsic(expr) => {
                                if let Err(e) = intrinsics::parse(expr) {
                                    self.report("INVALID_INTRINSIC_FUNCTION", e.cause, &here);
                                }
                            }
                            Some(_) => self.path(Some(v), &here, false),
                            None => self.report(
                                "SCHEMA_VALIDATION_FAILED",
                                "The value of a field ending in '.$' must be a path or intrinsic function string",
                                &here,
                            ),
                        }
                    } else {
                        self.template(Some(v), &here);
                    }
                }
            }
            Some(Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    self.template(Some(v), &format!("{location}/{i}"));
                }
            }
            _ => {}
        }
    }

    fn error_lists(&mut self, list: Option<&Value>, location: &str, kind: &str) {
        let Some(entries) = list.and_then(Value::as_array) else { return };
        for (i, entry) in entries.iter().enumerate() {
            let here = format!("{location}/{i}");
            let Some(equals) = entry.get("ErrorEquals").and_then(Value::as_array) else {
                self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [ErrorEquals]", &here);
                continue;
            };
            if equals.is_empty() {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "ErrorEquals must not be empty",
                    &format!("{here}/ErrorEquals"),
                );
            }
            if equals.iter().any(|e| e == "States.ALL") {
                if equals.len() > 1 {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        "States.ALL must appear alone in ErrorEquals",
                        &format!("{here}/ErrorEquals"),
                    );
                }
                if i + 1 != entries.len() {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        format!("A {kind} with States.ALL must be the last one"),
                        &here,
                    );
                }
            }
            if kind == "Catcher" {
                self.path(entry.get("ResultPath"), &format!("{here}/ResultPath"), true);
                self.jsonata(entry.get("Output"), &format!("{here}/Output"));
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

    fn choice_rule(&mut self, rule: &Value, location: &str, top: bool) {
        let Some(fields) = rule.as_object() else {
            self.report("SCHEMA_VALIDATION_FAILED", "A Choice rule must be an object", location);
            return;
        };
        if top && !fields.contains_key("Next") {
            self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", location);
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
                    _ => self.report(
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
        self.path(fields.get("Variable"), &format!("{location}/Variable"), false);
        let ops: Vec<&String> = fields
            .keys()
            .filter(|k| !matches!(k.as_str(), "Variable" | "Next" | "Comment"))
            .collect();
        if fields.get("Variable").is_none() || ops.len() != 1 {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                "A Choice rule needs a Variable and exactly one comparison operator, or And/Or/Not",
                location,
            );
            return;
        }
        let op = ops[0].as_str();
        if !is_comparison(op) {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("The field \"{op}\" is not a Choice comparison operator"),
                &format!("{location}/{op}"),
            );
        } else if op.ends_with("Path") {
            self.path(fields.get(op), &format!("{location}/{op}"), false);
        }
    }

    /// Every JSONata `{% %}` string inside a field must parse.
    fn jsonata(&mut self, value: Option<&Value>, location: &str) {
        match value {
            Some(Value::String(text)) => {
                if let Some(expr) = crate::jsonata::expression(text)
                    && let Err(e) = crate::jsonata::parse(expr)
                {
                    self.report("INVALID_JSONATA", e.cause, location);
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

    fn assign(&mut self, value: Option<&Value>, location: &str, jsonata: bool) {
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

    fn machine(&mut self, m: &Value, location: &str, inherited: bool) {
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
        let states = match m.get("States").and_then(Value::as_object) {
            Some(s) if !s.is_empty() => s,
            _ => {
                self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [States]", location);
                return;
            }
        };
        let start = m.get("StartAt").and_then(Value::as_str);
        match start {
            None => self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [StartAt]", location),
            Some(s) if !states.contains_key(s) => {
                self.report("MISSING_TRANSITION_TARGET", format!("Missing 'Next' target: {s}"), &at("StartAt"))
            }
            _ => {}
        }
        for (name, state) in states {
            self.state(name, state, states, &format!("{location}/States/{name}"), jsonata);
        }
        // Reachability from StartAt.
        if let Some(start) = start.filter(|s| states.contains_key(*s)) {
            let mut seen = BTreeSet::from([start.to_string()]);
            let mut queue = VecDeque::from([start.to_string()]);
            while let Some(name) = queue.pop_front() {
                for next in targets(&states[&name]) {
                    if states.contains_key(&next) && seen.insert(next.clone()) {
                        queue.push_back(next);
                    }
                }
            }
            for name in states.keys().filter(|n| !seen.contains(*n)) {
                self.report(
                    "UNREACHABLE_STATE",
                    format!("State \"{name}\" is not reachable"),
                    &format!("{location}/States/{name}"),
                );
            }
            let terminal = states.values().any(|s| {
                matches!(s.get("Type").and_then(Value::as_str), Some("Succeed" | "Fail")) || s.get("End") == Some(&Value::Bool(true))
            });
            if !terminal {
                self.report("MISSING_END_STATE", "Workflow has no terminal state", &at("States"));
            }
        }
    }

    fn state(&mut self, name: &str, state: &Value, states: &Map<String, Value>, here: &str, machine_jsonata: bool) {
        let at = |f: &str| format!("{here}/{f}");
        if name.chars().count() > 80 {
            self.report("SCHEMA_VALIDATION_FAILED", "State names are at most 80 characters", here);
        }
        let Some(fields) = state.as_object() else {
            self.report("SCHEMA_VALIDATION_FAILED", "A state must be an object", here);
            return;
        };
        let Some(ty) = fields.get("Type").and_then(Value::as_str) else {
            self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Type]", here);
            return;
        };
        let jsonata = match fields.get("QueryLanguage").and_then(Value::as_str) {
            Some("JSONata") => true,
            Some("JSONPath") if machine_jsonata => {
                self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "a state cannot use JSONPath when its state machine uses JSONata",
                    &at("QueryLanguage"),
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
                format!("Value is not a valid state type: {ty}"),
                &at("Type"),
            );
            return;
        };
        for field in fields.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("The field \"{field}\" is not supported by Step Functions"),
                &at(field),
            );
        }
        let target = |c: &mut Self, v: Option<&Value>, loc: &str| {
            if let Some(t) = v.and_then(Value::as_str)
                && !states.contains_key(t)
            {
                c.report("MISSING_TRANSITION_TARGET", format!("Missing 'Next' target: {t}"), loc);
            }
        };
        if !matches!(ty, "Choice" | "Succeed" | "Fail") {
            let next = fields.get("Next");
            let end = fields.get("End") == Some(&Value::Bool(true));
            match (next.is_some(), end) {
                (false, false) => self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Next]", here),
                (true, true) => self.report("SCHEMA_VALIDATION_FAILED", "Next and End cannot both be set", here),
                _ => target(self, next, &at("Next")),
            }
        }
        if jsonata {
            for f in [
                "Arguments",
                "Output",
                "Items",
                "ItemSelector",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Seconds",
                "Timestamp",
                "Error",
                "Cause",
            ] {
                self.jsonata(fields.get(f), &at(f));
            }
        } else {
            for f in ["InputPath", "OutputPath"] {
                self.path(fields.get(f), &at(f), false);
            }
            self.path(fields.get("ResultPath"), &at("ResultPath"), true);
            for f in ["Parameters", "ResultSelector", "ItemSelector"] {
                self.template(fields.get(f), &at(f));
            }
        }
        self.assign(fields.get("Assign"), &at("Assign"), jsonata);
        self.error_lists(fields.get("Retry"), &at("Retry"), "Retrier");
        self.error_lists(fields.get("Catch"), &at("Catch"), "Catcher");
        for (i, c) in fields.get("Catch").and_then(Value::as_array).into_iter().flatten().enumerate() {
            match c.get("Next") {
                None => self.report(
                    "SCHEMA_VALIDATION_FAILED",
                    "These fields are required: [Next]",
                    &format!("{here}/Catch/{i}"),
                ),
                next => target(self, next, &format!("{here}/Catch/{i}/Next")),
            }
        }
        let exclusive = |c: &mut Self, a: &str, b: &str| {
            if fields.contains_key(a) && fields.contains_key(b) {
                c.report("SCHEMA_VALIDATION_FAILED", format!("{a} and {b} cannot both be set"), here);
            }
        };
        match ty {
            "Task" => {
                if !fields.contains_key("Resource") {
                    self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Resource]", here);
                }
                exclusive(self, "TimeoutSeconds", "TimeoutSecondsPath");
                exclusive(self, "HeartbeatSeconds", "HeartbeatSecondsPath");
                for f in ["TimeoutSecondsPath", "HeartbeatSecondsPath"] {
                    self.path(fields.get(f), &at(f), false);
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
                                    _ => self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Condition, Next]", &loc),
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
                    _ => self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Choices]", here),
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
                    self.path(fields.get(f), &at(f), false);
                }
                if let Some(ts) = fields.get("Timestamp").and_then(Value::as_str)
                    && chrono::DateTime::parse_from_rfc3339(ts).is_err()
                {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        format!("Value is not a valid timestamp: {ts}"),
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
                        self.path(fields.get(f), &at(f), false);
                    }
                }
            }
            "Parallel" => match fields.get("Branches").and_then(Value::as_array) {
                Some(branches) if !branches.is_empty() => {
                    for (i, b) in branches.iter().enumerate() {
                        self.machine(b, &format!("{here}/Branches/{i}"), jsonata);
                    }
                }
                _ => self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [Branches]", here),
            },
            "Map" => {
                exclusive(self, "ItemProcessor", "Iterator");
                exclusive(self, "ItemSelector", "Parameters");
                self.path(fields.get("ItemsPath"), &at("ItemsPath"), false);
                match fields.get("ItemProcessor").or_else(|| fields.get("Iterator")) {
                    Some(p) => {
                        let field = if fields.contains_key("ItemProcessor") {
                            "ItemProcessor"
                        } else {
                            "Iterator"
                        };
                        self.machine(p, &at(field), jsonata);
                    }
                    None => self.report("SCHEMA_VALIDATION_FAILED", "These fields are required: [ItemProcessor]", here),
                }
                let distributed = fields
                    .get("ItemProcessor")
                    .and_then(|p| p.get("ProcessorConfig"))
                    .and_then(|c| c.get("Mode"))
                    .and_then(Value::as_str)
                    == Some("DISTRIBUTED");
                for f in [
                    "ToleratedFailureCount",
                    "ToleratedFailureCountPath",
                    "ToleratedFailurePercentage",
                    "ToleratedFailurePercentagePath",
                    "ItemReader",
                    "ItemBatcher",
                    "ResultWriter",
                    "Label",
                ] {
                    if fields.contains_key(f) && !distributed {
                        self.report(
                            "SCHEMA_VALIDATION_FAILED",
                            format!("The field \"{f}\" is only supported in a Map state whose ProcessorConfig Mode is DISTRIBUTED"),
                            &at(f),
                        );
                    }
                }
                if let Some(p) = fields.get("ToleratedFailurePercentage").and_then(Value::as_f64)
                    && !(0.0..=100.0).contains(&p)
                {
                    self.report(
                        "SCHEMA_VALIDATION_FAILED",
                        "ToleratedFailurePercentage must be between 0 and 100",
                        &at("ToleratedFailurePercentage"),
                    );
                }
            }
            _ => {}
        }
    }
}

const COMPARISONS: [&str; 5] = ["Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals"];

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
fn targets(state: &Value) -> Vec<String> {
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

/// Every problem in a definition, as `ValidateStateMachineDefinition` would list them.
pub fn validate(definition: &Value) -> Vec<Diagnostic> {
    let mut c = Checker { problems: Vec::new() };
    if let Some(top) = definition.as_object() {
        for field in top.keys().filter(|k| {
            !matches!(
                k.as_str(),
                "Comment" | "StartAt" | "States" | "Version" | "TimeoutSeconds" | "QueryLanguage"
            )
        }) {
            c.report(
                "SCHEMA_VALIDATION_FAILED",
                format!("The field \"{field}\" is not supported by Step Functions"),
                &format!("/{field}"),
            );
        }
    }
    c.machine(definition, "", false);
    c.problems
}
