//! The artifact bundle: a tree as the zip CodeBuild and CodeDeploy read from S3 (for a Server
//! deployment, with `appspec.yml` at its root). Bundles are reproducible: entries sorted by
//! path, every timestamp 1980-01-01 00:00, modes normalised to 0644 / 0755 (executable) / 0755
//! (directories), no extra fields, so the same tree always gives the same bytes and digest.
//!
//! Unpacking distrusts the archive: an entry that is absolute, climbs out with `..`, names a
//! path twice, or is a symlink that resolves outside the destination (alone or through a chain
//! of other links, [`crate::beneath`]) is refused with its name. Links are made last, so no
//! file is ever written through one. Declared sizes are capped and checked while writing, and
//! a bundle that inflates suspiciously (a zip bomb, whether one large entry or many small ones)
//! is refused before it fills the disk.

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Component, Path, PathBuf};

use zip::write::SimpleFileOptions;

use crate::beneath::{Escape, Last};
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("not a zip bundle: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("refused entry `{entry}`: {why}")]
    Refused { entry: String, why: String },
    #[error("refused bundle: {0}")]
    RefusedBundle(String),
    #[error("refused bundle: {0}")]
    Escape(#[from] Escape),
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

/// Writes `root` as a reproducible bundle. A link in it that leads out of `root`, alone or
/// through a chain, is refused: no bundle carries one.
pub fn write<W: Write + Seek>(root: &Path, out: W) -> Result<BundleSummary, BundleError> {
    crate::beneath::check_links(root)?;
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
    /// Inflated / compressed size above which a large entry, or the bundle as a whole once it
    /// inflates past [`RATIO_FLOOR`], is taken for a zip bomb.
    pub max_ratio: u64,
    /// Entries in one bundle.
    pub max_entries: usize,
}

/// Below this many inflated bytes no ratio is suspicious: a few MiB of zeros is no bomb.
pub const RATIO_FLOOR: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Self {
        // Deflate tops out near 1032:1; real build outputs stay far below 200:1 once over a MiB.
        Self {
            max_bytes: 16 << 30,
            max_ratio: 200,
            max_entries: 1_000_000,
        }
    }
}

/// Unpacks a bundle into `dest` (created if missing), refusing anything that would write
/// outside it.
pub fn unpack<R: Read + Seek>(bundle: R, dest: &Path, limits: Limits) -> Result<BundleSummary, BundleError> {
    let mut zip = ZipArchive::new(bundle)?;
    if zip.has_duplicate_names() {
        return Err(BundleError::RefusedBundle("it names the same path twice".into()));
    }
    if zip.len() > limits.max_entries {
        return Err(BundleError::RefusedBundle(format!(
            "it has {} entries, more than {}",
            zip.len(),
            limits.max_entries
        )));
    }
    fs::create_dir_all(dest).map_err(io_err(dest))?;
    let mut summary = BundleSummary::default();
    let (mut compressed, mut declared_total) = (0u64, 0u64);
    let mut links = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i)?;
        let name = entry.name()?.into_owned();
        let refuse = |why: &str| BundleError::Refused {
            entry: name.clone(),
            why: why.into(),
        };
        let rel = relative(&name).ok_or_else(|| refuse("the path is absolute or climbs out with `..`"))?;
        if entry.is_dir() {
            let to = crate::beneath::resolve(dest, &rel, Last::Follow)?;
            fs::create_dir_all(&to).map_err(io_err(&to))?;
            continue;
        }
        // Names that differ only as written (`a`, `./a`) are the same path.
        if !seen.insert(rel.clone()) {
            return Err(refuse("a second entry for the same path"));
        }
        let to = crate::beneath::resolve(dest, &rel, Last::Keep)?;
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(io_err(parent))?;
        }
        if entry.is_symlink() {
            let mut target = String::new();
            (&mut entry).take(4096).read_to_string(&mut target).map_err(io_err(&to))?;
            if Path::new(&target).is_absolute() {
                return Err(refuse(&format!("a symlink to `{target}`, outside the bundle")));
            }
            links.push((rel, target));
            continue;
        }
        let declared = entry.size();
        compressed += entry.compressed_size();
        declared_total = declared_total.saturating_add(declared);
        if declared > RATIO_FLOOR && declared / entry.compressed_size().max(1) > limits.max_ratio {
            return Err(refuse(&format!(
                "it inflates {} bytes to {declared} (more than {}:1): a zip bomb",
                entry.compressed_size(),
                limits.max_ratio
            )));
        }
        // Many entries each under the floor add up: the bundle as a whole is held to the ratio.
        if declared_total > RATIO_FLOOR && declared_total / compressed.max(1) > limits.max_ratio {
            return Err(BundleError::RefusedBundle(format!(
                "its entries inflate {compressed} bytes to {declared_total} (more than {}:1): a zip bomb",
                limits.max_ratio
            )));
        }
        if declared_total > limits.max_bytes {
            return Err(refuse(&format!("the bundle holds more than {} bytes", limits.max_bytes)));
        }
        let mut out = fs::File::create_new(&to).map_err(io_err(&to))?;
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
    // Links last, once every file is written, and each then resolved with all the others: a
    // chain of links each pointing inside can still lead out.
    for (rel, target) in &links {
        let to = crate::beneath::resolve(dest, rel, Last::Keep)?;
        if to.symlink_metadata().is_ok() {
            return Err(BundleError::Refused {
                entry: rel.to_string_lossy().into_owned(),
                why: "a symlink at a path the bundle also has entries below".into(),
            });
        }
        symlink(target, &to).map_err(io_err(&to))?;
    }
    for (rel, target) in &links {
        crate::beneath::check_link(dest, rel).map_err(|e| BundleError::Refused {
            entry: rel.to_string_lossy().into_owned(),
            why: match e {
                Escape::Outside { link: Some((at, to)), .. } if Path::new(&at) != rel.as_path() => {
                    format!("a symlink to `{target}`, outside the bundle through `{at}` -> `{}`", to.display())
                }
                Escape::Outside { .. } => format!("a symlink to `{target}`, outside the bundle"),
                other => other.to_string(),
            },
        })?;
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
