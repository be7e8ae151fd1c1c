//! A Task's `Credentials`: the role Step Functions assumes for the task's call, named in
//! `RoleArn` (fixed, or an expression in JSONata), or in JSONPath `RoleArn.$` (a path or an
//! intrinsic). AWS refuses Credentials without one whatever else they hold, in its words and at
//! the object's place, for `{}` and `{"InvalidField": "invalid"}` alike (localstack/localstack,
//! tests/aws/services/stepfunctions/v2/credentials/test_credentials_base.snapshot.json,
//! `test_invalid_credentials_field`, 2024-12-04). What the role's field holds is checked as
//! Parameters' and Arguments' fields are; Credentials that are no object are refused where field
//! types are.

use serde_json::Value;

use super::Checker;

impl Checker {
    pub(super) fn credentials(&mut self, credentials: Option<&Value>, location: &str, jsonata: bool) {
        let Some(Value::Object(fields)) = credentials else { return };
        let named = fields.contains_key("RoleArn") || !jsonata && fields.contains_key("RoleArn.$");
        if !named {
            self.report(
                "SCHEMA_VALIDATION_FAILED",
                "The field 'RoleArn' is required but was missing",
                location,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::validate::validate;

    fn problems(language: &str, credentials: Value) -> Vec<String> {
        let definition = json!({"QueryLanguage": language, "StartAt": "State0", "States": {"State0": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Credentials": credentials, "End": true}}});
        validate(&definition).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn credentials_without_a_role_are_refused_in_aws_s_words() {
        let refused = ["SCHEMA_VALIDATION_FAILED: The field 'RoleArn' is required but was missing at /States/State0/Credentials"];
        assert_eq!(problems("JSONata", json!({})), refused);
        assert_eq!(problems("JSONata", json!({"InvalidField": "invalid"})), refused);
        assert_eq!(problems("JSONPath", json!({})), refused);
        // A path's field is JSONPath's alone.
        assert_eq!(problems("JSONata", json!({"RoleArn.$": "$.role"})), refused);
    }

    #[test]
    fn a_role_fixed_in_a_path_an_intrinsic_or_an_expression_passes() {
        for (language, credentials) in [
            ("JSONPath", json!({"RoleArn": "arn:aws:iam::111111111111:role/r"})),
            ("JSONPath", json!({"RoleArn.$": "$.CredentialsRoleArn"})),
            ("JSONPath", json!({"RoleArn.$": "States.Format('{}', $.CredentialsRoleArn)"})),
            ("JSONata", json!({"RoleArn": "{% $states.input.CredentialsRoleArn %}"})),
        ] {
            assert_eq!(problems(language, credentials.clone()), Vec::<String>::new(), "{credentials}");
        }
    }

    #[test]
    fn the_role_s_path_and_expression_are_checked_as_parameters_are() {
        assert_eq!(
            problems("JSONPath", json!({"RoleArn.$": "no path"})).len(),
            1,
            "a `.$` field that is no path"
        );
        let refused = problems("JSONata", json!({"RoleArn": "{% $states.input. %}"}));
        assert!(refused[0].starts_with("INVALID_JSONATA_EXPRESSION"), "{refused:?}");
    }
}
