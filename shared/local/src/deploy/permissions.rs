//! An appspec's `permissions`, applied after Install as the CodeDeploy agent applies them
//! (`linux_permission_info.rb`): an `object` that is a file gets the entry's mode; one that is a
//! directory has it applied to what lies beneath it whose name matches `pattern` (`**`, the
//! default, for all), that is not in `except` and whose kind is in `type`. Only what a process
//! may do is done: the mode. What it may not — owner and group (Baton does not run as root),
//! ACLs, SELinux contexts, `runas` — and what the agent ignores is said in the deployment log.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use baton_core::spec::appspec::Appspec;
use globset::{Glob, GlobMatcher};
use walkdir::WalkDir;

use crate::error::LocalError;
use crate::sys::tree;

/// Applies each entry's mode beneath `root` (the instance's root, where `object`s live).
pub(crate) fn apply(appspec: &Appspec, root: &Path) -> Result<(), LocalError> {
    for p in &appspec.permissions {
        let Some(mode) = p.mode.as_ref().and_then(|m| u32::from_str_radix(&m.0, 8).ok()) else {
            continue;
        };
        let object = tree::contained(root, p.object.trim_start_matches('/'))?;
        if object.is_file() {
            set_mode(&object, mode)?;
            continue;
        }
        let Some(pattern) = matcher(p.pattern.as_deref().unwrap_or("**")) else {
            continue;
        };
        let except: Vec<GlobMatcher> = p.except.iter().filter_map(|e| matcher(e)).collect();
        for entry in WalkDir::new(&object)
            .min_depth(1)
            .follow_links(false)
            .into_iter()
            .filter_map(Result::ok)
        {
            let name = entry.file_name().to_string_lossy();
            let kind = if entry.file_type().is_dir() { "directory" } else { "file" };
            let typed = p.kind.is_empty() || p.kind.iter().any(|k| k == kind);
            if typed && !entry.path_is_symlink() && pattern.is_match(name.as_ref()) && !except.iter().any(|e| e.is_match(name.as_ref())) {
                set_mode(entry.path(), mode)?;
            }
        }
    }
    Ok(())
}

/// What the deployment does not do of this appspec, one line each for the deployment log.
pub(crate) fn not_applied(appspec: &Appspec) -> Vec<String> {
    let mut notes = Vec::new();
    for p in &appspec.permissions {
        let mut skipped: Vec<&str> = Vec::new();
        skipped.extend(p.owner.as_ref().map(|_| "owner"));
        skipped.extend(p.group.as_ref().map(|_| "group"));
        skipped.extend(p.acls.as_ref().map(|_| "acls"));
        skipped.extend(p.context.as_ref().map(|_| "context"));
        if !skipped.is_empty() {
            notes.push(format!(
                "permissions of {}: {} not applied locally (a local deployment runs as its user, without ACLs or SELinux); the mode is",
                p.object,
                skipped.join(", ")
            ));
        }
    }
    for (event, scripts) in &appspec.hooks.0 {
        for s in scripts.iter().filter(|s| s.runas.is_some()) {
            notes.push(format!(
                "{} {}: runas `{}` not applied locally; the script runs as Baton's user",
                event.value,
                s.location.value,
                s.runas.as_deref().unwrap_or_default()
            ));
        }
    }
    notes
}

/// A pattern that is no glob still matches the name it spells.
fn matcher(glob: &str) -> Option<GlobMatcher> {
    Glob::new(glob)
        .or_else(|_| Glob::new(&globset::escape(glob)))
        .ok()
        .map(|g| g.compile_matcher())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), LocalError> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(LocalError::io(path))
}
