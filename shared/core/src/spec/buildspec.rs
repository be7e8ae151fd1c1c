//! CodeBuild's build specification, version 0.2 ("Build specification reference for CodeBuild").
//! The model covers the whole documented shape so later work adds behaviour, not fields.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_saphyr::Spanned;

use crate::spec::batch::Batch;
use crate::spec::error::{Reporter, SpecError, parse_yaml};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buildspec {
    pub version: Spanned<Version>,
    #[serde(default, rename = "run-as")]
    pub run_as: Option<String>,
    #[serde(default)]
    pub env: Env,
    /// Accepted and ignored: a proxy has no local meaning.
    #[serde(default)]
    pub proxy: Option<de::IgnoredAny>,
    /// The builds of a batch build ([`crate::spec::batch`]). A build of the batch runs its
    /// phases and ignores the `batch:` of its own buildspec, as CodeBuild does.
    #[serde(default)]
    pub batch: Option<Spanned<Batch>>,
    #[serde(default)]
    pub phases: Phases,
    #[serde(default)]
    pub reports: BTreeMap<String, Report>,
    #[serde(default)]
    pub artifacts: Option<Artifacts>,
    #[serde(default)]
    pub cache: Option<Cache>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V0_1,
    V0_2,
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("buildspec version 0.2 (or 0.1)")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Version, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Version, E> {
                match v {
                    "0.2" => Ok(Version::V0_2),
                    "0.1" => Ok(Version::V0_1),
                    other => Err(E::custom(format!(
                        "unsupported buildspec version `{other}`; CodeBuild accepts 0.2 (and the legacy 0.1)"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// CodeBuild accepts `yes`/`no` as well as booleans in places such as `discard-paths`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct YesNo(pub bool);

impl<'de> Deserialize<'de> for YesNo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = YesNo;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("yes, no, true or false")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<YesNo, E> {
                Ok(YesNo(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<YesNo, E> {
                match v {
                    "yes" | "true" => Ok(YesNo(true)),
                    "no" | "false" => Ok(YesNo(false)),
                    other => Err(E::custom(format!("expected yes or no, found `{other}`"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Env {
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, ScalarString>,
    #[serde(default, rename = "parameter-store")]
    pub parameter_store: BTreeMap<String, String>,
    #[serde(default, rename = "secrets-manager")]
    pub secrets_manager: BTreeMap<String, String>,
    /// Shell variables whose values at the end of POST_BUILD become the action's output
    /// variables (`#{Namespace.NAME}` in later actions).
    #[serde(default, rename = "exported-variables")]
    pub exported_variables: Vec<Spanned<String>>,
    #[serde(default, rename = "git-credential-helper")]
    pub git_credential_helper: Option<YesNo>,
    /// The build environment's settings, documented for a batch build's `env` and written in
    /// top-level `env` by real buildspecs: CodeBuild runs them, taking its project's settings.
    #[serde(default, rename = "compute-type")]
    pub compute_type: Option<de::IgnoredAny>,
    #[serde(default)]
    pub image: Option<de::IgnoredAny>,
    #[serde(default, rename = "type")]
    pub environment_type: Option<de::IgnoredAny>,
    #[serde(default, rename = "privileged-mode")]
    pub privileged_mode: Option<de::IgnoredAny>,
}

impl Env {
    /// The build-environment keys this `env` holds, which only a batch build's `env` uses.
    pub fn environment_keys(&self) -> Vec<&'static str> {
        [
            ("compute-type", self.compute_type.is_some()),
            ("image", self.image.is_some()),
            ("type", self.environment_type.is_some()),
            ("privileged-mode", self.privileged_mode.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect()
    }
}

/// Env values are strings to CodeBuild even when YAML reads them as numbers or booleans, and
/// empty when YAML reads none. A value keeps the text it is written with: `3.10`, `010`, `yes`
/// and `1e3` are those four strings, not 3.1, 8, true and 1000. CodeBuild does not document the
/// conversion and no recorded build shows it; a YAML decoder reading a scalar into a string
/// field does this (go-yaml's decode.go: `out.SetString(n.value)`), and so does AppVeyor by its
/// documentation, and a user who writes `PYTHON: 3.10` means 3.10.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalarString(pub String);

impl<'de> Deserialize<'de> for ScalarString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarString, E> {
                Ok(ScalarString(v.to_string()))
            }
            /// `NAME:` with no value: CodeBuild runs the build with NAME set and empty.
            fn visit_unit<E: de::Error>(self) -> Result<ScalarString, E> {
                Ok(ScalarString(String::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<ScalarString, E> {
                Ok(ScalarString(String::new()))
            }
            /// A value: read as the text it is written with (`3.10`, `010`, `yes` stay so).
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<ScalarString, D2::Error> {
                d.deserialize_str(self)
            }
        }
        d.deserialize_option(V)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    #[serde(default)]
    pub install: Option<Phase>,
    #[serde(default)]
    pub pre_build: Option<Phase>,
    #[serde(default)]
    pub build: Option<Phase>,
    #[serde(default)]
    pub post_build: Option<Phase>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OnFailure {
    #[default]
    Abort,
    Continue,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    #[serde(default, rename = "run-as")]
    pub run_as: Option<String>,
    #[serde(default, rename = "on-failure")]
    pub on_failure: OnFailure,
    #[serde(default, rename = "runtime-versions")]
    pub runtime_versions: BTreeMap<String, ScalarString>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub commands: Vec<Spanned<String>>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub finally: Vec<Spanned<String>>,
}

/// A phase's commands: a list, or (as CodeBuild also runs it) one string, a single command
/// however many lines it has.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Spanned<String>>, D::Error> {
    // Not an untagged enum: serde buffers those, and the commands' positions would be lost.
    enum Raw {
        Many(Vec<Spanned<String>>),
        One(String),
    }
    impl<'de> Deserialize<'de> for Raw {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Raw;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a list of commands, or one command")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw, E> {
                    Ok(Raw::One(v.to_string()))
                }
                fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
                    let mut all = Vec::new();
                    while let Some(command) = seq.next_element::<Spanned<String>>()? {
                        all.push(command);
                    }
                    Ok(Raw::Many(all))
                }
            }
            d.deserialize_any(V)
        }
    }
    let raw = Spanned::<Raw>::deserialize(d)?;
    Ok(match raw.value {
        Raw::Many(all) => all,
        Raw::One(one) => vec![Spanned::new(one, raw.referenced, raw.defined)],
    })
}

/// A list of paths, or one path written alone (`files: build.json`), which CodeBuild runs as a
/// list of one: the buildspec of Udacity's EKS deployment course, built by CodeBuild in every
/// student's pipeline, writes `artifacts: files: build.json` (corpus entry
/// `Mansour-Aldundur__FSND-Deploy-Flask-App-to-Kubernetes-Using-EKS`).
fn path_or_paths<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of paths, or one path")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut all = Vec::new();
            while let Some(path) = seq.next_element::<String>()? {
                all.push(path);
            }
            Ok(all)
        }
    }
    d.deserialize_any(V)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    #[serde(deserialize_with = "path_or_paths")]
    pub files: Vec<String>,
    #[serde(default, rename = "base-directory")]
    pub base_directory: Option<Spanned<String>>,
    #[serde(default, rename = "discard-paths")]
    pub discard_paths: YesNo,
    #[serde(default, rename = "file-format")]
    pub file_format: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Artifacts {
    #[serde(default, deserialize_with = "path_or_paths")]
    pub files: Vec<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "discard-paths")]
    pub discard_paths: YesNo,
    #[serde(default, rename = "base-directory")]
    pub base_directory: Option<Spanned<String>>,
    #[serde(default, rename = "exclude-paths", deserialize_with = "path_or_paths")]
    pub exclude_paths: Vec<String>,
    #[serde(default, rename = "enable-symlinks")]
    pub enable_symlinks: YesNo,
    #[serde(default, rename = "s3-prefix")]
    pub s3_prefix: Option<String>,
    #[serde(default, rename = "secondary-artifacts")]
    pub secondary_artifacts: BTreeMap<String, Artifacts>,
    /// `type: zip`, from the Lambda guide's SAM buildspec and the files that copied it: not in
    /// the buildspec reference, and CodeBuild runs it, packaging as the project says.
    #[serde(default, rename = "type")]
    pub packaging: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    #[serde(default, deserialize_with = "path_or_paths")]
    pub paths: Vec<String>,
    /// May hold `$(codebuild-hash-files FILE…)`, the hash of those files.
    #[serde(default)]
    pub key: Option<String>,
    /// Key prefixes to restore from when `key` has no cache; the newest match wins.
    #[serde(default, rename = "fallback-keys")]
    pub fallback_keys: Vec<String>,
    /// `restore` or `save` only; both when absent.
    #[serde(default)]
    pub action: Option<CacheAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheAction {
    Restore,
    Save,
}

impl Buildspec {
    /// Whether any phase has a command to run (a batch-only buildspec has none).
    pub fn has_phases(&self) -> bool {
        self.phases().iter().any(|(_, p)| p.is_some_and(|p| !p.commands.is_empty()))
    }

    /// The phases in CodeBuild's order, with their `BatchGetBuilds` phase types.
    pub fn phases(&self) -> [(&'static str, Option<&Phase>); 4] {
        [
            ("INSTALL", self.phases.install.as_ref()),
            ("PRE_BUILD", self.phases.pre_build.as_ref()),
            ("BUILD", self.phases.build.as_ref()),
            ("POST_BUILD", self.phases.post_build.as_ref()),
        ]
    }
}

pub fn parse_buildspec(file: &Path, text: &str) -> Result<Buildspec, SpecError> {
    let spec: Buildspec = parse_yaml(file, text)?;
    let mut r = Reporter::new(file, text);
    if let Some(shell) = &spec.env.shell
        && !matches!(shell.as_str(), "bash" | "/bin/sh")
    {
        r.error(
            spec.version.referenced,
            format!("env.shell `{shell}` is not supported locally; use bash or /bin/sh"),
        );
    }
    for v in &spec.env.exported_variables {
        if !is_shell_name(&v.value) {
            r.error(
                v.referenced,
                format!(
                    "exported variable `{}` is not a shell variable name (letters, digits and '_', not starting with a digit)",
                    v.value
                ),
            );
        }
    }
    let artifacts = spec
        .artifacts
        .iter()
        .flat_map(|a| std::iter::once(a).chain(a.secondary_artifacts.values()));
    let bases = artifacts
        .filter_map(|a| a.base_directory.as_ref())
        .chain(spec.reports.values().filter_map(|r| r.base_directory.as_ref()));
    for base in bases {
        if super::leaves_its_tree(&base.value) {
            r.error(
                base.referenced,
                format!(
                    "base-directory `{}` leaves the build's directory: give a path inside it, without `..` or a leading `/`",
                    base.value
                ),
            );
        }
    }
    let has_phases = spec.has_phases();
    match &spec.batch {
        // With phases the buildspec runs them, and its `batch:` is read by nothing (as for a
        // build CodeBuild starts on its own); alone, it is the batch that runs.
        Some(batch) if !has_phases => crate::spec::batch::check(batch, has_phases, &mut r),
        Some(_) => {}
        None if !has_phases => r.error(spec.version.referenced, "the buildspec has no commands in any phase"),
        None => {}
    }
    r.finish()?;
    Ok(spec)
}

/// `[A-Za-z_][A-Za-z0-9_]*`: what a shell can expand, and so what a build can export.
pub fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests;
