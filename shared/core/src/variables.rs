//! Action output variables, CodePipeline style: a build action with a `namespace` exports its
//! buildspec's `exported-variables`, and later actions use them as `#{Namespace.NAME}` in their
//! `env` values.

use std::collections::BTreeMap;

/// Output variables by namespace, then by name.
pub type Namespaces = BTreeMap<String, BTreeMap<String, String>>;

/// The `(namespace, name)` of every `#{Namespace.NAME}` in a text.
pub fn references(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        if let Some((ns, name)) = after[..end].split_once('.') {
            out.push((ns, name));
        }
        rest = &after[end + 1..];
    }
    out
}

/// Replaces every `#{Namespace.NAME}` with its value; the first that has none is the error.
pub fn resolve(text: &str, namespaces: &Namespaces) -> Result<String, String> {
    let mut out = text.to_string();
    for (ns, name) in references(text) {
        let value = namespaces
            .get(ns)
            .ok_or_else(|| format!("`#{{{ns}.{name}}}`: no earlier action has namespace `{ns}`"))?
            .get(name)
            .ok_or_else(|| {
                format!(
                    "`#{{{ns}.{name}}}`: namespace `{ns}` exported no variable `{name}` (is it in the buildspec's env.exported-variables?)"
                )
            })?;
        out = out.replace(&format!("#{{{ns}.{name}}}"), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_resolves_references() {
        assert_eq!(
            references("v#{Build.VERSION}-#{Build.SHA} #{broken #{x}"),
            [("Build", "VERSION"), ("Build", "SHA")]
        );
        let ns = Namespaces::from([("Build".into(), BTreeMap::from([("VERSION".into(), "1.2".into())]))]);
        assert_eq!(resolve("v#{Build.VERSION}", &ns).as_deref(), Ok("v1.2"));
        assert!(resolve("#{Build.SHA}", &ns).unwrap_err().contains("exported no variable `SHA`"));
        assert!(
            resolve("#{Test.X}", &ns)
                .unwrap_err()
                .contains("no earlier action has namespace `Test`")
        );
        assert_eq!(resolve("plain", &ns).as_deref(), Ok("plain"));
    }
}

/// The pipeline's variables as an execution hands them to an action (a build's environment, a
/// deployment's hooks): pipeline.yml's declared values, overridden by the execution's own
/// (`baton run --var`, a start's input), as CodePipeline's pipeline-level variables given at
/// start override their defaults. A variable the pipeline does not declare is not passed on.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PipelineVariables {
    /// pipeline.yml's `variables`, with their declared values.
    #[serde(default)]
    pub pipeline_variables: BTreeMap<String, String>,
    /// The execution's variables.
    #[serde(default)]
    pub variables: BTreeMap<String, serde_json::Value>,
}

impl PipelineVariables {
    /// Each declared variable's value in this execution.
    pub fn values(&self) -> BTreeMap<String, String> {
        let mut values = self.pipeline_variables.clone();
        for (name, value) in &self.variables {
            if let Some(slot) = values.get_mut(name) {
                *slot = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            }
        }
        values
    }

    /// The fields of an action's payload that carry them: the declared values as written, the
    /// execution's from its document.
    pub fn payload_fields(declared: &BTreeMap<String, String>) -> serde_json::Value {
        serde_json::json!({ "pipeline_variables": declared, "variables.$": "$.variables" })
    }
}
