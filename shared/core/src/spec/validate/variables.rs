//! Pipeline-level `variables` and an action's `env`: names and values that every executor can
//! carry. Values become environment variables of builds, so none holds a NUL byte, and no name
//! holds `=`. Pipeline variables follow CodePipeline's `PipelineVariableDeclaration`: a name of
//! 1-128 characters matching `[A-Za-z0-9@\-_]+`, a value of at most 1000 characters
//! (<https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_PipelineVariableDeclaration.html>).

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::{Pos, Reporter, pos};

/// What each kind of map allows.
struct Rules {
    what: &'static str,
    name_rule: &'static str,
    valid_name: fn(&str) -> bool,
    max_value_chars: Option<usize>,
}

const PIPELINE_VARIABLES: Rules = Rules {
    what: "variable",
    name_rule: "1-128 characters of A-Z, a-z, 0-9, '@', '-' or '_' (CodePipeline's rule for pipeline variables)",
    valid_name: |n| !n.is_empty() && n.len() <= 128 && n.chars().all(|c| c.is_ascii_alphanumeric() || "@-_".contains(c)),
    max_value_chars: Some(1000),
};

const ACTION_ENV: Rules = Rules {
    what: "env variable",
    name_rule: "a non-empty environment variable name, without `=`",
    valid_name: |n| !n.is_empty() && !n.contains(['=', '\0']),
    max_value_chars: None,
};

/// The pipeline's variables, each name and value checked.
pub(super) fn validate(variables: &Option<Spanned<BTreeMap<String, String>>>, r: &mut Reporter<'_>) -> BTreeMap<String, String> {
    let Some(variables) = variables else {
        return BTreeMap::new();
    };
    check(&variables.value, pos(variables), &PIPELINE_VARIABLES, r);
    variables.value.clone()
}

/// An action's `env`, checked as the pipeline's variables are; `at` is the action's position.
pub(super) fn check_env(env: &BTreeMap<String, String>, at: Pos, r: &mut Reporter<'_>) {
    check(env, at, &ACTION_ENV, r);
}

fn check(map: &BTreeMap<String, String>, at: Pos, rules: &Rules, r: &mut Reporter<'_>) {
    let what = rules.what;
    for (name, value) in map {
        let key_at = if name.is_empty() { at } else { r.find(at, name) };
        let shown = name.escape_debug();
        if !(rules.valid_name)(name) {
            r.error(key_at, format!("{what} name `{shown}` must be {}", rules.name_rule));
        }
        if value.contains('\0') {
            r.error(
                key_at,
                format!("the value of {what} `{shown}` holds a NUL byte, which no environment variable can carry"),
            );
        }
        if let Some(max) = rules.max_value_chars
            && value.chars().count() > max
        {
            r.error(key_at, format!("the value of {what} `{shown}` is longer than {max} characters"));
        }
    }
}
