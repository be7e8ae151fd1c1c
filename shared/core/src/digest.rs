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

pub fn summarize(root: &Path) -> Result<TreeSummary, io::Error> {
    let mut entries = Vec::new();
    let (mut size, mut file_count) = (0u64, 0u64);
    for entry in WalkDir::new(root).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        let rel = relative(root, entry.path());
        let ft = entry.file_type();
        if ft.is_file() {
            let meta = entry.metadata().map_err(io::Error::other)?;
            let exec = meta.permissions().mode() & 0o111 != 0;
            let hash = sha256_file(entry.path())?;
            entries.push(format!("F {rel}\0{}\0{hash}\n", if exec { "755" } else { "644" }));
            size += meta.len();
            file_count += 1;
        } else if ft.is_symlink() {
            let target = fs::read_link(entry.path())?;
            entries.push(format!("L {rel}\0{}\n", target.display()));
            file_count += 1;
        }
    }
    let mut h = Sha256::new();
    for e in &entries {
        h.update(e.as_bytes());
    }
    Ok(TreeSummary {
        digest: format!("sha256:{}", hex::encode(h.finalize())),
        size,
        file_count,
    })
}

/// `/`-joined, whatever the platform.
fn relative(root: &Path, path: &Path) -> String {
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
