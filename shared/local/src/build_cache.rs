//! The buildspec's `cache`: files under the build's workspace that survive from one build of
//! an action to the next (`node_modules/**/*`, `.venv/**/*`), like CodeBuild's custom cache.
//!
//! Restored before INSTALL from `key` (default: the action) or the first `fallback-keys` entry
//! that exists; saved after a build that succeeded, so a half-finished install never poisons
//! the next build. Saving builds the new cache beside the old one and swaps it in with a rename.
//! Absolute paths are the host's own directories, which persist between local builds anyway.

use std::path::{Path, PathBuf};

use baton_core::spec::buildspec::Cache;
use walkdir::WalkDir;

use crate::error::LocalError;
use crate::tree;

/// The directory of one cache key under `root`.
fn dir(root: &Path, key: &str) -> PathBuf {
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' })
        .collect();
    root.join(safe)
}

/// The keys to try, in order.
pub fn keys(cache: &Cache, action: &str) -> Vec<String> {
    let mut keys = vec![cache.key.clone().unwrap_or_else(|| action.to_string())];
    keys.extend(cache.fallback_keys.iter().cloned());
    keys
}

/// Copies the first cached key that exists into the workspace; returns it and the file count.
pub fn restore(root: &Path, keys: &[String], src: &Path) -> Result<Option<(String, u64)>, LocalError> {
    for key in keys {
        let d = dir(root, key);
        if d.is_dir() {
            let files = tree::copy_tree(&d, src)?;
            return Ok(Some((key.clone(), files)));
        }
    }
    Ok(None)
}

/// Stores the workspace files that the cache's relative `paths` match under `key`; returns the
/// file count.
pub fn save(root: &Path, key: &str, cache: &Cache, src: &Path) -> Result<u64, LocalError> {
    let relative: Vec<String> = cache
        .paths
        .iter()
        .filter(|p| !p.starts_with('/'))
        .map(|p| p.trim_start_matches("./").to_string())
        .collect();
    if relative.is_empty() {
        return Ok(0);
    }
    let globs = crate::build::glob_set(&relative)?;
    let target = dir(root, key);
    let staging = target.with_extension(format!("new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(LocalError::io(&staging))?;
    let mut files = 0;
    for entry in WalkDir::new(src).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|e| LocalError::Invalid(format!("reading the workspace: {e}")))?;
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
    fn saves_matching_workspace_files_and_restores_them_by_key() {
        let root = tempfile::tempdir().unwrap();
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(src.path().join("node_modules/left-pad")).unwrap();
        std::fs::write(src.path().join("node_modules/left-pad/index.js"), "pad").unwrap();
        std::fs::write(src.path().join("app.js"), "app").unwrap();
        let cache = Cache {
            paths: vec!["node_modules/**/*".into(), "/root/.npm/**/*".into()],
            key: None,
            fallback_keys: vec!["shared".into()],
        };
        assert_eq!(save(root.path(), "Build:Compile", &cache, src.path()).unwrap(), 1);

        let fresh = tempfile::tempdir().unwrap();
        let keys = keys(&cache, "Build:Compile");
        assert_eq!(
            restore(root.path(), &keys, fresh.path()).unwrap(),
            Some(("Build:Compile".into(), 1))
        );
        assert_eq!(
            std::fs::read_to_string(fresh.path().join("node_modules/left-pad/index.js")).unwrap(),
            "pad"
        );
        assert!(!fresh.path().join("app.js").exists(), "only cached paths come back");
        assert_eq!(restore(root.path(), &["other".into()], fresh.path()).unwrap(), None);
    }
}
