//! Whole numbers written in a definition and the ranges Step Functions holds them to, refused in
//! the words its schema validator gives a number out of range ("Maximum value is 99999999",
//! recorded for a Wait's `Seconds` in aws-cloudformation/cfn-lint#4075; "Minimum value is 0",
//! recorded for a Map's numbers in floci-io/floci#3733).

use serde_json::Value;

use super::Checker;
use crate::definition::MAX_SECONDS;

/// A retrier's numbers and their ranges. `MaxDelaySeconds` runs from 1 to 31622400 (a year and a
/// day), as AWS's ASL language service holds it (its validation tests refuse 0 and 31622401).
const RETRIER: [(&str, i64, i64); 3] = [
    ("IntervalSeconds", 0, MAX_SECONDS),
    ("MaxAttempts", 0, MAX_SECONDS),
    ("MaxDelaySeconds", 1, 31_622_400),
];

impl Checker {
    /// A number of seconds written in the definition: a whole number from 0 to Step Functions'
    /// maximum, or in a JSONata state an expression that yields one when it runs.
    pub(super) fn bounded_seconds(&mut self, value: Option<&Value>, at: &str, jsonata: bool) {
        match value {
            None => {}
            // An expression, checked with the state's other JSONata fields; its number is bounded
            // when it runs.
            Some(Value::String(e)) if jsonata && crate::jsonata::expression(e).is_some() => {}
            Some(number) => self.whole_within(number, (0, MAX_SECONDS), at),
        }
    }

    /// A retrier's numbers, each within its range; `here` is the retrier's place.
    pub(super) fn retrier_numbers(&mut self, retrier: &Value, here: &str) {
        for (field, minimum, maximum) in RETRIER {
            if let Some(value) = retrier.get(field) {
                self.whole_within(value, (minimum, maximum), &format!("{here}/{field}"));
            }
        }
    }

    fn whole_within(&mut self, value: &Value, (minimum, maximum): (i64, i64), at: &str) {
        let Value::Number(n) = value else {
            self.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: Integer", at);
            return;
        };
        match n.as_f64() {
            Some(v) if v > maximum as f64 => self.report("SCHEMA_VALIDATION_FAILED", format!("Maximum value is {maximum}"), at),
            Some(v) if v < minimum as f64 => self.report("SCHEMA_VALIDATION_FAILED", format!("Minimum value is {minimum}"), at),
            _ if !(n.is_u64() || n.is_i64()) => self.report("SCHEMA_VALIDATION_FAILED", "Expected value of type: Integer", at),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::validate::validate;

    fn problems(definition: Value) -> Vec<String> {
        validate(&definition).iter().map(ToString::to_string).collect()
    }

    fn retrying(retrier: Value) -> Vec<String> {
        let mut retrier = retrier;
        retrier["ErrorEquals"] = json!(["States.ALL"]);
        problems(json!({"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f"}, "Retry": [retrier], "End": true}}}))
    }

    #[test]
    fn a_negative_wait_is_below_the_minimum() {
        assert_eq!(
            problems(json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": -1, "End": true}}})),
            ["SCHEMA_VALIDATION_FAILED: Minimum value is 0 at /States/W/Seconds"]
        );
    }

    #[test]
    fn an_expression_for_seconds_is_checked_once() {
        let problem = |field: &str| {
            vec![format!(
                "UNSUPPORTED_JSONATA_EXPRESSION: Field '$states.result' does not exist. at /States/T/{field}"
            )]
        };
        assert_eq!(
            problems(json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {
                "Type": "Wait", "Seconds": "{% $states.result %}", "End": true}}})),
            problem("Seconds")
        );
        for field in ["TimeoutSeconds", "HeartbeatSeconds"] {
            let mut task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f"}, "End": true});
            task[field] = json!("{% $states.result %}");
            let definition = json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": task}});
            assert_eq!(problems(definition), problem(field), "{field}");
        }
    }

    #[test]
    fn a_retrier_s_numbers_keep_to_their_ranges() {
        let at = |field: &str, message: &str| vec![format!("SCHEMA_VALIDATION_FAILED: {message} at /States/T/Retry/0/{field}")];
        assert_eq!(retrying(json!({"MaxAttempts": -1})), at("MaxAttempts", "Minimum value is 0"));
        assert_eq!(
            retrying(json!({"MaxAttempts": 100_000_000})),
            at("MaxAttempts", "Maximum value is 99999999")
        );
        assert_eq!(
            retrying(json!({"IntervalSeconds": 100_000_000})),
            at("IntervalSeconds", "Maximum value is 99999999")
        );
        assert_eq!(
            retrying(json!({"IntervalSeconds": 3.5})),
            at("IntervalSeconds", "Expected value of type: Integer")
        );
        assert_eq!(retrying(json!({"MaxDelaySeconds": 0})), at("MaxDelaySeconds", "Minimum value is 1"));
        assert_eq!(
            retrying(json!({"MaxDelaySeconds": 31_622_401})),
            at("MaxDelaySeconds", "Maximum value is 31622400")
        );
        let edges = json!({"MaxAttempts": 99_999_999, "IntervalSeconds": 0, "MaxDelaySeconds": 31_622_400});
        assert_eq!(retrying(edges), Vec::<String>::new());
    }
}
