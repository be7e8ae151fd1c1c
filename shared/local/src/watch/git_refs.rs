//! Following a git repository's refs without polling: inotify on `refs/heads`, `refs/tags`
//! (recursively: `release/1.0` is a directory and a file) and on the git directory for
//! `packed-refs`. Git moves `<ref>.lock` onto `<ref>` to update a ref, so a `MOVED_TO` (or a
//! delete) is the moment a push lands. Every wake-up re-reads the refs and compares, so
//! coalesced or missed notifications cannot lose a change.

use std::collections::{BTreeMap, HashMap};
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use baton_core::ports::{ChangedFiles, PortResult};
use baton_core::trigger::RefChange;
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use tokio::io::unix::AsyncFd;

use crate::error::LocalError;

/// Each ref's commit (tags peeled to theirs).
pub(crate) type Refs = BTreeMap<String, String>;

pub(crate) use crate::sys::git::output as git;

/// The branches and tags of the repository at `dir`.
pub(crate) async fn snapshot(dir: &Path) -> Result<Refs, LocalError> {
    // `%(*objectname)` is the commit an annotated tag points at; empty for anything else.
    let text = git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname) %(*objectname)",
            "refs/heads",
            "refs/tags",
        ],
    )
    .await?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(' ');
            let (name, object, peeled) = (parts.next()?, parts.next()?, parts.next().unwrap_or_default());
            Some((name.to_string(), if peeled.is_empty() { object } else { peeled }.to_string()))
        })
        .collect())
}

/// What changed between two snapshots, in ref-name order.
pub(crate) fn changes(before: &Refs, after: &Refs) -> Vec<RefChange> {
    let mut out = Vec::new();
    for (name, new) in after {
        match before.get(name) {
            Some(old) if old == new => {}
            old => out.push(RefChange {
                reference: name.clone(),
                old: old.cloned(),
                new: Some(new.clone()),
            }),
        }
    }
    for (name, old) in before {
        if !after.contains_key(name) {
            out.push(RefChange {
                reference: name.clone(),
                old: Some(old.clone()),
                new: None,
            });
        }
    }
    out.sort_by(|a, b| a.reference.cmp(&b.reference));
    out
}

/// `ChangedFiles` by git: the files a change touched, relative to the source directory and
/// limited to it (the part of the repository the pipeline builds).
#[derive(Debug, Clone)]
pub(crate) struct GitChangedFiles {
    pub dir: PathBuf,
}

#[async_trait]
impl ChangedFiles for GitChangedFiles {
    async fn changed_files(&self, change: &RefChange) -> PortResult<Vec<String>> {
        let dir = &self.dir;
        let text = match (&change.old, &change.new) {
            (Some(old), Some(new)) => git(dir, &["diff", "--name-only", "--relative", "--no-renames", old, new]).await?,
            (None, Some(new)) => git(dir, &["ls-tree", "-r", "--name-only", new]).await?,
            (_, None) => String::new(),
        };
        Ok(text.lines().map(str::to_string).collect())
    }
}

/// inotify watches over a repository's refs.
#[derive(Debug)]
pub(crate) struct RefWatcher {
    fd: AsyncFd<OwnedFd>,
    git_dir: PathBuf,
    /// Watch descriptor → directory, to add watches under directories created later.
    dirs: HashMap<i32, PathBuf>,
    buf: Vec<MaybeUninit<u8>>,
}

const REF_EVENTS: WatchFlags = WatchFlags::CREATE
    .union(WatchFlags::MOVED_TO)
    .union(WatchFlags::MOVED_FROM)
    .union(WatchFlags::DELETE)
    .union(WatchFlags::CLOSE_WRITE);

impl RefWatcher {
    pub(crate) async fn open(dir: &Path) -> Result<Self, LocalError> {
        let git_dir = PathBuf::from(git(dir, &["rev-parse", "--path-format=absolute", "--git-common-dir"]).await?.trim());
        let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK).map_err(|e| LocalError::io(&git_dir)(e.into()))?;
        // The replacement, `AsyncFd::register`, is `unsafe`, and the crate forbids unsafe code.
        // `new`'s unsoundness needs an inner value that can close its fd while registered; an
        // `OwnedFd` moved into the `AsyncFd` lives exactly as long as the registration.
        #[expect(deprecated, reason = "sound for an OwnedFd the AsyncFd owns")]
        let fd = AsyncFd::new(fd).map_err(LocalError::io(&git_dir))?;
        let mut watcher = Self {
            fd,
            dirs: HashMap::new(),
            git_dir: git_dir.clone(),
            buf: vec![MaybeUninit::uninit(); 64 * 1024],
        };
        watcher.watch(&git_dir, WatchFlags::MOVED_TO | WatchFlags::CLOSE_WRITE)?;
        for sub in ["refs/heads", "refs/tags"] {
            let root = git_dir.join(sub);
            std::fs::create_dir_all(&root).map_err(LocalError::io(&root))?;
            watcher.watch_tree(&root)?;
        }
        Ok(watcher)
    }

    fn watch(&mut self, dir: &Path, flags: WatchFlags) -> Result<(), LocalError> {
        let wd = inotify::add_watch(self.fd.get_ref(), dir, flags | WatchFlags::ONLYDIR).map_err(|e| LocalError::io(dir)(e.into()))?;
        self.dirs.insert(wd, dir.to_path_buf());
        Ok(())
    }

    fn watch_tree(&mut self, root: &Path) -> Result<(), LocalError> {
        for entry in walkdir::WalkDir::new(root).into_iter().filter_map(Result::ok) {
            if entry.file_type().is_dir() {
                self.watch(entry.path(), REF_EVENTS)?;
            }
        }
        Ok(())
    }

    /// Waits until a ref may have changed.
    pub(crate) async fn changed(&mut self) -> Result<(), LocalError> {
        loop {
            let mut guard = self.fd.readable().await.map_err(LocalError::io(&self.git_dir))?;
            let mut relevant = false;
            let mut new_dirs = Vec::new();
            {
                let mut reader = inotify::Reader::new(guard.get_inner(), &mut self.buf);
                loop {
                    match reader.next() {
                        Ok(event) => {
                            let dir = self.dirs.get(&event.wd());
                            let name = event.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                            let in_git_dir = dir.is_some_and(|d| *d == self.git_dir);
                            if event.events().contains(ReadFlags::QUEUE_OVERFLOW) {
                                relevant = true;
                            } else if in_git_dir {
                                relevant |= name == "packed-refs";
                            } else if !name.ends_with(".lock") {
                                relevant = true;
                                if event.events().contains(ReadFlags::ISDIR)
                                    && event.events().intersects(ReadFlags::CREATE | ReadFlags::MOVED_TO)
                                    && let Some(d) = dir
                                {
                                    new_dirs.push(d.join(&name));
                                }
                            }
                        }
                        Err(rustix::io::Errno::WOULDBLOCK) => break,
                        Err(rustix::io::Errno::INTR) => {}
                        Err(e) => return Err(LocalError::io(&self.git_dir)(e.into())),
                    }
                }
            }
            guard.clear_ready();
            for d in new_dirs {
                // A ref created in the new directory before this watch exists is caught by the
                // snapshot comparison that follows.
                let _ = self.watch_tree(&d);
            }
            if relevant {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(pairs: &[(&str, &str)]) -> Refs {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn changes_name_created_updated_and_deleted_refs() {
        let before = refs(&[("refs/heads/main", "a"), ("refs/heads/old", "b"), ("refs/tags/v1", "c")]);
        let after = refs(&[("refs/heads/main", "d"), ("refs/heads/new", "e"), ("refs/tags/v1", "c")]);
        let c = changes(&before, &after);
        let summary: Vec<(&str, Option<&str>, Option<&str>)> = c
            .iter()
            .map(|c| (c.reference.as_str(), c.old.as_deref(), c.new.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("refs/heads/main", Some("a"), Some("d")),
                ("refs/heads/new", None, Some("e")),
                ("refs/heads/old", Some("b"), None),
            ]
        );
    }
}
