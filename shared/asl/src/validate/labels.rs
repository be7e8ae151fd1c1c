//! A Distributed Map's `Label`, which Step Functions puts in each Map Run's ARN
//! (`arn:aws:states:…:mapRun:MACHINE/LABEL:ID`): one to 40 characters, none of whitespace,
//! `? * < > { } [ ] \ : ; , | ^ ~ $ # % & ` "` or a control character, and unique in the whole
//! state machine. The rules are those AWS's own CDK checks before deploying
//! (aws/aws-cdk, packages/aws-cdk-lib/aws-stepfunctions/lib/states/distributed-map.ts,
//! `validateState`), and AWS's ASL language service's schema asks for at least one character
//! (aws/amazon-states-language-service, src/json-schema/partial/map_state.json, `Label`
//! `minLength` 1); the codes are the API reference's (ValidateStateMachineDefinitionDiagnostic:
//! INVALID_LABEL_NAME, "You have provided an invalid label name", and DUPLICATE_LABEL_NAME, "A
//! label name appears more than once"). AWS's own sentences for them are not on record; the
//! duplicate's takes the form of its recorded "Duplicate State name: X".

use super::Checker;

/// The longest label the service takes.
const MAX_CHARS: usize = 40;

/// The characters a label may not hold besides whitespace and control characters.
const FORBIDDEN: &[char] = &[
    '?', '*', '<', '>', '{', '}', '[', ']', '\\', ':', ';', ',', '|', '^', '~', '$', '#', '%', '&', '`', '"',
];

impl Checker {
    /// Checks a Map's label at `location` (`/States/M/Label`); a label that is no string is
    /// refused where field types are.
    pub(super) fn label(&mut self, label: &str, location: &str) {
        if label.is_empty() {
            self.report(
                "INVALID_LABEL_NAME",
                "Invalid Label name: a label is at least one character",
                location,
            );
        }
        if label.chars().count() > MAX_CHARS {
            self.report(
                "INVALID_LABEL_NAME",
                format!("Invalid Label name: Label '{label}' exceeds the {MAX_CHARS}-character limit allowed by the service"),
                location,
            );
        }
        if let Some(c) = label.chars().find(|&c| forbidden(c)) {
            self.report(
                "INVALID_LABEL_NAME",
                format!(
                    "Invalid Label name: Label '{label}' contains {}, which a label may not",
                    describe(c)
                ),
                location,
            );
        }
        if !self.labels.insert(label.to_string()) {
            self.report("DUPLICATE_LABEL_NAME", format!("Duplicate Label name: {label}"), location);
        }
    }
}

/// CDK's `[\s…]|[\u0000-\u001f]|[\u007f-\u009f]`: JavaScript's `\s` is Unicode whitespace.
fn forbidden(c: char) -> bool {
    c.is_whitespace() || c.is_control() || FORBIDDEN.contains(&c)
}

/// The character named so it shows however the label is printed.
fn describe(c: char) -> String {
    if c.is_whitespace() || c.is_control() {
        format!("the character U+{:04X}", u32::from(c))
    } else {
        format!("'{c}'")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::validate::validate;

    fn distributed_map(label: &str) -> serde_json::Value {
        json!({
            "Type": "Map",
            "Label": label,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": format!("P{label}"),
                "States": {format!("P{label}"): {"Type": "Pass", "End": true}}
            },
            "End": true
        })
    }

    fn problems(label: &str) -> Vec<String> {
        let definition = json!({"StartAt": "M", "States": {"M": distributed_map(label)}});
        validate(&definition).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn labels_within_the_rules_pass() {
        for label in ["Label1", "copy-objects_2024.v2", "a/b", "ü", &"x".repeat(40)] {
            assert_eq!(problems(label), Vec::<String>::new(), "{label}");
        }
    }

    #[test]
    fn an_empty_label_is_refused() {
        assert_eq!(
            problems(""),
            ["INVALID_LABEL_NAME: Invalid Label name: a label is at least one character at /States/M/Label"]
        );
    }

    #[test]
    fn a_label_past_40_characters_is_refused() {
        let long = "x".repeat(41);
        assert_eq!(
            problems(&long),
            [format!(
                "INVALID_LABEL_NAME: Invalid Label name: Label '{long}' exceeds the 40-character limit allowed by the service at /States/M/Label"
            )]
        );
    }

    #[test]
    fn whitespace_special_and_control_characters_are_refused() {
        for (label, named) in [
            ("my label", "the character U+0020"),
            ("tab\tbed", "the character U+0009"),
            ("nbsp\u{a0}", "the character U+00A0"),
            ("del\u{7f}", "the character U+007F"),
            ("what?", "'?'"),
            ("a:b", "':'"),
            ("cost$", "'$'"),
            ("quote\"", "'\"'"),
            ("back`tick", "'`'"),
        ] {
            assert_eq!(
                problems(label),
                [format!(
                    "INVALID_LABEL_NAME: Invalid Label name: Label '{label}' contains {named}, which a label may not at /States/M/Label"
                )],
                "{label:?}"
            );
        }
    }

    #[test]
    fn a_label_given_twice_in_the_machine_is_refused_where_it_comes_again() {
        let mut inner = distributed_map("Same");
        inner["ItemProcessor"]["States"] = json!({"Inner": {"Type": "Pass", "End": true}});
        inner["ItemProcessor"]["StartAt"] = json!("Inner");
        let mut outer = distributed_map("Same");
        outer["ItemProcessor"]["States"] = json!({"N": inner});
        outer["ItemProcessor"]["StartAt"] = json!("N");
        let definition = json!({"StartAt": "M", "States": {"M": outer}});
        let found: Vec<String> = validate(&definition).iter().map(ToString::to_string).collect();
        assert_eq!(
            found,
            ["DUPLICATE_LABEL_NAME: Duplicate Label name: Same at /States/M/ItemProcessor/States/N/Label"]
        );
    }
}
