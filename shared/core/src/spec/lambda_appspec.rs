//! CodeDeploy's application specification for the AWS Lambda platform: the one function whose
//! alias shifts from `currentversion` to `targetversion`, and the Lambda functions CodeDeploy
//! invokes before and after the shift. Keys are taken in both spellings the CodeDeploy guide
//! uses (`resources` / `Resources`, `currentversion` / `CurrentVersion`, …).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::spec::appspec::AppspecVersion;
use crate::spec::error::{Reporter, SpecError, parse_yaml};

/// The lifecycle events of a Lambda deployment that run hook functions.
pub const LAMBDA_HOOKS: [&str; 2] = ["BeforeAllowTraffic", "AfterAllowTraffic"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaAppspec {
    pub version: Spanned<AppspecVersion>,
    #[serde(rename = "resources", alias = "Resources")]
    pub resources: Spanned<Vec<Named<LambdaResource>>>,
    #[serde(default, rename = "hooks", alias = "Hooks")]
    pub hooks: Vec<Named<Spanned<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaResource {
    #[serde(rename = "type", alias = "Type")]
    pub kind: Spanned<String>,
    #[serde(rename = "properties", alias = "Properties")]
    pub properties: LambdaProperties,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaProperties {
    #[serde(alias = "Name")]
    pub name: Spanned<String>,
    #[serde(alias = "Alias")]
    pub alias: Spanned<String>,
    #[serde(rename = "currentversion", alias = "CurrentVersion", alias = "currentVersion")]
    pub current_version: Spanned<VersionString>,
    #[serde(rename = "targetversion", alias = "TargetVersion", alias = "targetVersion")]
    pub target_version: Spanned<VersionString>,
}

/// A one-entry map, `- key: value`, as the Lambda appspec writes resources and hooks.
#[derive(Debug, Clone)]
pub struct Named<T> {
    pub name: Spanned<String>,
    pub value: T,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map with a single entry, `- name: value`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Named<T>, A::Error> {
                let Some(name) = map.next_key::<Spanned<String>>()? else {
                    return Err(de::Error::custom("an empty entry; expected `- name: value`"));
                };
                let value = map.next_value()?;
                if map.next_key::<Spanned<String>>()?.is_some() {
                    return Err(de::Error::custom(format!(
                        "entry `{}` has more than one key; each list item holds one",
                        name.value
                    )));
                }
                Ok(Named { name, value })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A Lambda version as the appspec gives it: a string, or a bare number YAML reads as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionString(pub String);

impl<'de> Deserialize<'de> for VersionString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = VersionString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Lambda function version such as \"3\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<VersionString, E> {
                Ok(VersionString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<VersionString, E> {
                Ok(VersionString(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VersionString, E> {
                Ok(VersionString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl LambdaAppspec {
    /// The function whose alias shifts (validation guarantees exactly one).
    pub fn function(&self) -> Option<&LambdaProperties> {
        self.resources.value.first().map(|r| &r.value.properties)
    }

    /// The hook function for `event`, if the appspec names one.
    pub fn hook(&self, event: &str) -> Option<&str> {
        self.hooks.iter().find(|h| h.name.value == event).map(|h| h.value.value.as_str())
    }
}

pub fn parse_lambda_appspec(file: &Path, text: &str) -> Result<LambdaAppspec, SpecError> {
    ecs_is_not_supported(file, text)?;
    let spec: LambdaAppspec = parse_yaml(file, text)?;
    let mut r = Reporter::new(file, text);
    match spec.resources.value.as_slice() {
        [] => r.error(
            spec.resources.referenced,
            "`resources` names no function; a Lambda deployment shifts one",
        ),
        [_] => {}
        [_, second, ..] => r.error(
            second.name.referenced,
            "a Lambda appspec deploys exactly one function; put others in deployments of their own",
        ),
    }
    for resource in &spec.resources.value {
        let (kind, p) = (&resource.value.kind, &resource.value.properties);
        if kind.value != "AWS::Lambda::Function" {
            r.error(
                kind.referenced,
                format!(
                    "resource type `{}` is not a Lambda function; expected AWS::Lambda::Function",
                    kind.value
                ),
            );
        }
        for (field, value) in [("name", &p.name), ("alias", &p.alias)] {
            if value.value.trim().is_empty() {
                r.error(value.referenced, format!("`{field}` is empty"));
            }
        }
        for (field, v) in [("currentversion", &p.current_version), ("targetversion", &p.target_version)] {
            if !v.value.0.parse::<u64>().is_ok_and(|n| n > 0) {
                r.error(
                    v.referenced,
                    format!(
                        "`{field}` is `{}`; it must be a published version, a positive integer (an alias cannot route to $LATEST)",
                        v.value.0
                    ),
                );
            }
        }
        if p.current_version.value == p.target_version.value {
            r.error(
                p.target_version.referenced,
                format!(
                    "`targetversion` is the current version ({}); there is nothing to shift",
                    p.current_version.value.0
                ),
            );
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for hook in &spec.hooks {
        let event = hook.name.value.as_str();
        if !LAMBDA_HOOKS.contains(&event) {
            let hint = if crate::spec::appspec::SERVER_HOOKS.contains(&event) {
                " (that is a Server hook)"
            } else {
                ""
            };
            r.error(
                hook.name.referenced,
                format!(
                    "unknown lifecycle event `{event}`{hint}; Lambda deployments run {}",
                    LAMBDA_HOOKS.join(", ")
                ),
            );
        } else if seen.contains(&event) {
            r.error(
                hook.name.referenced,
                format!("`{event}` is given twice; a Lambda hook runs one function"),
            );
        }
        seen.push(event);
        if hook.value.value.trim().is_empty() {
            r.error(hook.value.referenced, format!("`{event}` names no function"));
        }
    }
    r.finish()?;
    Ok(spec)
}

/// Which platform an appspec is for: a Lambda one has a `resources` section, a Server one has
/// none.
/// An ECS appspec (a `TargetService` of type `AWS::ECS::Service`, its `TaskDefinition` and
/// `LoadBalancerInfo`) has `Resources` too: said plainly, rather than read as a Lambda one.
fn ecs_is_not_supported(file: &Path, text: &str) -> Result<(), SpecError> {
    let r = Reporter::new(file, text);
    let start = crate::spec::error::Pos { line: 1, column: 1 };
    let at = ["AWS::ECS::Service", "TaskDefinition"]
        .into_iter()
        .map(|needle| r.find(start, needle))
        .find(|&p| p != start);
    let Some(at) = at else { return Ok(()) };
    let mut r = r;
    r.error(
        at,
        "this is an ECS appspec (a service's TaskDefinition and LoadBalancerInfo): Baton deploys to Server and Lambda groups, not ECS services yet",
    );
    r.finish()
}

pub fn is_lambda(file: &Path, text: &str) -> Result<bool, SpecError> {
    let keys: std::collections::BTreeMap<String, de::IgnoredAny> = parse_yaml(file, text)?;
    Ok(keys.keys().any(|k| k.eq_ignore_ascii_case("resources")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LambdaAppspec, String> {
        parse_lambda_appspec(Path::new("appspec.yml"), text).map_err(|e| e.to_string())
    }

    /// The CodeDeploy user guide's example, as it writes it.
    const GUIDE: &str = "version: 0.0
Resources:
  - myLambdaFunction:
      Type: AWS::Lambda::Function
      Properties:
        Name: \"myLambdaFunction\"
        Alias: \"myLambdaFunctionAlias\"
        CurrentVersion: \"1\"
        TargetVersion: \"2\"
Hooks:
  - BeforeAllowTraffic: \"LambdaFunctionToValidateBeforeTrafficShift\"
  - AfterAllowTraffic: \"LambdaFunctionToValidateAfterTrafficShift\"
";

    #[test]
    fn the_guides_example_parses() {
        let spec = parse(GUIDE).unwrap();
        let f = spec.function().unwrap();
        assert_eq!(
            (f.name.value.as_str(), f.alias.value.as_str()),
            ("myLambdaFunction", "myLambdaFunctionAlias")
        );
        assert_eq!((f.current_version.value.0.as_str(), f.target_version.value.0.as_str()), ("1", "2"));
        assert_eq!(spec.hook("BeforeAllowTraffic"), Some("LambdaFunctionToValidateBeforeTrafficShift"));
        assert!(is_lambda(Path::new("appspec.yml"), GUIDE).unwrap());
        assert!(!is_lambda(Path::new("appspec.yml"), "version: 0.0\nos: linux\n").unwrap());
    }

    #[test]
    fn the_reference_spelling_and_bare_numbers_are_taken() {
        let text = "version: 0.0\nresources:\n  - fn:\n      type: AWS::Lambda::Function\n      properties:\n        name: fn\n        alias: live\n        currentversion: 3\n        targetversion: 4\n";
        let f = parse(text).unwrap().function().cloned().unwrap();
        assert_eq!(f.target_version.value.0, "4");
    }

    #[test]
    fn mistakes_are_located() {
        let text = "version: 0.0
Resources:
  - fn:
      Type: AWS::Lambda::Alias
      Properties:
        Name: fn
        Alias: live
        CurrentVersion: \"$LATEST\"
        TargetVersion: \"$LATEST\"
Hooks:
  - ValidateService: check
  - AfterAllowTraffic: \"\"
";
        let err = parse(text).unwrap_err();
        for expected in [
            "appspec.yml:4:13: resource type `AWS::Lambda::Alias` is not a Lambda function",
            "appspec.yml:8:25: `currentversion` is `$LATEST`; it must be a published version",
            "appspec.yml:9:24: `targetversion` is the current version ($LATEST)",
            "appspec.yml:11:5: unknown lifecycle event `ValidateService` (that is a Server hook)",
            "appspec.yml:12:24: `AfterAllowTraffic` names no function",
        ] {
            assert!(err.contains(expected), "missing {expected:?} in\n{err}");
        }
    }

    #[test]
    fn one_function_per_deployment() {
        let two = GUIDE.replace(
            "Hooks:",
            "  - other:\n      Type: AWS::Lambda::Function\n      Properties: { Name: o, Alias: a, CurrentVersion: 1, TargetVersion: 2 }\nHooks:",
        );
        let err = parse(&two).unwrap_err();
        assert!(
            err.contains("appspec.yml:10:5: a Lambda appspec deploys exactly one function"),
            "{err}"
        );
        let unknown = GUIDE.replace("Alias: \"myLambdaFunctionAlias\"", "Alias: a\n        Memory: 128");
        assert!(parse(&unknown).unwrap_err().contains("unknown key `Memory`"));
    }
}

#[cfg(test)]
mod ecs_tests {
    use super::*;

    /// The CodeDeploy user guide's ECS example (AppSpec file example for an Amazon ECS
    /// deployment), which used to be misread as a Lambda appspec ("unknown field TaskDefinition").
    #[test]
    fn an_ecs_appspec_is_named_for_what_it_is() {
        let ecs = "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: \"arn:aws:ecs:us-east-1:111222333444:task-definition/my-task-definition-family-name:1\"\n        LoadBalancerInfo:\n          ContainerName: \"SampleApplicationName\"\n          ContainerPort: 80\nHooks:\n  - BeforeInstall: \"LambdaFunctionToValidateBeforeInstall\"\n";
        assert!(is_lambda(Path::new("appspec.yml"), ecs).unwrap(), "it has Resources");
        let err = parse_lambda_appspec(Path::new("appspec.yml"), ecs).unwrap_err().to_string();
        assert!(err.starts_with("appspec.yml:4:13: this is an ECS appspec"), "{err}");
    }
}
