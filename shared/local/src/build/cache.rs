//! The buildspec's `cache`: files under the build's workspace that survive from one build of
//! an action to the next (`node_modules/**/*`, `.venv/**/*`), like CodeBuild's custom cache.
//!
//! Restored before INSTALL from `key` (default: the action; `$(codebuild-hash-files FILE…)` in it
//! is the sha256 of those workspace files) or else from the newest cache whose key starts with a
//! `fallback-keys` prefix; saved under `key` after a build that succeeded, so a half-finished
//! install never poisons the next build. `action: restore` or `save` does only that half.
//! Saving builds the new cache beside the old one and swaps it in with a rename. Absolute paths
//! are the host's own directories, which persist between local builds anyway.

use std::path::{Path, PathBuf};

use baton_core::spec::buildspec::{Cache, CacheAction};
use walkdir::WalkDir;

use crate::error::LocalError;
use crate::sys::tree;

/// One build's use of its buildspec's cache, with the notes it leaves in the build log.
#[derive(Debug)]
pub(crate) struct ForBuild<'a> {
    cache: &'a Cache,
    root: PathBuf,
    key: Result<String, String>,
}

impl<'a> ForBuild<'a> {
    pub(crate) fn new(cache: &'a Cache, root: &Path, action: &str, src: &Path) -> Self {
        Self {
            cache,
            root: root.to_path_buf(),
            key: key(cache, action, src).map_err(|e| e.to_string()),
        }
    }

    /// Restores into the workspace unless `action: save`; what happened, for the log.
    pub(crate) fn restore(&self, src: &Path) -> Option<String> {
        if self.cache.action == Some(CacheAction::Save) {
            return None;
        }
        let restored = self
            .key
            .clone()
            .and_then(|k| restore(&self.root, &k, &self.cache.fallback_keys, src).map_err(|e| e.to_string()));
        Some(match restored {
            Ok(Some((key, files))) => format!("cache: restored {files} file(s) from key `{key}`"),
            Ok(None) => "cache: nothing cached yet".to_string(),
            Err(e) => format!("cache: not restored ({e}); building without it"),
        })
    }

    /// Saves from the workspace unless `action: restore` (call it for successful builds only).
    pub(crate) fn save(&self, src: &Path) -> Option<String> {
        if self.cache.action == Some(CacheAction::Restore) {
            return None;
        }
        let key = self.key.as_ref().ok()?;
        Some(match save(&self.root, key, self.cache, src) {
            Ok(files) => format!("cache: saved {files} file(s) under key `{key}`"),
            Err(e) => format!("cache: not saved ({e})"),
        })
    }
}

/// The directory of one cache key under `root`.
fn dir(root: &Path, key: &str) -> PathBuf {
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .collect();
    root.join(safe)
}

/// The cache's key for this build: `key` with `$(codebuild-hash-files …)` expanded against the
/// workspace, or the action's name.
pub(crate) fn key(cache: &Cache, action: &str, src: &Path) -> Result<String, LocalError> {
    const HASH: &str = "$(codebuild-hash-files ";
    let Some(key) = &cache.key else { return Ok(action.to_string()) };
    let mut out = String::new();
    let mut rest = key.as_str();
    while let Some(at) = rest.find(HASH) {
        out.push_str(&rest[..at]);
        let after = &rest[at + HASH.len()..];
        let end = after
            .find(')')
            .ok_or_else(|| LocalError::Action(format!("cache key `{key}`: `$(codebuild-hash-files` has no closing `)`")))?;
        out.push_str(&hash_files(src, after[..end].split_whitespace())?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// sha256 over the named files (globs allowed), in path order, each as its path and content
/// digest, so renaming a file changes the key too.
fn hash_files<'a>(src: &Path, patterns: impl Iterator<Item = &'a str>) -> Result<String, LocalError> {
    use sha2::{Digest, Sha256};
    let globs = crate::build::outputs::glob_set(&patterns.map(str::to_string).collect::<Vec<_>>())?;
    let mut files: Vec<PathBuf> = WalkDir::new(src)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.path().strip_prefix(src).ok().map(Path::to_path_buf))
        .filter(|rel| globs.is_match(rel))
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for rel in files {
        h.update(rel.to_string_lossy().as_bytes());
        h.update(tree::sha256_file(&src.join(&rel))?.as_bytes());
    }
    Ok(hex::encode(h.finalize()))
}

/// Copies the cache of `key`, or else the newest one under a fallback prefix, into the
/// workspace; returns the key it used and the file count.
pub(crate) fn restore(root: &Path, key: &str, fallbacks: &[String], src: &Path) -> Result<Option<(String, u64)>, LocalError> {
    let exact = dir(root, key);
    let chosen = if exact.is_dir() {
        Some((exact, key.to_string()))
    } else {
        // A fallback is named by its directory: the key as saved, with unsafe characters as '_'.
        fallbacks.iter().find_map(|prefix| newest_with_prefix(root, prefix)).map(|d| {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (d, name)
        })
    };
    let Some((d, name)) = chosen else { return Ok(None) };
    let files = tree::copy_tree(&d, src)?;
    Ok(Some((name, files)))
}

fn newest_with_prefix(root: &Path, prefix: &str) -> Option<PathBuf> {
    let wanted = dir(root, prefix).file_name()?.to_string_lossy().into_owned();
    std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            // Staging and retired copies of a save in progress are not caches.
            name.starts_with(&wanted) && !name.contains(".new-") && !name.contains(".old-")
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// Stores the workspace files that the cache's relative `paths` match under `key`; returns the
/// file count.
pub(crate) fn save(root: &Path, key: &str, cache: &Cache, src: &Path) -> Result<u64, LocalError> {
    let relative: Vec<String> = cache
        .paths
        .iter()
        .filter(|p| !p.starts_with('/'))
        .map(|p| p.trim_start_matches("./").to_string())
        .collect();
    if relative.is_empty() {
        return Ok(0);
    }
    let globs = crate::build::outputs::glob_set(&relative)?;
    let target = dir(root, key);
    let staging = target.with_extension(format!("new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(LocalError::io(&staging))?;
    let mut files = 0;
    for entry in WalkDir::new(src).follow_links(false).min_depth(1) {
        let entry = entry.map_err(LocalError::walk)?;
        let Ok(rel) = entry.path().strip_prefix(src) else { continue };
        if !entry.file_type().is_file() || !globs.is_match(rel) {
            continue;
        }
        let dest = staging.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(LocalError::io(parent))?;
        }
        std::fs::copy(entry.path(), &dest).map_err(LocalError::io(&dest))?;
        files += 1;
    }
    // Swap: the old cache goes aside first, so a crash leaves one whole cache, never a mix.
    let old = target.with_extension(format!("old-{}", std::process::id()));
    if target.exists() {
        std::fs::rename(&target, &old).map_err(LocalError::io(&target))?;
    }
    std::fs::rename(&staging, &target).map_err(LocalError::io(&target))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_matching_workspace_files_and_restores_them_by_key_or_prefix() {
        let root = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("node_modules/left-pad")).unwrap();
        std::fs::write(src.path().join("node_modules/left-pad/index.js"), "pad").unwrap();
        std::fs::write(src.path().join("app.js"), "app").unwrap();
        std::fs::write(src.path().join("package-lock.json"), "v1").unwrap();
        let cache = Cache {
            paths: vec!["node_modules/**/*".into(), "/root/.npm/**/*".into()],
            key: Some("npm-$(codebuild-hash-files package-lock.json)".into()),
            fallback_keys: vec!["npm-".into()],
            action: None,
        };
        let first = key(&cache, "Build:Compile", src.path()).unwrap();
        assert!(first.starts_with("npm-") && first.len() == 4 + 64, "{first}");
        assert_eq!(save(root.path(), &first, &cache, src.path()).unwrap(), 1);

        let fresh = tempfile::tempdir().unwrap();
        assert_eq!(restore(root.path(), &first, &[], fresh.path()).unwrap(), Some((first.clone(), 1)));
        assert_eq!(
            std::fs::read_to_string(fresh.path().join("node_modules/left-pad/index.js")).unwrap(),
            "pad"
        );
        assert!(!fresh.path().join("app.js").exists(), "only cached paths come back");

        // A changed lock file is a new key; the fallback prefix finds the older cache.
        std::fs::write(src.path().join("package-lock.json"), "v2").unwrap();
        let second = key(&cache, "Build:Compile", src.path()).unwrap();
        assert_ne!(first, second);
        assert_eq!(restore(root.path(), &second, &[], fresh.path()).unwrap(), None);
        assert_eq!(
            restore(root.path(), &second, &cache.fallback_keys, fresh.path()).unwrap(),
            Some((first, 1))
        );
        assert_eq!(key(&Cache::default(), "Build:Compile", src.path()).unwrap(), "Build:Compile");
    }
}
