//! CodeDeploy's application specification for the Server (EC2/On-Premises) platform.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::spec::duration::Span;
use crate::spec::error::{Reporter, SpecError, parse_yaml};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appspec {
    pub version: Spanned<AppspecVersion>,
    pub os: Spanned<String>,
    #[serde(default)]
    pub files: Vec<FileMapping>,
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub file_exists_behavior: FileExistsBehavior,
    #[serde(default)]
    pub hooks: Hooks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppspecVersion;

impl<'de> Deserialize<'de> for AppspecVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AppspecVersion;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("appspec version 0.0")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<AppspecVersion, E> {
                if v == 0.0 {
                    Ok(AppspecVersion)
                } else {
                    Err(E::custom("the only appspec version is 0.0"))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AppspecVersion, E> {
                self.visit_f64(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AppspecVersion, E> {
                if v == "0.0" {
                    Ok(AppspecVersion)
                } else {
                    Err(E::custom("the only appspec version is 0.0"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMapping {
    pub source: Spanned<String>,
    pub destination: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub object: String,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub except: Vec<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub mode: Option<ModeString>,
    #[serde(default, rename = "type")]
    pub kind: Vec<String>,
}

/// File modes are octal digits; YAML would read `755` as decimal, so keep the digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeString(pub String);

impl<'de> Deserialize<'de> for ModeString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ModeString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an octal file mode such as 755")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ModeString, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModeString, E> {
                if (3..=4).contains(&v.len()) && v.chars().all(|c| ('0'..='7').contains(&c)) {
                    Ok(ModeString(v.to_string()))
                } else {
                    Err(E::custom(format!("`{v}` is not an octal file mode such as 755")))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FileExistsBehavior {
    #[default]
    Disallow,
    Overwrite,
    Retain,
}

/// The lifecycle events a Server deployment runs scripts for, in CodeDeploy's order. The traffic
/// events run only where traffic is routed (locally: groups with a canary or linear config):
/// Allow on the replacement instances, Block on the original ones once traffic has left them.
pub const SERVER_HOOKS: [&str; 9] = [
    "ApplicationStop",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
    "BeforeBlockTraffic",
    "AfterBlockTraffic",
];

#[derive(Debug, Clone, Default)]
pub struct Hooks(pub Vec<(Spanned<String>, Vec<HookScript>)>);

impl Hooks {
    pub fn scripts(&self, event: &str) -> &[HookScript] {
        self.0.iter().find(|(n, _)| n.value == event).map_or(&[], |(_, s)| s.as_slice())
    }
}

impl<'de> Deserialize<'de> for Hooks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Hooks;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of lifecycle event names to lists of scripts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hooks, A::Error> {
                let mut hooks = Vec::new();
                while let Some(name) = map.next_key::<Spanned<String>>()? {
                    let scripts: Vec<HookScript> = map.next_value()?;
                    hooks.push((name, scripts));
                }
                Ok(Hooks(hooks))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookScript {
    pub location: Spanned<String>,
    /// Seconds; CodeDeploy's default and maximum is 3600.
    #[serde(default)]
    pub timeout: Option<Spanned<Span>>,
    #[serde(default)]
    pub runas: Option<String>,
}

impl HookScript {
    pub fn timeout_secs(&self) -> u64 {
        self.timeout.as_ref().map_or(3600, |t| t.value.secs())
    }
}

pub fn parse_appspec(file: &Path, text: &str) -> Result<Appspec, SpecError> {
    let spec: Appspec = parse_yaml(file, text)?;
    let mut r = Reporter::new(file, text);
    if spec.os.value != "linux" {
        r.error(
            spec.os.referenced,
            format!("os `{}` is not supported locally; use linux", spec.os.value),
        );
    }
    for (name, scripts) in &spec.hooks.0 {
        if !SERVER_HOOKS.contains(&name.value.as_str()) {
            let hint = if name.value == "AfterAllowTestTraffic" {
                " (that is an ECS hook)"
            } else {
                ""
            };
            r.error(
                name.referenced,
                format!(
                    "unknown lifecycle event `{}`{hint}; Server deployments run {}",
                    name.value,
                    SERVER_HOOKS.join(", ")
                ),
            );
        }
        for s in scripts {
            if let Some(t) = &s.timeout
                && (t.value.secs() == 0 || t.value.secs() > 3600)
            {
                r.error(t.referenced, "a hook timeout is between 1 and 3600 seconds");
            }
            if super::leaves_its_tree(&s.location.value) {
                r.error(
                    s.location.referenced,
                    "a hook location is a path inside the revision, without `..` or a leading `/`",
                );
            }
        }
    }
    for f in &spec.files {
        if !f.destination.value.starts_with('/') || f.destination.value.split('/').any(|c| c == "..") {
            r.error(
                f.destination.referenced,
                "a file destination is an absolute path on the instance, without `..`",
            );
        }
        if f.source.value.split('/').any(|c| c == "..") {
            r.error(f.source.referenced, "a file source cannot leave the revision with `..`");
        }
    }
    r.finish()?;
    Ok(spec)
}
