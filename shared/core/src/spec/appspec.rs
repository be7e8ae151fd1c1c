//! CodeDeploy's application specification for the Server (EC2/On-Premises) platform, read as
//! the CodeDeploy agent reads it (aws/aws-codedeploy-agent,
//! `application_specification/application_specification.rb`): the keys it reads are checked,
//! the keys it reads past are accepted with a warning ([`ignored_keys`]).

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::spec::duration::Span;
use crate::spec::error::{Reporter, SpecError, parse_yaml};

#[derive(Debug, Clone, Deserialize)]
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

/// `version: 0.0`. The agent compares it with the number 0.0, so a quoted `"0.0"` (a string)
/// fails a Server deployment; the Lambda platform's service takes either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppspecVersion {
    pub quoted: bool,
}

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
                    Ok(AppspecVersion { quoted: false })
                } else {
                    Err(E::custom("the only appspec version is 0.0"))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AppspecVersion, E> {
                self.visit_f64(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AppspecVersion, E> {
                if v == "0.0" {
                    Ok(AppspecVersion { quoted: true })
                } else {
                    Err(E::custom("the only appspec version is 0.0"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct FileMapping {
    pub source: Spanned<String>,
    pub destination: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
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
    /// Access control entries (`setfacl`) and an SELinux context: the agent applies them; a
    /// local deployment says it does not.
    #[serde(default)]
    pub acls: Option<de::IgnoredAny>,
    #[serde(default)]
    pub context: Option<de::IgnoredAny>,
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
            /// As the agent's `ModeInfo`: one to four octal digits, padded to three (`44` is 044).
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ModeString, E> {
                if (1..=4).contains(&v.len()) && v.chars().all(|c| ('0'..='7').contains(&c)) {
                    Ok(ModeString(format!("{v:0>3}")))
                } else {
                    Err(E::custom(format!(
                        "`{v}` is not a file mode: one to four octal digits (0-7), such as 755"
                    )))
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
    if spec.version.value.quoted {
        r.error(
            spec.version.referenced,
            "the CodeDeploy agent refuses a quoted version (\"unsupported version: 0.0\"): it compares `version` with the number 0.0, so write `version: 0.0` without quotes",
        );
    }
    match spec.os.value.as_str() {
        "linux" => {}
        "windows" => r.error(
            spec.os.referenced,
            "a Windows appspec (`os: windows`) deploys to Windows Server instances, which Baton does not run yet: its groups deploy Linux revisions (`os: linux`)",
        ),
        other => r.error(
            spec.os.referenced,
            format!("unsupported os `{other}`: the CodeDeploy agent takes `linux` or `windows`"),
        ),
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

/// The keys the agent reads; anything else it reads past.
const TOP_KEYS: [&str; 6] = ["version", "os", "files", "permissions", "hooks", "file_exists_behavior"];
const FILE_KEYS: [&str; 2] = ["source", "destination"];
const SCRIPT_KEYS: [&str; 3] = ["location", "timeout", "runas"];
const PERMISSION_KEYS: [&str; 9] = ["object", "pattern", "except", "owner", "group", "mode", "acls", "context", "type"];

/// What the CodeDeploy agent reads past in an appspec that parses: keys it never looks at
/// (`files[].overwrite`, a hook's `interpreter`, `sudo`, …). The deployment goes on, as on AWS;
/// each is said, located, so a user knows it does nothing.
pub fn ignored_keys(file: &Path, text: &str) -> Vec<crate::spec::error::Diagnostic> {
    let mut r = Reporter::new(file, text);
    let Ok(doc) = serde_saphyr::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    // A key that appears twice is found after its last place.
    let mut last: std::collections::HashMap<String, crate::spec::error::Pos> = std::collections::HashMap::new();
    let mut report = |r: &mut Reporter<'_>, key: &str, place: &str| {
        let from = last
            .get(key)
            .map_or(crate::spec::error::Pos { line: 1, column: 1 }, |p| crate::spec::error::Pos {
                line: p.line,
                column: p.column + 1,
            });
        let at = r.find(from, &format!("{key}:"));
        last.insert(key.to_string(), at);
        r.error(at, format!("the CodeDeploy agent ignores `{key}` {place}; it has no effect"));
    };
    let unknown = |map: &serde_json::Value, known: &[&str]| -> Vec<String> {
        map.as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    for key in unknown(&doc, &TOP_KEYS) {
        report(&mut r, &key, "at the top of the appspec");
    }
    for entry in doc["files"].as_array().into_iter().flatten() {
        for key in unknown(entry, &FILE_KEYS) {
            report(&mut r, &key, "in a `files` entry (it reads `source` and `destination`)");
        }
    }
    for entry in doc["permissions"].as_array().into_iter().flatten() {
        for key in unknown(entry, &PERMISSION_KEYS) {
            report(&mut r, &key, "in a `permissions` entry");
        }
    }
    for (event, scripts) in doc["hooks"].as_object().into_iter().flatten() {
        for script in scripts.as_array().into_iter().flatten() {
            for key in unknown(script, &SCRIPT_KEYS) {
                report(
                    &mut r,
                    &key,
                    &format!("in a {event} script (it reads `location`, `timeout` and `runas`)"),
                );
            }
        }
    }
    r.into_diagnostics()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Appspec, String> {
        parse_appspec(Path::new("appspec.yml"), text).map_err(|e| e.to_string())
    }

    /// The agent compares `version` with the number 0.0 (`supported_versions` in
    /// application_specification.rb): a quoted "0.0" is refused there, so here.
    #[test]
    fn a_quoted_version_is_refused_as_the_agent_refuses_it() {
        assert!(parse("version: 0.0\nos: linux\n").is_ok());
        let err = parse("version: \"0.0\"\nos: linux\n").unwrap_err();
        assert!(
            err.starts_with("appspec.yml:1:10: the CodeDeploy agent refuses a quoted version"),
            "{err}"
        );
    }

    /// `ModeInfo` pads a mode to three digits and takes one to four octal digits.
    #[test]
    fn modes_are_padded_as_the_agent_pads_them() {
        let spec = parse("version: 0.0\nos: linux\npermissions:\n  - object: /a\n    mode: 44\n  - object: /b\n    mode: 4755\n").unwrap();
        let modes: Vec<&str> = spec.permissions.iter().map(|p| p.mode.as_ref().unwrap().0.as_str()).collect();
        assert_eq!(modes, ["044", "4755"]);
        let err = parse("version: 0.0\nos: linux\npermissions:\n  - object: /a\n    mode: 75555\n").unwrap_err();
        assert!(err.contains("one to four octal digits"), "{err}");
    }

    /// What the agent reads past — `files[].overwrite`, a hook's `interpreter` and `sudo`, ACLs
    /// and SELinux contexts it does read — parses, and what it ignores is warned about, located.
    #[test]
    fn keys_the_agent_reads_past_are_accepted_with_a_located_warning() {
        let text = "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/app\n    overwrite: true\npermissions:\n  - object: /opt/app\n    acls: [\"u:bob:rw\"]\n    context: { type: httpd_sys_content_t }\nhooks:\n  BeforeInstall: []\n  AfterInstall:\n    - location: scripts/a.sh\n      sudo: true\n      interpreter: bash\n";
        parse(text).unwrap();
        let warnings: Vec<String> = ignored_keys(Path::new("appspec.yml"), text)
            .iter()
            .map(|d| format!("{}:{} {}", d.pos.line, d.pos.column, d.message))
            .collect();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(
            warnings[0].starts_with("6:5 the CodeDeploy agent ignores `overwrite` in a `files` entry"),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("15:7 the CodeDeploy agent ignores `sudo` in a AfterInstall script")),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("16:7 the CodeDeploy agent ignores `interpreter`")),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_windows_appspec_is_named_for_what_it_is() {
        let err = parse("version: 0.0\nos: windows\n").unwrap_err();
        assert!(err.contains("a Windows appspec (`os: windows`)"), "{err}");
    }
}
