//! The Install step of a local deployment: an appspec's `files` copied onto an instance's root,
//! honouring `file_exists_behavior`, with what was installed remembered for the next deployment.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use baton_core::spec::appspec::{Appspec, FileExistsBehavior, parse_appspec};
use walkdir::WalkDir;

use crate::deploy::Instance;
use crate::error::LocalError;
use crate::sys::tree;

pub(crate) fn load_appspec(archive: &Path, file: &str) -> Result<Appspec, LocalError> {
    load_appspec_text(archive, file).map(|(appspec, _)| appspec)
}

/// The revision's appspec with its text, for what else is read from it (the keys the agent
/// reads past): the file is read once.
pub(crate) fn load_appspec_text(archive: &Path, file: &str) -> Result<(Appspec, String), LocalError> {
    let path = tree::contained(archive, file)?;
    let text = baton_core::spec::read_text(&path)?;
    if baton_core::spec::lambda_appspec::is_lambda(Path::new(file), &text)? {
        return Err(LocalError::Action(format!(
            "{file} is a Lambda appspec (it has `resources`): local deployment groups run the Server platform, whose appspec has `os`, `files` and `hooks`"
        )));
    }
    Ok((parse_appspec(Path::new(file), &text)?, text))
}

/// A hook's script, resolved beneath the revision (links and all) and made executable: archives
/// do not always keep the executable bit, and the agent runs the script anyway.
pub(crate) fn hook_script(archive: &Path, location: &str) -> Result<PathBuf, LocalError> {
    let path = tree::contained(archive, location)?;
    if !path.is_file() {
        return Err(LocalError::Action(format!("script {location} is not in the revision")));
    }
    let mut perms = std::fs::metadata(&path).map_err(LocalError::io(&path))?.permissions();
    perms.set_mode(perms.mode() | 0o755);
    std::fs::set_permissions(&path, perms).map_err(LocalError::io(&path))?;
    Ok(path)
}

/// Install: remove what the previous deployment installed, then copy `files` into the
/// instance root honouring `file_exists_behavior`; remember what was installed.
pub(crate) fn install(appspec: &Appspec, archive: &Path, instance: &Instance) -> Result<(), LocalError> {
    let root = instance.root();
    let manifest = instance.dir.join("installed-files.txt");
    if let Ok(previous) = std::fs::read_to_string(&manifest) {
        for line in previous.lines().filter(|l| !l.is_empty()) {
            let _ = std::fs::remove_file(tree::contained_entry(&root, line)?);
        }
    }
    let mut installed = Vec::new();
    for mapping in &appspec.files {
        let source = tree::contained(archive, mapping.source.value.trim_start_matches('/'))?;
        let dest = tree::contained(&root, mapping.destination.value.trim_start_matches('/'))?;
        let files: Vec<(PathBuf, PathBuf)> = if source.is_file() {
            vec![(source.clone(), dest.join(source.file_name().unwrap_or_default()))]
        } else {
            WalkDir::new(&source)
                .follow_links(false)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .filter_map(|e| Some((e.path().to_path_buf(), dest.join(e.path().strip_prefix(&source).ok()?))))
                .collect()
        };
        for (from, to) in files {
            // Hooks of earlier revisions may have left links in the instance's root.
            let to = tree::contained(&root, &to.strip_prefix(&root).unwrap_or(&to).to_string_lossy())?;
            if to.exists() {
                match appspec.file_exists_behavior {
                    FileExistsBehavior::Disallow => {
                        return Err(LocalError::Action(format!(
                            "{} already exists and was not installed by the previous deployment (file_exists_behavior: DISALLOW)",
                            to.display()
                        )));
                    }
                    FileExistsBehavior::Retain => continue,
                    FileExistsBehavior::Overwrite => {}
                }
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(LocalError::io(parent))?;
            }
            std::fs::copy(&from, &to).map_err(LocalError::io(&to))?;
            if let Ok(rel) = to.strip_prefix(&root) {
                installed.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    tree::write_atomic(&manifest, installed.join("\n").as_bytes())
}
