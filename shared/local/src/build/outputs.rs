//! A build's artifacts out of its workspace, as CodeBuild's UPLOAD_ARTIFACTS picks them:
//! `files`, `base-directory`, `exclude-paths`, `discard-paths` and `enable-symlinks`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use baton_core::spec::buildspec::Artifacts;
use globset::{GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::error::LocalError;
use crate::sys::tree;

/// Buildspec globs: `**` crosses directories, `*` does not.
pub(crate) fn glob_set(patterns: &[String]) -> Result<GlobSet, LocalError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let glob = globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .map_err(|e| LocalError::Action(format!("file pattern `{p}`: {e}")))?;
        b.add(glob);
    }
    b.build().map_err(|e| LocalError::Action(e.to_string()))
}

/// Applies `files`, `base-directory`, `exclude-paths`, `discard-paths` and `enable-symlinks` to
/// the workspace.
/// Returns what the log should say: files that `discard-paths` put in one place, the last kept.
pub(crate) fn collect(src: &Path, artifacts: &Artifacts, dest: &Path) -> Result<Vec<String>, LocalError> {
    let mut placed: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut notes = Vec::new();
    let base = match &artifacts.base_directory {
        Some(b) => tree::contained(src, &b.value)?,
        None => src.to_path_buf(),
    };
    let include = glob_set(&artifacts.files)?;
    let exclude = glob_set(&artifacts.exclude_paths)?;
    std::fs::create_dir_all(dest).map_err(LocalError::io(dest))?;
    let root = std::fs::canonicalize(src).map_err(LocalError::io(src))?;
    let mut matched = 0;
    // In name order, so which of two flattened files is kept does not depend on the disk.
    for entry in WalkDir::new(&base).follow_links(false).min_depth(1).sort_by_file_name() {
        let entry = entry.map_err(LocalError::walk)?;
        let link = entry.file_type().is_symlink();
        if !entry.file_type().is_file() && !link {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(&base)
            .map_err(|_| LocalError::Internal("walk left its root".into()))?;
        if !include.is_match(rel) || exclude.is_match(rel) {
            continue;
        }
        let target = if artifacts.discard_paths.0 {
            dest.join(rel.file_name().unwrap_or_default())
        } else {
            dest.join(rel)
        };
        if let Some(earlier) = placed.insert(target.clone(), rel.to_path_buf()) {
            notes.push(format!(
                "discard-paths: {} and {} are both {} in the artifact; the last one, {}, is kept",
                earlier.display(),
                rel.display(),
                rel.file_name().unwrap_or_default().to_string_lossy(),
                rel.display()
            ));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(LocalError::io(parent))?;
        }
        if link {
            // As CodeBuild: a link is followed and its file copied, unless `enable-symlinks: yes`
            // asks for links that stay inside the source to be kept as links. A copy is made
            // with the build's own rights, which could read the file anyway; a link kept as a
            // link is checked again, chains and all, when the output is stored.
            let Ok(resolved) = std::fs::canonicalize(entry.path()) else {
                continue; // dangling: nothing to copy
            };
            if artifacts.enable_symlinks.0 && resolved.starts_with(&root) {
                let to = std::fs::read_link(entry.path()).map_err(LocalError::io(entry.path()))?;
                std::os::unix::fs::symlink(&to, &target).map_err(LocalError::io(&target))?;
            } else if resolved.is_file() {
                std::fs::copy(&resolved, &target).map_err(LocalError::io(&target))?;
            } else {
                continue;
            }
        } else {
            std::fs::copy(entry.path(), &target).map_err(LocalError::io(&target))?;
        }
        matched += 1;
    }
    if matched == 0 {
        return Err(LocalError::Action(format!(
            "no matching artifact paths found for {:?} under {}",
            artifacts.files,
            artifacts.base_directory.as_ref().map_or(".", |b| b.value.as_str())
        )));
    }
    Ok(notes)
}
