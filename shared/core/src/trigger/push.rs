//! Push filters: which ref changes start an execution. CodePipeline V2 offers branch, tag and
//! file-path filters (include / exclude globs) for its connection sources only; Baton applies
//! them to every push, locally to git ref updates and on AWS to CodeCommit's
//! `Repository State Change` events.
//!
//! Within one push trigger every filter given must match; any one trigger matching starts the
//! execution. Excludes win over includes; an empty include list includes everything.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// One ref's change in a push: `old` is `None` when the ref was created, `new` when deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    /// The full ref name, `refs/heads/main` or `refs/tags/v1.2`.
    pub reference: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind<'a> {
    Branch(&'a str),
    Tag(&'a str),
    Other(&'a str),
}

impl RefChange {
    pub fn kind(&self) -> RefKind<'_> {
        if let Some(b) = self.reference.strip_prefix("refs/heads/") {
            RefKind::Branch(b)
        } else if let Some(t) = self.reference.strip_prefix("refs/tags/") {
            RefKind::Tag(t)
        } else {
            RefKind::Other(&self.reference)
        }
    }
}

/// Include and exclude globs (`*` stays within a path segment, `**` crosses them).
#[derive(Debug, Clone)]
pub struct GlobFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    include_set: GlobSet,
    exclude_set: GlobSet,
}

impl GlobFilter {
    pub fn new(include: Vec<String>, exclude: Vec<String>) -> Result<Self, globset::Error> {
        let set = |globs: &[String]| -> Result<GlobSet, globset::Error> {
            let mut b = GlobSetBuilder::new();
            for g in globs {
                b.add(glob(g)?);
            }
            b.build()
        };
        Ok(Self {
            include_set: set(&include)?,
            exclude_set: set(&exclude)?,
            include,
            exclude,
        })
    }

    /// Exactly `name`, whatever glob syntax it holds (git allows `[` and `*`-free oddities).
    pub fn exact(name: &str) -> Self {
        let mut builder = GlobSetBuilder::new();
        let set = glob(&globset::escape(name))
            .map(|g| builder.add(g))
            .and_then(|b| b.build())
            // An escaped name always compiles; if it ever did not, the filter matches nothing.
            .unwrap_or_else(|_| GlobSet::empty());
        Self {
            include: vec![name.to_string()],
            exclude: Vec::new(),
            include_set: set,
            exclude_set: GlobSet::empty(),
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include_set.is_match(name)) && !self.exclude_set.is_match(name)
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.include.is_empty() {
            parts.push(format!("include [{}]", self.include.join(", ")));
        }
        if !self.exclude.is_empty() {
            parts.push(format!("exclude [{}]", self.exclude.join(", ")));
        }
        parts.join(", ")
    }
}

/// Compiles one glob as the filters read it.
pub fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// One `push` trigger. No `branches` and no `tags` means every branch.
#[derive(Debug, Clone, Default)]
pub struct PushFilter {
    pub branches: Option<GlobFilter>,
    pub tags: Option<GlobFilter>,
    pub paths: Option<GlobFilter>,
}

/// What a push does, and why, for the trigger's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Start an execution at `commit`.
    Start {
        commit: String,
        why: String,
    },
    Skip {
        why: String,
    },
}

impl PushFilter {
    /// Whether the ref filters let this ref through (paths aside), or why not.
    fn admits_ref(&self, change: &RefChange) -> Result<(), String> {
        match (change.kind(), &self.branches, &self.tags) {
            (RefKind::Branch(_), None, None) => Ok(()),
            (RefKind::Branch(b), Some(f), _) if f.matches(b) => Ok(()),
            (RefKind::Branch(b), Some(f), _) => Err(format!("branch `{b}` is not matched by branches ({})", f.describe())),
            (RefKind::Branch(b), None, Some(_)) => Err(format!("branch `{b}`: this trigger follows tags only")),
            (RefKind::Tag(t), _, Some(f)) if f.matches(t) => Ok(()),
            (RefKind::Tag(t), _, Some(f)) => Err(format!("tag `{t}` is not matched by tags ({})", f.describe())),
            (RefKind::Tag(t), _, None) => Err(format!("tag `{t}`: this trigger has no tags filter")),
            (RefKind::Other(r), ..) => Err(format!("`{r}` is neither a branch nor a tag")),
        }
    }
}

/// A pipeline's push triggers.
#[derive(Debug, Clone, Default)]
pub struct PushTriggers(pub Vec<PushFilter>);

impl PushTriggers {
    /// Whether deciding on `change` needs the list of files it changed (worth a git diff or a
    /// `GetDifferences` call only then).
    pub fn wants_files(&self, change: &RefChange) -> bool {
        change.new.is_some() && self.0.iter().any(|f| f.paths.is_some() && f.admits_ref(change).is_ok())
    }

    pub fn decide(&self, change: &RefChange, changed_files: &[String]) -> Verdict {
        let Some(commit) = &change.new else {
            return Verdict::Skip {
                why: format!("{} was deleted: a deletion starts nothing", change.reference),
            };
        };
        if self.0.is_empty() {
            return Verdict::Skip {
                why: "the pipeline has no push trigger".into(),
            };
        }
        let mut reasons = Vec::new();
        for (i, f) in self.0.iter().enumerate() {
            let n = i + 1;
            if let Err(why) = f.admits_ref(change) {
                reasons.push(format!("push trigger {n}: {why}"));
                continue;
            }
            match &f.paths {
                Some(p) => match changed_files.iter().find(|file| p.matches(file)) {
                    Some(file) => {
                        return Verdict::Start {
                            commit: commit.clone(),
                            why: format!("push trigger {n} matches {} and changed file `{file}`", change.reference),
                        };
                    }
                    None => reasons.push(format!(
                        "push trigger {n}: none of the {} changed file(s) is matched by paths ({}){}",
                        changed_files.len(),
                        p.describe(),
                        sample(changed_files)
                    )),
                },
                None => {
                    return Verdict::Start {
                        commit: commit.clone(),
                        why: format!("push trigger {n} matches {}", change.reference),
                    };
                }
            }
        }
        Verdict::Skip { why: reasons.join("; ") }
    }
}

fn sample(files: &[String]) -> String {
    match files {
        [] => String::new(),
        [a] => format!(": {a}"),
        [a, b] => format!(": {a}, {b}"),
        [a, b, rest @ ..] => format!(": {a}, {b} and {} more", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> Option<GlobFilter> {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect();
        Some(GlobFilter::new(v(include), v(exclude)).expect("globs"))
    }

    fn push(reference: &str) -> RefChange {
        RefChange {
            reference: reference.into(),
            old: Some("a".repeat(40)),
            new: Some("b".repeat(40)),
        }
    }

    fn starts(t: &PushTriggers, change: &RefChange, files: &[&str]) -> bool {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        matches!(t.decide(change, &files), Verdict::Start { .. })
    }

    #[test]
    fn branch_globs_include_and_exclude() {
        let t = PushTriggers(vec![PushFilter {
            branches: filter(&["main", "release/**"], &["release/old-*"]),
            ..PushFilter::default()
        }]);
        assert!(starts(&t, &push("refs/heads/main"), &[]));
        assert!(starts(&t, &push("refs/heads/release/2026/12"), &[]));
        assert!(!starts(&t, &push("refs/heads/release/old-1"), &[]), "exclude wins");
        assert!(!starts(&t, &push("refs/heads/feature/x"), &[]));
        assert!(!starts(&t, &push("refs/tags/v1"), &[]), "a branch trigger ignores tags");
    }

    #[test]
    fn tag_globs_include_and_exclude() {
        let t = PushTriggers(vec![PushFilter {
            tags: filter(&["v*"], &["v*-rc*"]),
            ..PushFilter::default()
        }]);
        assert!(starts(&t, &push("refs/tags/v1.2.0"), &[]));
        assert!(!starts(&t, &push("refs/tags/v1.2.0-rc1"), &[]));
        assert!(!starts(&t, &push("refs/heads/main"), &[]), "a tag trigger ignores branches");
    }

    #[test]
    fn path_globs_look_at_the_changed_files() {
        let t = PushTriggers(vec![PushFilter {
            branches: filter(&["main"], &[]),
            paths: filter(&["src/**"], &["src/**/*.md"]),
            ..PushFilter::default()
        }]);
        let change = push("refs/heads/main");
        assert!(t.wants_files(&change));
        assert!(starts(&t, &change, &["README.md", "src/app/main.rs"]));
        assert!(!starts(&t, &change, &["src/docs/notes.md", "docs/x"]));
        assert!(!t.wants_files(&push("refs/heads/other")), "no diff for a ref no trigger takes");
        match t.decide(&change, &["docs/a".into(), "docs/b".into(), "docs/c".into()]) {
            Verdict::Skip { why } => assert!(why.contains("docs/a, docs/b and 1 more"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_deleted_branch_starts_nothing_and_says_so() {
        let t = PushTriggers(vec![PushFilter::default()]);
        let deleted = RefChange {
            new: None,
            ..push("refs/heads/main")
        };
        match t.decide(&deleted, &[]) {
            Verdict::Skip { why } => assert!(why.contains("deleted"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn any_matching_trigger_starts_the_execution() {
        let t = PushTriggers(vec![
            PushFilter {
                branches: filter(&["main"], &[]),
                ..PushFilter::default()
            },
            PushFilter {
                tags: filter(&["release-*"], &[]),
                ..PushFilter::default()
            },
        ]);
        assert!(starts(&t, &push("refs/tags/release-7"), &[]));
        match t.decide(&push("refs/heads/dev"), &[]) {
            Verdict::Skip { why } => assert!(why.contains("push trigger 1") && why.contains("push trigger 2"), "{why}"),
            v => panic!("{v:?}"),
        }
    }
}
