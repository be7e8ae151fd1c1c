//! `baton watch`: starts executions when the pipeline's triggers say so — a push to the git
//! repository that passes its push filters (`git_refs` notices it the moment the ref moves),
//! or a schedule coming due. Executions run concurrently in one runtime, and the pipeline's
//! execution mode orders them.

pub(crate) mod git_refs;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use baton_core::ports::{ExecutionStarter, PortResult};
use baton_core::stages::trigger::{self, TriggerOutcome, TriggerPorts};
use baton_core::trigger::{PushFilter, PushTriggers, RefChange, ScheduledRun};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::LocalError;
use crate::execution::record::{ExecutionRecord, execution_id};
use crate::query;
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
    dir: PathBuf,
    push: PushTriggers,
    schedules: Vec<ScheduledRun>,
    files: git_refs::GitChangedFiles,
    starter: LocalStarter,
}

impl Watcher {
    /// Reads the pipeline's triggers; without any, pushes to the checked-out branch count.
    pub async fn new(runtime: Arc<LocalRuntime>, variables: Map<String, Value>) -> Result<Self, LocalError> {
        let dir = runtime.source_dir().to_path_buf();
        git_refs::git(&dir, &["rev-parse", "--git-dir"]).await.map_err(|_| {
            LocalError::BadRequest(format!(
                "baton watch follows a git repository, and {} is not in one (set `source.repository` in pipeline.yml)",
                dir.display()
            ))
        })?;
        let triggers = &runtime.pipeline().triggers;
        let push = if triggers.declared {
            triggers.push.clone()
        } else {
            let branch = git_refs::git(&dir, &["symbolic-ref", "--short", "HEAD"]).await.map_err(|_| {
                LocalError::BadRequest(
                    "pipeline.yml has no `triggers` and HEAD is detached: name the branches to follow under `triggers`".into(),
                )
            })?;
            triggers.push_or_branch(branch.trim())
        };
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        Ok(Self {
            schedules: triggers.schedules.clone(),
            files: git_refs::GitChangedFiles { dir: dir.clone() },
            starter: LocalStarter {
                runtime,
                variables,
                events,
            },
            dir,
            push,
        })
    }

    /// Follows the triggers until the task is dropped.
    pub async fn run(mut self, events: UnboundedSender<WatchEvent>) -> Result<(), LocalError> {
        self.starter.events = events.clone();
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
        let trigger = push_line(&change.reference, change.old.as_deref(), change.new.as_deref());
        let ports = TriggerPorts {
            files: &self.files,
            starter: &self.starter,
        };
        match trigger::on_push(ports, &self.push, change, &execution_id()).await {
            Ok(TriggerOutcome::Skipped { why }) => {
                let _ = events.send(WatchEvent::Skipped { trigger, why });
            }
            Ok(TriggerOutcome::Started { .. }) => {}
            Err(e) => {
                let _ = events.send(WatchEvent::Problem(format!("{trigger}: {e}")));
            }
        }
    }

    async fn on_schedule(&self, s: &ScheduledRun, events: &UnboundedSender<WatchEvent>) {
        let branch = match &s.branch {
            Some(b) => format!("refs/heads/{b}"),
            None => "HEAD".to_string(),
        };
        let commit = match git_refs::git(&self.dir, &["rev-parse", "--verify", &format!("{branch}^{{commit}}")]).await {
            Ok(c) => c.trim().to_string(),
            Err(e) => {
                let _ = events.send(WatchEvent::Problem(format!(
                    "schedule {}: cannot resolve {branch}: {e}",
                    s.expression
                )));
                return;
            }
        };
        if let Err(e) = trigger::on_schedule(&self.starter, &s.expression, commit, &execution_id()).await {
            let _ = events.send(WatchEvent::Problem(format!("schedule {}: {e}", s.expression)));
        }
    }
}

/// `ExecutionStarter` for this machine: each execution runs as a task of the watcher's runtime.
#[derive(Debug)]
struct LocalStarter {
    runtime: Arc<LocalRuntime>,
    variables: Map<String, Value>,
    events: UnboundedSender<WatchEvent>,
}

#[async_trait]
impl ExecutionStarter for LocalStarter {
    async fn start(&self, name: &str, input: Value) -> PortResult<bool> {
        if query::execution_exists(self.runtime.db(), name)? {
            return Ok(false);
        }
        let t = &input["trigger"];
        let trigger = match t["type"].as_str() {
            Some("push") => push_line(t["ref"].as_str().unwrap_or_default(), t["old"].as_str(), t["new"].as_str()),
            _ => format!("schedule {}", t["expression"].as_str().unwrap_or_default()),
        };
        let commit = input["revision"].as_str().unwrap_or_default().to_string();
        let _ = self.events.send(WatchEvent::Started {
            execution_id: name.to_string(),
            trigger,
            why: t["why"].as_str().unwrap_or_default().to_string(),
            commit: commit.clone(),
        });
        let mut variables = self.variables.clone();
        if let Some(given) = input["variables"].as_object() {
            variables.extend(given.clone());
        }
        let (runtime, events, id, trigger) = (self.runtime.clone(), self.events.clone(), name.to_string(), t.clone());
        tokio::spawn(async move {
            let event = match runtime.run_as(id.clone(), Some(commit), variables, Some(trigger)).await {
                Ok(record) => WatchEvent::Finished(record),
                Err(e) => WatchEvent::Problem(format!("execution {id} could not run: {e}")),
            };
            let _ = events.send(event);
        });
        Ok(true)
    }
}

/// `push refs/heads/main 1a2b3c4d..5e6f7a8b`, the watcher's name for a ref change.
fn push_line(reference: &str, old: Option<&str>, new: Option<&str>) -> String {
    format!("push {reference} {}..{}", short(old), short(new))
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
