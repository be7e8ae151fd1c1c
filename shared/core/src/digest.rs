//! The canonical digest of a file tree: the sorted list of files with their executable bit and
//! content hash, and symlinks with their targets. Timestamps, owners and empty directories are
//! left out, so the same tree always has the same digest wherever it was built, and every
//! artifact store (local or S3) computes the same one.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSummary {
    /// `sha256:<hex>`.
    pub digest: String,
    pub size: u64,
    pub file_count: u64,
}

/// Builds a digest entry by entry, for stores that walk the tree themselves (and hash each file
/// once on the way). Entries must come in the order [`summarize`] walks: by file name, depth
/// first.
#[derive(Debug, Default)]
pub struct DigestBuilder {
    hash: Sha256,
    size: u64,
    file_count: u64,
}

impl DigestBuilder {
    /// A regular file: its `/`-joined relative path, executable bit, hex sha256 and size.
    pub fn file(&mut self, rel: &str, executable: bool, sha256: &str, size: u64) {
        let mode = if executable { "755" } else { "644" };
        self.hash.update(format!("F {rel}\0{mode}\0{sha256}\n").as_bytes());
        self.size += size;
        self.file_count += 1;
    }

    pub fn symlink(&mut self, rel: &str, target: &Path) {
        self.hash.update(format!("L {rel}\0{}\n", target.display()).as_bytes());
        self.file_count += 1;
    }

    pub fn finish(self) -> TreeSummary {
        TreeSummary {
            digest: format!("sha256:{}", hex::encode(self.hash.finalize())),
            size: self.size,
            file_count: self.file_count,
        }
    }
}

pub fn summarize(root: &Path) -> Result<TreeSummary, io::Error> {
    let mut digest = DigestBuilder::default();
    for entry in WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = relative(root, entry.path());
        let ft = entry.file_type();
        if ft.is_file() {
            let meta = entry.metadata().map_err(io::Error::other)?;
            let executable = meta.permissions().mode() & 0o111 != 0;
            digest.file(&rel, executable, &sha256_file(entry.path())?, meta.len());
        } else if ft.is_symlink() {
            digest.symlink(&rel, &fs::read_link(entry.path())?);
        }
    }
    Ok(digest.finish())
}

/// `/`-joined, whatever the platform.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Hex sha256 of a file's content.
pub fn sha256_file(path: &Path) -> Result<String, io::Error> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
