//! The artifact bundle: a tree as the zip CodeBuild and CodeDeploy read from S3 (for a Server
//! deployment, with `appspec.yml` at its root). Bundles are reproducible: entries sorted by
//! path, every timestamp 1980-01-01 00:00, modes normalised to 0644 / 0755 (executable) / 0755
//! (directories), no extra fields, so the same tree always gives the same bytes and digest.
//!
//! Unpacking distrusts the archive: an entry that is absolute, climbs out with `..`, or is a
//! symlink pointing outside the destination is refused with its name; declared sizes are
//! capped and checked while writing, and an entry that inflates suspiciously (a zip bomb) is
//! refused before it fills the disk.

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Component, Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("not a zip bundle: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("refused entry `{entry}`: {why}")]
    Refused { entry: String, why: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a bundle holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BundleSummary {
    pub files: u64,
    pub bytes: u64,
}

/// Writes `root` as a reproducible bundle.
pub fn write<W: Write + Seek>(root: &Path, out: W) -> Result<BundleSummary, BundleError> {
    let mut entries = Vec::new();
    collect(root, root, &mut entries)?;
    // Byte order of the UTF-8 path: the same on every machine, unlike directory order.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut zip = ZipWriter::new(out);
    let base = SimpleFileOptions::default()
        .last_modified_time(DateTime::default())
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6));
    let mut summary = BundleSummary::default();
    for (name, path, kind) in entries {
        match kind {
            Kind::Dir => zip.add_directory(&name, base.unix_permissions(0o755))?,
            Kind::Symlink => {
                let target = fs::read_link(&path).map_err(io_err(&path))?;
                zip.add_symlink(&name, target.to_string_lossy(), base.unix_permissions(0o777))?;
            }
            Kind::File { executable } => {
                zip.start_file(&name, base.unix_permissions(if executable { 0o755 } else { 0o644 }))?;
                let mut f = fs::File::open(&path).map_err(io_err(&path))?;
                summary.bytes += io::copy(&mut f, &mut zip).map_err(io_err(&path))?;
                summary.files += 1;
            }
        }
    }
    zip.finish()?;
    Ok(summary)
}

enum Kind {
    Dir,
    Symlink,
    File { executable: bool },
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf, Kind)>) -> Result<(), BundleError> {
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(io_err(&path))?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let name = rel
            .to_str()
            .ok_or_else(|| BundleError::Refused {
                entry: rel.to_string_lossy().into_owned(),
                why: "the file name is not UTF-8, which zip entries must be".into(),
            })?
            .to_string();
        if meta.file_type().is_symlink() {
            out.push((name, path, Kind::Symlink));
        } else if meta.is_dir() {
            out.push((format!("{name}/"), path.clone(), Kind::Dir));
            collect(root, &path, out)?;
        } else if meta.is_file() {
            let executable = meta.permissions().mode() & 0o111 != 0;
            out.push((name, path, Kind::File { executable }));
        }
    }
    Ok(())
}

/// What unpacking may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total bytes after inflating.
    pub max_bytes: u64,
    /// Inflated / compressed size above which a large entry is taken for a zip bomb.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // Deflate tops out near 1032:1; real build outputs stay far below 200:1 once over a MiB.
        Self {
            max_bytes: 16 << 30,
            max_ratio: 200,
        }
    }
}

/// Unpacks a bundle into `dest` (created if missing), refusing anything that would write
/// outside it.
pub fn unpack<R: Read + Seek>(bundle: R, dest: &Path, limits: Limits) -> Result<BundleSummary, BundleError> {
    let mut zip = ZipArchive::new(bundle)?;
    fs::create_dir_all(dest).map_err(io_err(dest))?;
    let mut summary = BundleSummary::default();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.into_owned();
        let refuse = |why: &str| BundleError::Refused {
            entry: name.clone(),
            why: why.into(),
        };
        let rel = relative(&name).ok_or_else(|| refuse("the path is absolute or climbs out with `..`"))?;
        let to = dest.join(&rel);
        if entry.is_dir() {
            fs::create_dir_all(&to).map_err(io_err(&to))?;
            continue;
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        if entry.is_symlink() {
            let mut target = String::new();
            entry.read_to_string(&mut target).map_err(io_err(&to))?;
            // The link is resolved from the directory holding it, so it must stay inside `dest`.
            let joined = rel.parent().unwrap_or(Path::new("")).join(&target);
            if Path::new(&target).is_absolute() || relative(&joined.to_string_lossy()).is_none() {
                return Err(refuse(&format!("a symlink to `{target}`, outside the bundle")));
            }
            symlink(&target, &to).map_err(io_err(&to))?;
            continue;
        }
        let declared = entry.size();
        if declared > 1 << 20 && declared / entry.compressed_size().max(1) > limits.max_ratio {
            return Err(refuse(&format!(
                "it inflates {} bytes to {declared} (more than {}:1): a zip bomb",
                entry.compressed_size(),
                limits.max_ratio
            )));
        }
        if summary.bytes + declared > limits.max_bytes {
            return Err(refuse(&format!("the bundle holds more than {} bytes", limits.max_bytes)));
        }
        if to.symlink_metadata().is_ok() {
            return Err(refuse("a second entry for the same path"));
        }
        let mut out = fs::File::create(&to).map_err(io_err(&to))?;
        // The declared size can lie; never write a byte more than it promised.
        let written = io::copy(&mut (&mut entry).take(declared + 1), &mut out).map_err(io_err(&to))?;
        if written != declared {
            return Err(refuse(&format!("it holds {written} bytes, not the {declared} its header declares")));
        }
        if let Some(mode) = entry.unix_mode() {
            fs::set_permissions(&to, fs::Permissions::from_mode(mode & 0o755)).map_err(io_err(&to))?;
        }
        summary.bytes += written;
        summary.files += 1;
    }
    Ok(summary)
}

/// `name` as a path inside the destination: relative, and never above its root.
fn relative(name: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in Path::new(name).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}
