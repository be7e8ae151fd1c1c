//! Choice rules: comparison operators, their `*Path` variants, type tests and And/Or/Not.

use serde_json::Value;

use crate::context::Context;
use crate::definition::ChoiceRule;
use crate::error::StatesError;
use crate::path::{refuse_null_input, resolve};
use crate::timestamp::offset_date_time;

/// Evaluates a rule against the (already InputPath-filtered) input.
pub fn matches(rule: &ChoiceRule, input: &Value, context: &Context) -> Result<bool, StatesError> {
    if let Some(rules) = &rule.and {
        for r in rules {
            if !matches(r, input, context)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    if let Some(rules) = &rule.or {
        for r in rules {
            if matches(r, input, context)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(inner) = &rule.not {
        return Ok(!matches(inner, input, context)?);
    }
    let variable = rule
        .variable
        .as_deref()
        .ok_or_else(|| StatesError::runtime("a Choice rule needs Variable, And, Or or Not"))?;
    let (operator, operand) = rule
        .comparison
        .iter()
        .next()
        .ok_or_else(|| StatesError::runtime(format!("the Choice rule on {variable} has no comparison operator")))?;
    refuse_null_input(variable, input)?;
    let value = resolve(variable, input, context).ok();
    if operator == "IsPresent" {
        return Ok(operand.as_bool() == Some(value.is_some()));
    }
    // Only IsPresent may look at an absent variable: AWS failed IsNull, IsString, IsNumeric,
    // IsBoolean and IsTimestamp on a missing path with States.Runtime even beside a Default (a
    // public Step Functions conformance catalogue run against AWS, its groups Choice.IsNull
    // 005/006, Choice.IsString 008, Choice.IsNumeric 008/009, Choice.IsBoolean 008 and
    // Choice.IsTimestamp 009).
    let value = value.ok_or_else(|| invalid_condition_path(variable))?;
    let is = |test: bool| Ok(operand.as_bool() == Some(test));
    match operator.as_str() {
        "IsNull" => return is(value.is_null()),
        "IsString" => return is(value.is_string()),
        "IsNumeric" => return is(value.is_number()),
        "IsBoolean" => return is(value.is_boolean()),
        "IsTimestamp" => return is(value.as_str().is_some_and(|s| offset_date_time(s).is_some())),
        _ => {}
    }
    let (op, operand) = match operator.strip_suffix("Path") {
        Some(op) => {
            let path = operand
                .as_str()
                .ok_or_else(|| StatesError::runtime(format!("{operator} takes a path string")))?;
            refuse_null_input(path, input)?;
            let operand = resolve(path, input, context).map_err(|_| invalid_condition_path(path))?;
            (op, numeric_operand(op, operand))
        }
        None => (operator.as_str(), operand.clone()),
    };
    compare(op, &value, &operand)
}

/// A numeric comparison reads the value its `…Path` operand selects as a number whatever it is,
/// something other than a number counting as 0, where the `Variable` must be a number: AWS took
/// 7 > [6] and 8 >= false as true, and 7 < true, 7 = {"value": 7} and 8 <= {"value": 8} as false,
/// while a string "7" as the Variable matched nothing (the conformance catalogue's groups
/// Choice.NumericGreaterThanPath 008, Choice.NumericGreaterThanEqualsPath 008,
/// Choice.NumericLessThanPath 007/008, Choice.NumericEqualsPath 006/007 and
/// Choice.NumericLessThanEqualsPath 008). A string operand reads as 0 too (not on record).
fn numeric_operand(op: &str, operand: Value) -> Value {
    if op.starts_with("Numeric") && !operand.is_number() {
        Value::from(0)
    } else {
        operand
    }
}

/// A condition path — the `Variable` or a `…Path` operator's operand — that selects nothing
/// fails the execution (States.Runtime) in AWS's words, recorded for a `Variable` in the
/// executions cited in `tests/conformance/errors.json`; an operand is a condition path too, and
/// a conformance suite of Choice cases expects the same sentence for `"$.right"`.
fn invalid_condition_path(path: &str) -> StatesError {
    StatesError::runtime(format!(
        "Invalid path '{path}': The choice state's condition path references an invalid value."
    ))
}

fn compare(op: &str, value: &Value, operand: &Value) -> Result<bool, StatesError> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let suffix_ok = |ord: Option<std::cmp::Ordering>, suffix: &str| {
        let Some(ord) = ord else { return false };
        match suffix {
            "Equals" => ord == Equal,
            "LessThan" => ord == Less,
            "GreaterThan" => ord == Greater,
            "LessThanEquals" => ord != Greater,
            "GreaterThanEquals" => ord != Less,
            _ => false,
        }
    };
    if let Some(suffix) = op.strip_prefix("String") {
        if suffix == "Matches" {
            let (Some(v), Some(pattern)) = (value.as_str(), operand.as_str()) else {
                return Ok(false);
            };
            return Ok(wildcard_match(pattern, v));
        }
        let ord = value.as_str().zip(operand.as_str()).map(|(a, b)| a.cmp(b));
        return Ok(suffix_ok(ord, suffix));
    }
    if let Some(suffix) = op.strip_prefix("Numeric") {
        let ord = value.as_f64().zip(operand.as_f64()).and_then(|(a, b)| a.partial_cmp(&b));
        return Ok(suffix_ok(ord, suffix));
    }
    if let Some(suffix) = op.strip_prefix("Timestamp") {
        let parse = |v: &Value| v.as_str().and_then(offset_date_time);
        let ord = parse(value).zip(parse(operand)).map(|(a, b)| a.cmp(&b));
        return Ok(suffix_ok(ord, suffix));
    }
    if op == "BooleanEquals" {
        return Ok(value.as_bool().is_some() && value.as_bool() == operand.as_bool());
    }
    Err(StatesError::runtime(format!("unknown Choice comparison operator '{op}'")))
}

/// `StringMatches`: `*` matches any run of characters, `\*` and `\\` are literal.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Char(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => toks.push(Tok::Char(chars.next().unwrap_or('\\'))),
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Char(c)),
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Classic two-pointer glob match with backtracking to the last star.
    let (mut t, mut p, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < toks.len() && toks[p] == Tok::Char(text[t]) {
            t += 1;
            p += 1;
        } else if p < toks.len() && toks[p] == Tok::Star {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    toks[p..].iter().all(|t| *t == Tok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> ChoiceRule {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn comparisons_and_paths() {
        let input = json!({"n": 5, "m": 7, "s": "log-2024.txt", "t": "2024-01-01T00:00:00Z"});
        let ctx = Context::fixed(json!({}));
        assert!(matches(&rule(json!({"Variable": "$.n", "NumericLessThanPath": "$.m"})), &input, &ctx).unwrap());
        assert!(matches(&rule(json!({"Variable": "$.s", "StringMatches": "log-*.txt"})), &input, &ctx).unwrap());
        assert!(
            matches(
                &rule(json!({"Variable": "$.t", "TimestampLessThan": "2025-01-01T00:00:00Z"})),
                &input,
                &ctx
            )
            .unwrap()
        );
        assert!(matches(&rule(json!({"Not": {"Variable": "$.x", "IsPresent": true}})), &input, &ctx).unwrap());
        assert!(
            matches(
                &rule(json!({"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.s", "IsString": true}]})),
                &input,
                &ctx
            )
            .unwrap()
        );
    }

    #[test]
    fn missing_variable_is_a_runtime_error() {
        let err = matches(
            &rule(json!({"Variable": "$.x", "NumericEquals": 1})),
            &json!({}),
            &Context::fixed(json!({})),
        )
        .unwrap_err();
        assert!(err.is_terminal());
    }

    #[test]
    fn glob() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("a*b*c", "aXXbYc"));
        assert!(!wildcard_match("a*b", "ac"));
        assert!(wildcard_match("a\\*", "a*"));
        assert!(!wildcard_match("a\\*", "ab"));
    }
}
