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
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Buildspec, SpecError> {
        parse_buildspec(Path::new("buildspec.yml"), text)
    }

    /// Every shape problem in the file, each where it is, not only the first; a key that went
    /// with a wrong line is not reported missing as well.
    #[test]
    fn every_problem_in_a_file_is_reported() {
        let err = parse(
            "version: 0.3\nenv:\n  variabls:\n    A: 1\nphases:\n  biuld:\n    commands:\n      - make\n  post_build:\n    commands: make\n    on-failure: MAYBE\nartifacts:\n  files: x\n  discardpaths: yes\n",
        )
        .unwrap_err();
        let said: Vec<String> = err
            .diagnostics
            .iter()
            .map(|d| format!("{}:{} {}", d.pos.line, d.pos.column, d.message))
            .collect();
        assert_eq!(said.len(), 5, "{said:#?}");
        for (at, what) in [
            ("1:10", "unsupported buildspec version `0.3`"),
            ("3:3", "unknown key `variabls`"),
            ("6:3", "unknown key `biuld`"),
            ("11:17", "`MAYBE` is not allowed here"),
            ("14:3", "unknown key `discardpaths`"),
        ] {
            assert!(said.iter().any(|s| s.starts_with(at) && s.contains(what)), "{at} {what}: {said:#?}");
        }
    }

    #[test]
    fn env_values_keep_the_text_they_are_written_with() {
        let spec = parse(
            "version: 0.2\nenv:\n  variables:\n    A: 3.10\n    B: 010\n    C: yes\n    D: 1e3\n    E: true\n    F: 0x1F\n    G: 571480186401\nphases:\n  build:\n    commands:\n      - echo\n",
        )
        .unwrap();
        let values: Vec<&str> = spec.env.variables.values().map(|v| v.0.as_str()).collect();
        assert_eq!(values, ["3.10", "010", "yes", "1e3", "true", "0x1F", "571480186401"]);
    }

    /// A variable with no value is accepted by CodeBuild and set empty (recorded in the
    /// fidelity issue's corpus run: CodeBuild ran such buildspecs; Baton refused them).
    #[test]
    fn an_env_variable_without_a_value_is_set_empty() {
        let spec = parse(
            "version: 0.2\nenv:\n  variables:\n    EMPTY:\n    TILDE: ~\n    SET: x\nphases:\n  build:\n    commands:\n      - echo\n",
        )
        .unwrap();
        let value = |k: &str| spec.env.variables[k].0.clone();
        assert_eq!(
            (value("EMPTY"), value("TILDE"), value("SET")),
            (String::new(), String::new(), "x".into())
        );
    }

    /// A batch-only buildspec is a batch (the batch build buildspec reference), and its plan
    /// is what each kind runs: a list as written, a graph with its dependencies, a matrix with
    /// every combination of its dynamic values.
    #[test]
    fn a_batch_buildspec_plans_its_builds() {
        let spec = parse(
            "version: 0.2\nbatch:\n  fast-fail: true\n  build-graph:\n    - identifier: build\n      buildspec: b.yml\n    - identifier: test_1\n      buildspec: t.yml\n      depend-on: [build]\n      ignore-failure: true\n      env:\n        variables: {SHARD: 1}\n        image: x\n",
        )
        .unwrap();
        let plan = spec.batch.unwrap().value.plan();
        assert_eq!((plan.kind, plan.fast_fail, plan.builds.len()), ("build-graph", true, 2));
        let test = &plan.builds[1];
        assert_eq!(test.depend_on, ["build"]);
        assert!(test.ignore_failure);
        assert_eq!(test.variables["SHARD"], "1");
        assert_eq!(test.environment, ["image"]);

        let spec = parse(
            "version: 0.2\nbatch:\n  build-matrix:\n    static:\n      env: {variables: {FIXED: f}}\n    dynamic:\n      env:\n        image: one\n        variables:\n          A: [p, q]\n          B: [1, 2, 3]\nphases:\n  build:\n    commands: [make]\n",
        )
        .unwrap();
        let plan = spec.batch.unwrap().value.plan();
        assert_eq!(plan.builds.len(), 6);
        let last = &plan.builds[5];
        assert_eq!(
            (last.identifier.as_str(), last.variables["A"].as_str(), last.variables["B"].as_str()),
            ("build6", "q", "3")
        );
        assert_eq!(last.variables["FIXED"], "f");
        assert_eq!(last.environment, ["image=one"]);
    }

    #[test]
    fn what_codebuild_refuses_in_a_batch_is_refused_where_it_is_written() {
        let refused = |yaml: &str, said: &str| {
            let err = parse(yaml).unwrap_err().to_string();
            assert!(err.contains(said), "{yaml}\n→ {err}");
        };
        // Batch-only files: with phases a buildspec runs them and its `batch:` is not read.
        let graph = |body: &str| format!("version: 0.2\nbatch:\n  build-graph:\n{body}");
        refused(
            &graph(
                "    - identifier: a\n      buildspec: a.yml\n      depend-on: [b]\n    - identifier: b\n      buildspec: b.yml\n      depend-on: [a]\n",
            ),
            "go round in a circle through a, b",
        );
        refused(
            &graph("    - identifier: a\n      buildspec: a.yml\n      depend-on: [nope]\n"),
            "depend-on `nope` names no build of the graph; its builds are a",
        );
        refused(
            &graph("    - identifier: a\n      buildspec: a.yml\n    - identifier: a\n      buildspec: b.yml\n"),
            "identifier `a` names two builds",
        );
        refused(
            &graph("    - identifier: a-b\n      buildspec: a.yml\n"),
            "identifier `a-b`: use letters, digits and underscores",
        );
        refused(&graph("    - identifier: a\n      buildspec: ../x.yml\n"), "leaves the source");
        refused(
            "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      buildspec: a.yml\n      depend-on: [b]\n    - identifier: b\n      buildspec: b.yml\n",
            "depend-on orders the builds of a build-graph",
        );
        refused(
            "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n",
            "build `a` runs this buildspec, which has no phases",
        );
        refused(
            "version: 0.2\nbatch:\n  fast-fail: true\n",
            "a batch needs one of build-list, build-graph or build-matrix",
        );
        let wide: String = (0..11).map(|i| format!("{i}, ")).collect();
        refused(
            &format!(
                "version: 0.2\nbatch:\n  build-matrix:\n    dynamic:\n      buildspec: [m.yml]\n      env:\n        variables:\n          A: [{wide}]\n          B: [{wide}]\n"
            ),
            "this matrix makes 121 builds; a batch runs at most 100",
        );
    }

    #[test]
    fn commands_written_as_one_block_are_one_command() {
        let spec = parse("version: 0.2\nphases:\n  build:\n    commands: |\n      echo a\n      echo b\n    finally: echo done\n").unwrap();
        let build = spec.phases.build.unwrap();
        assert_eq!(
            build.commands.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
            ["echo a\necho b\n"]
        );
        assert_eq!(build.finally[0].value, "echo done");
        assert_eq!(build.commands[0].referenced.line(), 5, "where its text starts");
        let spec = parse("version: 0.2\nphases:\n  build:\n    commands:\n      - echo a\n").unwrap();
        assert_eq!(spec.phases.build.unwrap().commands[0].referenced.line(), 5);
    }
}
