//! `baton watch`: starts executions when the pipeline's triggers say so — a push to the git
//! repository that passes its push filters ([`git_refs`] notices it the moment the ref moves),
//! or a schedule coming due. Executions run concurrently in one runtime, and the pipeline's
//! execution mode orders them.

pub mod git_refs;

use std::path::PathBuf;
use std::sync::Arc;

use baton_core::trigger::{GlobFilter, PushFilter, PushTriggers, RefChange, ScheduledRun, Verdict};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::LocalError;
use crate::execution_record::{ExecutionRecord, execution_id};
use crate::runtime::LocalRuntime;

/// What the watcher did, for its log.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// Following these triggers (said once, at the start).
    Watching {
        push: String,
        schedules: Vec<String>,
    },
    Started {
        execution_id: String,
        trigger: String,
        why: String,
        commit: String,
    },
    Skipped {
        trigger: String,
        why: String,
    },
    Finished(ExecutionRecord),
    /// A trigger that could not be acted on (the run could not start, git failed).
    Problem(String),
}

#[derive(Debug)]
pub struct Watcher {
    runtime: Arc<LocalRuntime>,
    dir: PathBuf,
    push: PushTriggers,
    schedules: Vec<ScheduledRun>,
    variables: Map<String, Value>,
}

impl Watcher {
    /// Reads the pipeline's triggers; without any, pushes to the checked-out branch count.
    pub async fn new(runtime: Arc<LocalRuntime>, variables: Map<String, Value>) -> Result<Self, LocalError> {
        let dir = runtime.source_dir().to_path_buf();
        git_refs::git(&dir, &["rev-parse", "--git-dir"]).await.map_err(|_| {
            LocalError::Invalid(format!(
                "baton watch follows a git repository, and {} is not in one (set `source.repository` in pipeline.yml)",
                dir.display()
            ))
        })?;
        let triggers = &runtime.pipeline().triggers;
        let push = if triggers.declared {
            triggers.push.clone()
        } else {
            let branch = git_refs::git(&dir, &["symbolic-ref", "--short", "HEAD"]).await.map_err(|_| {
                LocalError::Invalid(
                    "pipeline.yml has no `triggers` and HEAD is detached: name the branches to follow under `triggers`".into(),
                )
            })?;
            let include = GlobFilter::new(vec![branch.trim().to_string()], Vec::new())
                .map_err(|e| LocalError::Invalid(format!("branch name `{}`: {e}", branch.trim())))?;
            PushTriggers(vec![PushFilter {
                branches: Some(include),
                ..PushFilter::default()
            }])
        };
        Ok(Self {
            schedules: triggers.schedules.clone(),
            runtime,
            dir,
            push,
            variables,
        })
    }

    /// Follows the triggers until the task is dropped.
    pub async fn run(self, events: UnboundedSender<WatchEvent>) -> Result<(), LocalError> {
        let mut refs = git_refs::RefWatcher::open(&self.dir).await?;
        let mut known = git_refs::snapshot(&self.dir).await?;
        let started = Utc::now();
        let mut due: Vec<Option<DateTime<Utc>>> = self.schedules.iter().map(|s| s.schedule.next_after(started, started)).collect();
        let _ = events.send(WatchEvent::Watching {
            push: describe(&self.push),
            schedules: self.schedules.iter().map(|s| s.expression.clone()).collect(),
        });
        loop {
            let soonest = due.iter().flatten().min().copied();
            let timer = async {
                match soonest {
                    Some(t) => tokio::time::sleep((t - Utc::now()).to_std().unwrap_or_default()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = refs.changed() => {
                    changed?;
                    let now = git_refs::snapshot(&self.dir).await?;
                    for change in git_refs::changes(&known, &now) {
                        self.on_push(&change, &events).await;
                    }
                    known = now;
                }
                () = timer => {
                    let now = Utc::now();
                    for (i, s) in self.schedules.iter().enumerate() {
                        if due[i].is_some_and(|t| t <= now) {
                            self.on_schedule(s, &events).await;
                            due[i] = s.schedule.next_after(now, started);
                        }
                    }
                }
            }
        }
    }

    async fn on_push(&self, change: &RefChange, events: &UnboundedSender<WatchEvent>) {
        let trigger = format!(
            "push {} {}..{}",
            change.reference,
            short(change.old.as_deref()),
            short(change.new.as_deref())
        );
        let files = if self.push.wants_files(change) {
            match git_refs::changed_files(&self.dir, change).await {
                Ok(f) => f,
                Err(e) => {
                    let _ = events.send(WatchEvent::Problem(format!("{trigger}: could not list the changed files: {e}")));
                    return;
                }
            }
        } else {
            Vec::new()
        };
        match self.push.decide(change, &files) {
            Verdict::Start { commit, why } => self.start(trigger, why, commit, events),
            Verdict::Skip { why } => {
                tracing::info!(trigger = %trigger, why = %why, "push starts nothing");
                let _ = events.send(WatchEvent::Skipped { trigger, why });
            }
        }
    }

    async fn on_schedule(&self, s: &ScheduledRun, events: &UnboundedSender<WatchEvent>) {
        let trigger = format!("schedule {}", s.expression);
        let branch = match &s.branch {
            Some(b) => format!("refs/heads/{b}"),
            None => "HEAD".to_string(),
        };
        match git_refs::git(&self.dir, &["rev-parse", "--verify", &format!("{branch}^{{commit}}")]).await {
            Ok(commit) => self.start(trigger, format!("{} came due", s.expression), commit.trim().to_string(), events),
            Err(e) => {
                let _ = events.send(WatchEvent::Problem(format!("{trigger}: cannot resolve {branch}: {e}")));
            }
        }
    }

    fn start(&self, trigger: String, why: String, commit: String, events: &UnboundedSender<WatchEvent>) {
        let id = execution_id();
        tracing::info!(execution_id = %id, trigger = %trigger, why = %why, "starting an execution");
        let _ = events.send(WatchEvent::Started {
            execution_id: id.clone(),
            trigger,
            why,
            commit: commit.clone(),
        });
        let (runtime, events, variables) = (self.runtime.clone(), events.clone(), self.variables.clone());
        tokio::spawn(async move {
            let event = match runtime.run_as(id.clone(), Some(commit), variables).await {
                Ok(record) => WatchEvent::Finished(record),
                Err(e) => WatchEvent::Problem(format!("execution {id} could not run: {e}")),
            };
            let _ = events.send(event);
        });
    }
}

fn short(commit: Option<&str>) -> &str {
    commit.map_or("(none)", |c| &c[..c.len().min(8)])
}

fn describe(push: &PushTriggers) -> String {
    if push.0.is_empty() {
        return "no push trigger".into();
    }
    let one = |f: &PushFilter| {
        let mut parts = Vec::new();
        for (name, g) in [("branches", &f.branches), ("tags", &f.tags), ("paths", &f.paths)] {
            if let Some(g) = g {
                let mut s = format!("{name} {}", g.include.join(","));
                if !g.exclude.is_empty() {
                    s.push_str(&format!(" except {}", g.exclude.join(",")));
                }
                parts.push(s);
            }
        }
        if parts.is_empty() {
            "every branch".to_string()
        } else {
            parts.join("; ")
        }
    };
    push.0.iter().map(one).collect::<Vec<_>>().join(" | ")
}
