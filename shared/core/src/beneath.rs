//! Paths inside a tree, resolved the way the kernel resolves them and never above the tree's root.
//!
//! Reading a symlink's text is not enough to know where it leads: every link of a chain such as
//! `d/l1 -> ..`, `d/l2 -> l1/..`, `d/l3 -> l2/..` stays lexically inside its tree, yet the chain
//! climbs to `/`. So a path is resolved component by component from the root, each link replaced
//! by its target where it stands (as `openat2(RESOLVE_BENEATH)` does), and the walk is refused
//! the moment a `..` would rise above the root, an absolute link is met, or more than
//! [`MAX_LINKS`] links are followed (the kernel's `ELOOP` limit). The resolved path holds no
//! symlink, so what is then opened, copied, executed or written is the file that was checked.
//!
//! Components that do not exist yet resolve as written, so a destination can be resolved before
//! it is created.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

/// Links followed in one resolution before it is taken for a loop: Linux's own limit.
pub const MAX_LINKS: usize = 40;

/// Why a path does not resolve beneath its root.
#[derive(Debug, thiserror::Error)]
pub enum Escape {
    #[error("`{path}` leads outside {root}{}", via_link(.link))]
    Outside {
        root: PathBuf,
        path: String,
        /// The link (relative to the root) whose target took the walk out, when one did.
        link: Option<(String, PathBuf)>,
    },
    #[error("`{path}` follows more than {MAX_LINKS} symbolic links (a loop, or a chain too long to trust)")]
    TooManyLinks { path: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn via_link(link: &Option<(String, PathBuf)>) -> String {
    match link {
        Some((at, target)) => format!(" through the symlink `{at}` -> `{}`", target.display()),
        None => String::new(),
    }
}

/// Whether the last component of the path is followed when it is a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Last {
    /// Resolve it too: for what is read, copied, executed or written through.
    Follow,
    /// Keep it as it is: for a link itself (created, removed, listed) or a file created anew.
    Keep,
}

/// Resolves `rel` beneath `root`, following every symlink on the way (see [`Last`] for the
/// final component). Returns `root` joined with a path that holds no symlink.
pub fn resolve(root: &Path, rel: impl AsRef<Path>, last: Last) -> Result<PathBuf, Escape> {
    let rel = rel.as_ref();
    let shown = rel.to_string_lossy().into_owned();
    let outside = |link: Option<(String, PathBuf)>| Escape::Outside {
        root: root.to_path_buf(),
        path: shown.clone(),
        link,
    };
    if rel.has_root() {
        return Err(outside(None));
    }
    // What is left to walk; a link's target is spliced in front of it where the link stands.
    let mut queue: VecDeque<OsString> = rel.components().map(|c| c.as_os_str().to_os_string()).collect();
    let mut resolved: Vec<OsString> = Vec::new();
    // The last link followed: a `..` that then rises above the root is blamed on it.
    let mut last_link: Option<(String, PathBuf)> = None;
    let mut followed = 0;
    while let Some(part) = queue.pop_front() {
        match Path::new(&part).components().next() {
            None | Some(Component::CurDir) => continue,
            Some(Component::ParentDir) => {
                if resolved.pop().is_none() {
                    return Err(outside(last_link));
                }
                continue;
            }
            Some(Component::RootDir | Component::Prefix(_)) => return Err(outside(last_link)),
            Some(Component::Normal(_)) => {}
        }
        let here: PathBuf = resolved.iter().collect();
        let candidate = root.join(&here).join(&part);
        let is_link = match std::fs::symlink_metadata(&candidate) {
            Ok(meta) => meta.file_type().is_symlink(),
            Err(e) if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory => false,
            Err(source) => return Err(Escape::Io { path: candidate, source }),
        };
        if !is_link || (queue.is_empty() && last == Last::Keep) {
            resolved.push(part);
            continue;
        }
        followed += 1;
        if followed > MAX_LINKS {
            return Err(Escape::TooManyLinks { path: shown });
        }
        let target = std::fs::read_link(&candidate).map_err(|source| Escape::Io {
            path: candidate.clone(),
            source,
        })?;
        let at = here.join(&part).to_string_lossy().into_owned();
        if target.has_root() {
            return Err(outside(Some((at, target))));
        }
        for c in target.components().rev() {
            queue.push_front(c.as_os_str().to_os_string());
        }
        last_link = Some((at, target));
    }
    Ok(root.join(resolved.iter().collect::<PathBuf>()))
}

/// Checks that every symlink in the tree under `root` resolves beneath it, whole chains
/// included; the first that does not is the error.
pub fn check_links(root: &Path) -> Result<(), Escape> {
    for entry in WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| Escape::Io {
            path: e.path().map_or_else(|| root.to_path_buf(), Path::to_path_buf),
            source: e.into(),
        })?;
        if entry.file_type().is_symlink() {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            check_link(root, rel)?;
        }
    }
    Ok(())
}

/// Checks that the symlink at `rel` (relative to `root`) resolves beneath `root`.
pub fn check_link(root: &Path, rel: &Path) -> Result<(), Escape> {
    resolve(root, rel, Last::Follow).map(drop)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn plain_paths_resolve_as_written_even_when_missing() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("a/b")).unwrap();
        assert_eq!(resolve(t.path(), "a/./b/../b/c", Last::Follow).unwrap(), t.path().join("a/b/c"));
        assert!(matches!(resolve(t.path(), "../x", Last::Follow), Err(Escape::Outside { .. })));
        assert!(matches!(resolve(t.path(), "/etc", Last::Follow), Err(Escape::Outside { .. })));
    }

    #[test]
    fn links_inside_are_replaced_by_where_they_lead() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("real/deep")).unwrap();
        symlink("real/deep", t.path().join("short")).unwrap();
        assert_eq!(resolve(t.path(), "short/f", Last::Follow).unwrap(), t.path().join("real/deep/f"));
        assert_eq!(resolve(t.path(), "short", Last::Keep).unwrap(), t.path().join("short"));
    }

    #[test]
    fn a_chain_of_links_each_inside_lexically_is_refused_where_it_climbs_out() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b/c/d");
        fs::create_dir_all(&d).unwrap();
        symlink("..", d.join("l1")).unwrap();
        for k in 2..=5 {
            symlink(format!("l{}/..", k - 1), d.join(format!("l{k}"))).unwrap();
        }
        assert_eq!(resolve(t.path(), "a/b/c/d/l4", Last::Follow).unwrap(), t.path().to_path_buf());
        let err = resolve(t.path(), "a/b/c/d/l5", Last::Follow).unwrap_err().to_string();
        assert!(err.contains("leads outside"), "{err}");
        assert!(err.contains("through the symlink `a/b/c/d/l1` -> `..`"), "{err}");
    }

    #[test]
    fn loops_stop_at_the_kernels_limit() {
        let t = tempfile::tempdir().unwrap();
        symlink("b", t.path().join("a")).unwrap();
        symlink("a", t.path().join("b")).unwrap();
        assert!(matches!(resolve(t.path(), "a", Last::Follow), Err(Escape::TooManyLinks { .. })));
    }
}
