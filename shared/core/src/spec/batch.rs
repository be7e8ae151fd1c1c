//! A buildspec's `batch:` ("Batch build buildspec reference"): the builds a batch runs — a
//! list run side by side, a graph run in dependency order, or a matrix of every combination of
//! its dynamic settings — each with its own buildspec, variables and `ignore-failure`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny};
use serde_saphyr::Spanned;

use crate::spec::buildspec::{ScalarString, YesNo};
use crate::spec::error::{Diagnostic, Reporter};

/// CodeBuild's default for a project's "maximum builds allowed in a batch"; a matrix that
/// multiplies past it is refused rather than started.
pub const MAX_BATCH_BUILDS: usize = 100;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Stop the builds still running once one fails (ignored failures aside).
    #[serde(default, rename = "fast-fail")]
    pub fast_fail: YesNo,
    #[serde(default, rename = "build-list")]
    pub build_list: Option<Spanned<Vec<Task>>>,
    #[serde(default, rename = "build-graph")]
    pub build_graph: Option<Spanned<Vec<Task>>>,
    #[serde(default, rename = "build-matrix")]
    pub build_matrix: Option<Spanned<Matrix>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub identifier: Spanned<String>,
    /// The task's buildspec, a path in the source; absent, the batch's own file.
    #[serde(default)]
    pub buildspec: Option<String>,
    #[serde(default, rename = "depend-on")]
    pub depend_on: Vec<Spanned<String>>,
    #[serde(default)]
    pub env: TaskEnv,
    #[serde(default, rename = "ignore-failure")]
    pub ignore_failure: YesNo,
    #[serde(default, rename = "debug-session")]
    pub debug_session: Option<IgnoredAny>,
}

/// A task's build environment. Only `variables` reaches a local build; the rest choose
/// CodeBuild's container. Keys CodeBuild does not document are kept by name: real batch files
/// write variables here directly (`env: NAME: …`), which CodeBuild runs and ignores.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaskEnv {
    #[serde(default)]
    pub variables: BTreeMap<String, ScalarString>,
    #[serde(default, rename = "compute-type")]
    pub compute_type: Option<IgnoredAny>,
    #[serde(default)]
    pub image: Option<IgnoredAny>,
    #[serde(default, rename = "type")]
    pub environment_type: Option<IgnoredAny>,
    #[serde(default, rename = "privileged-mode")]
    pub privileged_mode: Option<IgnoredAny>,
    #[serde(flatten)]
    pub undocumented: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    #[serde(default, rename = "static")]
    pub fixed: MatrixStatic,
    #[serde(default)]
    pub dynamic: MatrixDynamic,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixStatic {
    #[serde(default, rename = "ignore-failure")]
    pub ignore_failure: YesNo,
    #[serde(default)]
    pub env: TaskEnv,
    #[serde(default, rename = "debug-session")]
    pub debug_session: Option<IgnoredAny>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixDynamic {
    #[serde(default)]
    pub buildspec: Values,
    #[serde(default)]
    pub env: DynamicEnv,
}

/// The dimensions a matrix multiplies: every value of each, with every value of the others.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DynamicEnv {
    #[serde(default)]
    pub variables: BTreeMap<String, Values>,
    #[serde(default, rename = "compute-type")]
    pub compute_type: Values,
    #[serde(default)]
    pub image: Values,
}

/// A list of values, or one value written alone (`compute-type: BUILD_GENERAL1_MEDIUM` in
/// Cypress' matrix, which CodeBuild ran).
#[derive(Debug, Clone, Default)]
pub struct Values(pub Vec<String>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values (text, numbers or booleans)")
            }
            /// A list's values keep the text they are written with, as env values do.
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Values, A::Error> {
                let mut all = Vec::new();
                while let Some(v) = seq.next_element::<ScalarString>()? {
                    all.push(v.0);
                }
                Ok(Values(all))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Values, E> {
                Ok(Values(vec![v.to_string()]))
            }
        }
        d.deserialize_any(V)
    }
}

/// One build of a batch, as it will run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchBuild {
    pub identifier: String,
    pub buildspec: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub ignore_failure: bool,
    pub depend_on: Vec<String>,
    /// Settings that choose CodeBuild's container (`image=…`), said in the log, not applied.
    pub environment: Vec<String>,
    /// Keys under `env` CodeBuild does not document and ignores.
    pub ignored: Vec<String>,
}

/// What a batch runs: which kind, whether it stops at the first failure, and its builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPlan {
    pub kind: &'static str,
    pub fast_fail: bool,
    pub builds: Vec<BatchBuild>,
}

impl TaskEnv {
    fn environment(&self) -> Vec<String> {
        [
            ("compute-type", self.compute_type.is_some()),
            ("image", self.image.is_some()),
            ("type", self.environment_type.is_some()),
            ("privileged-mode", self.privileged_mode.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(key, _)| key.to_string())
        .collect()
    }

    fn variables(&self) -> BTreeMap<String, String> {
        self.variables.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()
    }
}

impl Batch {
    /// The builds the batch runs, in the order written (a matrix: buildspecs, then images,
    /// then compute types, then each variable in name order, the last varying fastest).
    pub fn plan(&self) -> BatchPlan {
        let task = |t: &Task| BatchBuild {
            identifier: t.identifier.value.clone(),
            buildspec: t.buildspec.clone(),
            variables: t.env.variables(),
            ignore_failure: t.ignore_failure.0,
            depend_on: t.depend_on.iter().map(|d| d.value.clone()).collect(),
            environment: t.env.environment(),
            ignored: t.env.undocumented.keys().cloned().collect(),
        };
        let (kind, builds) = if let Some(list) = &self.build_list {
            ("build-list", list.value.iter().map(task).collect())
        } else if let Some(graph) = &self.build_graph {
            ("build-graph", graph.value.iter().map(task).collect())
        } else if let Some(matrix) = &self.build_matrix {
            ("build-matrix", matrix_builds(&matrix.value))
        } else {
            ("build-list", Vec::new())
        };
        BatchPlan {
            kind,
            fast_fail: self.fast_fail.0,
            builds,
        }
    }
}

/// The number of builds a matrix makes, saturating: it is bounded before it is expanded.
fn matrix_size(m: &Matrix) -> usize {
    let d = &m.dynamic;
    [d.buildspec.0.len(), d.env.image.0.len(), d.env.compute_type.0.len()]
        .into_iter()
        .chain(d.env.variables.values().map(|v| v.0.len()))
        .map(|n| n.max(1))
        .fold(1usize, usize::saturating_mul)
}

fn matrix_builds(m: &Matrix) -> Vec<BatchBuild> {
    let d = &m.dynamic;
    let or_none = |v: &Values| {
        if v.0.is_empty() {
            vec![None]
        } else {
            v.0.iter().cloned().map(Some).collect()
        }
    };
    let mut builds = Vec::new();
    for buildspec in or_none(&d.buildspec) {
        for image in or_none(&d.env.image) {
            for compute in or_none(&d.env.compute_type) {
                let mut environment = m.fixed.env.environment();
                environment.extend(image.iter().map(|i| format!("image={i}")));
                environment.extend(compute.iter().map(|c| format!("compute-type={c}")));
                builds.push(BatchBuild {
                    identifier: String::new(),
                    buildspec: buildspec.clone(),
                    variables: m.fixed.env.variables(),
                    ignore_failure: m.fixed.ignore_failure.0,
                    depend_on: Vec::new(),
                    environment,
                    ignored: m.fixed.env.undocumented.keys().cloned().collect(),
                });
            }
        }
    }
    for (name, values) in &d.env.variables {
        builds = builds
            .into_iter()
            .flat_map(|b| {
                values.0.iter().map(move |v| {
                    let mut b = b.clone();
                    b.variables.insert(name.clone(), v.clone());
                    b
                })
            })
            .collect();
    }
    for (i, b) in builds.iter_mut().enumerate() {
        b.identifier = format!("build{}", i + 1);
    }
    builds
}

/// Reports what CodeBuild refuses in a batch: none or several kinds, identifiers that are
/// empty, repeated or not `[A-Za-z0-9_]`, dependencies outside a graph, on unknown builds or in
/// a cycle, more than [`MAX_BATCH_BUILDS`] builds, and a task that would run a buildspec with no
/// phases (the batch's own file, when it holds only `batch:`).
pub(crate) fn check(batch: &Spanned<Batch>, own_phases: bool, r: &mut Reporter) {
    let b = &batch.value;
    let kinds = [b.build_list.is_some(), b.build_graph.is_some(), b.build_matrix.is_some()];
    match kinds.iter().filter(|k| **k).count() {
        0 => {
            return r.error(
                batch.referenced,
                "a batch needs one of build-list, build-graph or build-matrix: the builds it runs",
            );
        }
        1 => {}
        _ => {
            return r.error(
                batch.referenced,
                "a batch runs one of build-list, build-graph or build-matrix, not several: keep one",
            );
        }
    }
    if let Some(matrix) = &b.build_matrix {
        let size = matrix_size(&matrix.value);
        if size > MAX_BATCH_BUILDS {
            r.error(
                matrix.referenced,
                format!("this matrix makes {size} builds; a batch runs at most {MAX_BATCH_BUILDS} (CodeBuild's default limit)"),
            );
        }
        if !own_phases && matrix.value.dynamic.buildspec.0.is_empty() {
            r.error(
                matrix.referenced,
                "the matrix's builds run this buildspec, which has no phases: give `dynamic: buildspec:` or phases",
            );
        }
        return;
    }
    let (tasks, graph) = match (&b.build_list, &b.build_graph) {
        (Some(list), _) => (list, false),
        (_, Some(graph)) => (graph, true),
        _ => return,
    };
    if tasks.value.is_empty() {
        return r.error(tasks.referenced, "the batch lists no builds");
    }
    if tasks.value.len() > MAX_BATCH_BUILDS {
        r.error(
            tasks.referenced,
            format!(
                "{} builds; a batch runs at most {MAX_BATCH_BUILDS} (CodeBuild's default limit)",
                tasks.value.len()
            ),
        );
    }
    let mut seen = BTreeSet::new();
    for t in &tasks.value {
        let id = &t.identifier;
        if id.value.is_empty() || !id.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            r.error(
                id.referenced,
                format!("identifier `{}`: use letters, digits and underscores", id.value),
            );
        } else if !seen.insert(id.value.as_str()) {
            r.error(id.referenced, format!("identifier `{}` names two builds of the batch", id.value));
        }
        if t.buildspec.is_none() && !own_phases {
            r.error(
                id.referenced,
                format!(
                    "build `{}` runs this buildspec, which has no phases: give it a `buildspec:`",
                    id.value
                ),
            );
        }
        if let Some(path) = &t.buildspec
            && super::leaves_its_tree(path)
        {
            r.error(
                id.referenced,
                format!("build `{}`: buildspec `{path}` leaves the source; give a path inside it", id.value),
            );
        }
        if !graph && let Some(dep) = t.depend_on.first() {
            r.error(
                dep.referenced,
                "depend-on orders the builds of a build-graph; a build-list runs its builds side by side",
            );
        }
    }
    if graph {
        check_graph(&tasks.value, r);
    }
}

/// Every dependency names another build of the graph, and following them never comes back.
fn check_graph(tasks: &[Task], r: &mut Reporter) {
    let by_id: BTreeMap<&str, &Task> = tasks.iter().map(|t| (t.identifier.value.as_str(), t)).collect();
    for t in tasks {
        for dep in &t.depend_on {
            if dep.value == t.identifier.value {
                r.error(dep.referenced, format!("build `{}` depends on itself", dep.value));
            } else if !by_id.contains_key(dep.value.as_str()) {
                let known: Vec<&str> = by_id.keys().copied().collect();
                r.error(
                    dep.referenced,
                    format!(
                        "depend-on `{}` names no build of the graph; its builds are {}",
                        dep.value,
                        known.join(", ")
                    ),
                );
            }
        }
    }
    // Kahn's algorithm: what is never freed sits on a cycle.
    let mut waiting: BTreeMap<&str, usize> = tasks
        .iter()
        .map(|t| {
            let deps = t
                .depend_on
                .iter()
                .filter(|d| by_id.contains_key(d.value.as_str()) && d.value != t.identifier.value);
            (t.identifier.value.as_str(), deps.count())
        })
        .collect();
    let mut ready: Vec<&str> = waiting.iter().filter(|(_, n)| **n == 0).map(|(id, _)| *id).collect();
    while let Some(done) = ready.pop() {
        waiting.remove(done);
        for t in tasks.iter().filter(|t| t.depend_on.iter().any(|d| d.value == done)) {
            if let Some(n) = waiting.get_mut(t.identifier.value.as_str()) {
                *n -= 1;
                if *n == 0 {
                    ready.push(t.identifier.value.as_str());
                }
            }
        }
    }
    if let Some(t) = tasks.iter().find(|t| waiting.contains_key(t.identifier.value.as_str())) {
        let cycle: Vec<&str> = waiting.keys().copied().collect();
        r.error(
            t.identifier.referenced,
            format!(
                "the graph's dependencies go round in a circle through {}: no build of it could start",
                cycle.join(", ")
            ),
        );
    }
}

/// Warnings for what CodeBuild runs but ignores in a batch: keys under a build's `env` that are
/// not build-environment settings (real files put variables there, `env: NAME: …`).
pub fn ignored_keys(file: &std::path::Path, text: &str, batch: &Batch) -> Vec<Diagnostic> {
    let mut r = Reporter::new(file, text);
    let tasks = batch.build_list.iter().chain(&batch.build_graph).flat_map(|t| &t.value);
    for t in tasks {
        for key in t.env.undocumented.keys() {
            let at = r.find(t.identifier.referenced.into(), &format!("{key}:"));
            r.error(
                at,
                format!(
                    "CodeBuild ignores `{key}` in build `{}`'s env: variables go under `env: variables:`",
                    t.identifier.value
                ),
            );
        }
    }
    if let Some(m) = &batch.build_matrix {
        for key in m.value.fixed.env.undocumented.keys() {
            let at = r.find(m.referenced.into(), &format!("{key}:"));
            r.error(
                at,
                format!("CodeBuild ignores `{key}` in the matrix's static env: variables go under `env: variables:`"),
            );
        }
    }
    r.into_diagnostics()
}
