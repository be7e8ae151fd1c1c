//! The local store's file contents, kept once by digest under `<state>/artifacts/blobs/`. A
//! version is a listing (`files.jsonl`: each directory, symlink, and file with its mode, size
//! and blob), so storing a tree whose files are mostly unchanged writes only the changed bytes
//! and one listing; readers materialize a version by copying its blobs out.
//!
//! A blob is stored zstd-compressed (`<sha256>.zst`), or as it is (`<sha256>`) when compression
//! would not make it smaller (archives, images): the store is never larger than its trees, and
//! usually smaller than a zip of them.
//!
//! Hashing is the rest of the cost, so a stat cache (`file_hashes`, like git's index) keeps each
//! source file's sha256 by device, inode, size, mtime and ctime. Only files last modified well
//! before the ingest began are remembered: a later write then always shows as a newer mtime and
//! ctime, even on a filesystem with coarse timestamps (git's "racily clean" problem).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use baton_core::digest::{DigestBuilder, TreeSummary, relative, sha256_file};
use rusqlite::params;
use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::artifacts::packs::{self, PACKED_MAX, PackReader, PackWriter, Packed};
use crate::db::Db;
use crate::error::LocalError;
use crate::sys::file_lock::LockMode;
use crate::sys::tree;

#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
    db: Arc<Db>,
}

/// What an ingest did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub summary: TreeSummary,
    /// Bytes of contents that were new to the store (the rest were stored already).
    pub new_bytes: u64,
    /// What those took on disk, compressed.
    pub stored_bytes: u64,
}

/// Compressed blobs' extension, and the level: zstd's fast end, which still compresses source
/// trees and build outputs better than deflate.
const ZSTD: &str = "zst";
const ZSTD_LEVEL: i32 = 3;

/// Rows the stat cache keeps: enough for a tree of this many files to re-store without hashing.
const STAT_CACHE_ROWS: i64 = 200_000;

/// `(dev, ino)` → `(size, mtime_ns, ctime_ns, sha256)`.
type StatCache = HashMap<(i64, i64), (i64, i64, i64, String)>;

/// A stat-cache row: what identifies a file's state without reading it.
struct Stat {
    dev: i64,
    ino: i64,
    size: i64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl Blobs {
    pub fn new(artifacts_root: &Path, db: Arc<Db>) -> Self {
        Self {
            dir: artifacts_root.join("blobs"),
            db,
        }
    }

    /// Held (shared) while a version is stored, from the first blob to the version's rename
    /// into place; a sweep takes it alone, so it never removes a blob a version is about to list.
    pub fn storing(&self) -> Result<crate::sys::file_lock::FileLock, LocalError> {
        crate::sys::file_lock::lock(&self.dir.join(".lock"), LockMode::Shared)
    }

    /// Where a content is kept as it is.
    fn blob(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2.min(sha256.len())]).join(sha256)
    }

    /// Where a content is kept compressed.
    fn compressed(&self, sha256: &str) -> PathBuf {
        self.blob(sha256).with_extension(ZSTD)
    }

    /// Stores every file of `source` as a blob and writes the version's listing to `listing`;
    /// returns the canonical digest. The caller holds [`Self::storing`] until the version is
    /// in place.
    pub fn ingest(&self, source: &Path, listing: &Path) -> Result<Ingested, LocalError> {
        let mut digest = DigestBuilder::default();
        let (mut new_bytes, mut stored_bytes) = (0, 0);
        let mut learned = Vec::new();
        let mut entries = Vec::new();
        let mut new_blobs = Vec::new();
        let mut pack = PackWriter::new(&self.packs_dir());
        // Entries (by index) whose content goes into this ingest's pack, placed when it is done.
        let mut awaiting_pack = Vec::new();
        // Timestamps can be a clock tick (a few ms) coarse; a file modified later than this may
        // still change without its mtime moving, so it is hashed again next time.
        let settled_ns = (std::time::SystemTime::now() - std::time::Duration::from_millis(100))
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        // One read of the whole cache (and pack index) beats a query per file by far on large trees.
        let cache = self.load_cache()?;
        let packed = self.live_index()?;
        // Contents this ingest packs: a second copy in the tree is not added again.
        let mut packing_now = HashSet::new();
        for entry in WalkDir::new(source).follow_links(false).sort_by_file_name().min_depth(1) {
            let entry = entry.map_err(LocalError::walk)?;
            let rel = relative(source, entry.path());
            let ft = entry.file_type();
            let line = if ft.is_dir() {
                Entry::Dir { path: rel }
            } else if ft.is_symlink() {
                baton_core::beneath::check_link(source, Path::new(&rel))?;
                let target = fs::read_link(entry.path()).map_err(LocalError::io(entry.path()))?;
                digest.symlink(&rel, &target);
                Entry::Link {
                    path: rel,
                    target: target.to_string_lossy().into_owned(),
                }
            } else if ft.is_file() {
                let meta = entry.metadata().map_err(LocalError::walk)?;
                let stat = Stat {
                    dev: meta.dev() as i64,
                    ino: meta.ino() as i64,
                    size: meta.size() as i64,
                    mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                    ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
                };
                let hit = cache
                    .get(&(stat.dev, stat.ino))
                    .filter(|(size, mtime, ctime, _)| (*size, *mtime, *ctime) == (stat.size, stat.mtime_ns, stat.ctime_ns));
                let small = meta.len() < PACKED_MAX;
                // A small file is read once: its bytes are hashed and, if new, packed.
                let (sha, mut bytes) = match hit {
                    Some((.., sha)) => (sha.clone(), None),
                    None if small => {
                        let bytes = fs::read(entry.path()).map_err(LocalError::io(entry.path()))?;
                        (hex::encode(Sha256::digest(&bytes)), Some(bytes))
                    }
                    None => (sha256_file(entry.path()).map_err(LocalError::io(entry.path()))?, None),
                };
                if hit.is_none() && stat.mtime_ns < settled_ns && stat.ctime_ns < settled_ns {
                    learned.push((stat, sha.clone()));
                }
                let executable = meta.permissions().mode() & 0o111 != 0;
                let place = packed.get(&sha).cloned();
                let packing = packing_now.contains(&sha);
                if packing {
                    awaiting_pack.push(entries.len());
                } else if place.is_none() && !self.compressed(&sha).exists() && !self.blob(&sha).exists() {
                    if small {
                        let bytes = match bytes.take() {
                            Some(bytes) => bytes,
                            None => fs::read(entry.path()).map_err(LocalError::io(entry.path()))?,
                        };
                        pack.add(sha.clone(), &bytes)?;
                        packing_now.insert(sha.clone());
                        awaiting_pack.push(entries.len());
                    } else {
                        let (blob, stored) = self.put_blob(entry.path(), &sha)?;
                        stored_bytes += stored;
                        new_blobs.push(blob);
                    }
                    new_bytes += meta.len();
                }
                digest.file(&rel, executable, &sha, meta.len());
                Entry::File {
                    path: rel,
                    sha256: sha,
                    size: meta.len(),
                    executable,
                    packed: place,
                }
            } else {
                continue;
            };
            entries.push(line);
        }
        if let Some(written) = pack.finish()? {
            stored_bytes += written.stored_bytes;
            for &i in &awaiting_pack {
                if let Some(Entry::File { sha256, packed, .. }) = entries.get_mut(i) {
                    *packed = written.located.get(sha256.as_str()).cloned();
                }
            }
            packs::record(&self.db, &written.located)?;
        }
        self.remember(&learned)?;
        let mut lines = String::new();
        for entry in &entries {
            lines.push_str(&serde_json::to_string(entry).map_err(|e| LocalError::Internal(e.to_string()))?);
            lines.push('\n');
        }
        fs::write(listing, lines).map_err(LocalError::io(listing))?;
        flush(&new_blobs, listing)?;
        Ok(Ingested {
            summary: digest.finish(),
            new_bytes,
            stored_bytes,
        })
    }

    pub(crate) fn packs_dir(&self) -> PathBuf {
        self.dir.join(PACKS)
    }

    /// The pack index, without contents whose pack has gone (a sweep removes the rows first,
    /// but a store copied without its packs, or restored from a backup, may not agree).
    fn live_index(&self) -> Result<HashMap<String, Packed>, LocalError> {
        let mut index = packs::load_index(&self.db)?;
        let mut present: HashMap<String, bool> = HashMap::new();
        let dir = self.packs_dir();
        index.retain(|_, at| *present.entry(at.pack.clone()).or_insert_with(|| dir.join(&at.pack).is_file()));
        Ok(index)
    }

    /// Builds a version's files under `dest` from its listing. Links are made last, once every
    /// directory and file is in place, and each must then resolve beneath `dest` (a listing is
    /// data on disk, and never trusted to lead only inside).
    pub fn materialize(&self, listing: &Path, dest: &Path) -> Result<(), LocalError> {
        fs::create_dir_all(dest).map_err(LocalError::io(dest))?;
        let mut packs = PackReader::new(&self.packs_dir());
        let mut links = Vec::new();
        for entry in read_listing(listing)? {
            match entry {
                Entry::Dir { path } => {
                    let to = tree::contained(dest, &path)?;
                    fs::create_dir_all(&to).map_err(LocalError::io(&to))?;
                }
                Entry::Link { path, target } => links.push((path, target)),
                Entry::File {
                    path,
                    sha256,
                    executable,
                    size,
                    packed,
                } => {
                    let to = tree::contained_entry(dest, &path)?;
                    if to.symlink_metadata().is_ok() {
                        return Err(LocalError::Corrupt(format!("a listing is corrupt: it names {path} twice")));
                    }
                    match packed {
                        Some(at) => fs::write(&to, packs.read(&at, size)?).map_err(LocalError::io(&to))?,
                        None => self.copy_out(&sha256, &to)?,
                    }
                    let mode = if executable { 0o755 } else { 0o644 };
                    fs::set_permissions(&to, fs::Permissions::from_mode(mode)).map_err(LocalError::io(&to))?;
                }
            }
        }
        for (path, target) in &links {
            let to = tree::contained_entry(dest, path)?;
            std::os::unix::fs::symlink(target, &to).map_err(LocalError::io(&to))?;
        }
        // Checked once all are made: a link is safe only with the links it leads through.
        for (path, _) in &links {
            baton_core::beneath::check_link(dest, Path::new(path))?;
        }
        Ok(())
    }

    /// Writes a content stored on its own to `to`.
    fn copy_out(&self, sha256: &str, to: &Path) -> Result<(), LocalError> {
        let compressed = self.compressed(sha256);
        match fs::File::open(&compressed) {
            Ok(file) => {
                let mut out = fs::File::create(to).map_err(LocalError::io(to))?;
                zstd::stream::copy_decode(std::io::BufReader::new(file), &mut out).map_err(LocalError::io(&compressed))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let blob = self.blob(sha256);
                fs::copy(&blob, to).map_err(LocalError::io(&blob))?;
            }
            Err(e) => return Err(LocalError::io(&compressed)(e)),
        }
        Ok(())
    }

    /// The size of a content as stored, once read back; `None` when it is missing or cut short.
    /// For checks from outside: reading a version goes through [`Self::materialize`].
    pub fn stored_len(&self, sha256: &str, packed: Option<&Packed>, size: u64) -> Option<u64> {
        if let Some(at) = packed {
            return PackReader::new(&self.packs_dir()).read(at, size).ok().map(|b| b.len() as u64);
        }
        if let Ok(meta) = fs::metadata(self.blob(sha256)) {
            return Some(meta.len());
        }
        let compressed = fs::File::open(self.compressed(sha256)).ok()?;
        zstd::stream::decode_all(compressed).ok().map(|bytes| bytes.len() as u64)
    }

    /// Puts a file into the store under its digest, compressed unless that saves nothing: temp
    /// file, then rename, so a blob is whole or absent. Returns the blob and its size on disk.
    fn put_blob(&self, from: &Path, sha256: &str) -> Result<(PathBuf, u64), LocalError> {
        let raw = self.blob(sha256);
        let dir = raw.parent().ok_or_else(|| LocalError::Internal("blob path has no parent".into()))?;
        fs::create_dir_all(dir).map_err(LocalError::io(dir))?;
        let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
        let source = fs::File::open(from).map_err(LocalError::io(from))?;
        let size = source.metadata().map_err(LocalError::io(from))?.len();
        let out = fs::File::create(&tmp).map_err(LocalError::io(&tmp))?;
        let mut writer = std::io::BufWriter::new(out);
        zstd::stream::copy_encode(std::io::BufReader::new(source), &mut writer, ZSTD_LEVEL).map_err(LocalError::io(&tmp))?;
        writer.into_inner().map_err(|e| LocalError::io(&tmp)(e.into_error()))?;
        let mut stored = fs::metadata(&tmp).map_err(LocalError::io(&tmp))?.len();
        let blob = if stored < size {
            self.compressed(sha256)
        } else {
            stored = fs::copy(from, &tmp).map_err(LocalError::io(&tmp))?;
            raw
        };
        // Read-only: nothing in Baton writes a stored content in place.
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o444)).map_err(LocalError::io(&tmp))?;
        fs::rename(&tmp, &blob).map_err(LocalError::io(&blob))?;
        Ok((blob, stored))
    }

    /// The stat cache, whole.
    fn load_cache(&self) -> Result<StatCache, LocalError> {
        let conn = self.db.lock();
        let mut stmt = conn
            .prepare("SELECT dev, ino, size, mtime_ns, ctime_ns, sha256 FROM file_hashes")
            .map_err(LocalError::sql)?;
        stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)
    }

    fn remember(&self, learned: &[(Stat, String)]) -> Result<(), LocalError> {
        if learned.is_empty() {
            return Ok(());
        }
        self.db.immediate(|tx| {
            let mut stmt = tx
                .prepare("INSERT OR REPLACE INTO file_hashes (dev, ino, size, mtime_ns, ctime_ns, sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(LocalError::sql)?;
            for (s, sha) in learned {
                stmt.execute(params![s.dev, s.ino, s.size, s.mtime_ns, s.ctime_ns, sha])
                    .map_err(LocalError::sql)?;
            }
            // Every build's outputs are new inodes; the cache is read whole on every store, so
            // it keeps only the most recently learned rows.
            tx.execute(
                "DELETE FROM file_hashes WHERE rowid <= (SELECT MAX(rowid) FROM file_hashes) - ?1",
                [STAT_CACHE_ROWS],
            )
            .map_err(LocalError::sql)?;
            Ok(())
        })
    }

    /// Removes blobs no version lists any more (listings are found under `artifacts_root`, for
    /// every pipeline, since pipelines share contents). A temp file of an ingest in progress is
    /// left alone for an hour.
    pub fn sweep(&self, artifacts_root: &Path) -> Result<(u64, u64), LocalError> {
        let _alone = crate::sys::file_lock::lock(&self.dir.join(".lock"), LockMode::Exclusive)?;
        let (mut used, mut used_packs) = (HashSet::new(), HashSet::new());
        for listing in WalkDir::new(artifacts_root)
            .min_depth(4)
            .max_depth(4)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name() == LISTING)
        {
            for entry in read_listing(listing.path())? {
                match entry {
                    Entry::File { packed: Some(at), .. } => used_packs.insert(at.pack),
                    Entry::File { sha256, .. } => used.insert(sha256),
                    _ => false,
                };
            }
        }
        let (mut count, mut bytes) = (0, 0);
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        let stale_tmp = |name: &str, meta: &fs::Metadata| name.starts_with(".tmp-") && meta.modified().is_ok_and(|m| m < hour_ago);
        // Not with min_depth: walkdir does not ask filter_entry about the levels it skips.
        let loose = WalkDir::new(&self.dir)
            .max_depth(2)
            .into_iter()
            .filter_entry(|e| e.depth() != 1 || e.file_name() != PACKS)
            .filter_map(Result::ok)
            .filter(|e| e.depth() == 2);
        for entry in loose {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(meta) = entry.metadata() else { continue };
            let sha = name.strip_suffix(".zst").unwrap_or(&name);
            if meta.is_file() && (stale_tmp(&name, &meta) || (!name.starts_with(".tmp-") && !used.contains(sha))) {
                fs::remove_file(entry.path()).map_err(LocalError::io(entry.path()))?;
                count += 1;
                bytes += meta.len();
            }
        }
        // A pack goes when no version lists anything in it (contents of a live pack that nothing
        // lists stay until then). Its index rows go first, so none ever names a missing pack.
        let mut unused_packs = Vec::new();
        for entry in fs::read_dir(self.packs_dir()).into_iter().flatten().filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(meta) = entry.metadata() else { continue };
            let unused = name.ends_with(".pack") && !used_packs.contains(&name);
            if meta.is_file() && (unused || stale_tmp(&name, &meta)) {
                unused_packs.push((name, entry.path(), meta.len()));
            }
        }
        let names: Vec<String> = unused_packs.iter().map(|(name, ..)| name.clone()).collect();
        packs::forget(&self.db, &names)?;
        for (_, path, len) in unused_packs {
            fs::remove_file(&path).map_err(LocalError::io(&path))?;
            count += 1;
            bytes += len;
        }
        Ok((count, bytes))
    }
}

/// Up to this many new blobs are flushed one by one; beyond, one `syncfs` is cheaper, though it
/// also waits for whatever else is dirty on the filesystem.
const FSYNC_EACH_UP_TO: usize = 256;

/// Makes the new blobs (contents and directory entries) and the listing durable.
fn flush(new_blobs: &[PathBuf], listing: &Path) -> Result<(), LocalError> {
    let sync = |p: &Path| fs::File::open(p).and_then(|f| f.sync_all()).map_err(LocalError::io(p));
    if new_blobs.len() > FSYNC_EACH_UP_TO {
        let fs_of = fs::File::open(listing).map_err(LocalError::io(listing))?;
        return rustix::fs::syncfs(&fs_of).map_err(|e| LocalError::io(listing)(e.into()));
    }
    let mut dirs = std::collections::BTreeSet::new();
    for blob in new_blobs {
        sync(blob)?;
        dirs.extend(blob.parent().map(Path::to_path_buf));
    }
    for dir in &dirs {
        sync(dir)?;
    }
    sync(listing)
}

/// The directory of packs, beside the loose blobs' two-hex-digit directories.
const PACKS: &str = "packs";

/// The name of a version's listing, beside its manifest.
pub const LISTING: &str = "files.jsonl";

/// One line of a listing, in the order the tree was walked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Entry {
    Dir {
        path: String,
    },
    Link {
        path: String,
        target: String,
    },
    File {
        path: String,
        sha256: String,
        size: u64,
        executable: bool,
        /// Where the content is when it is packed (`crate::artifacts::packs`); stored on its own if not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packed: Option<Packed>,
    },
}

pub fn read_listing(listing: &Path) -> Result<Vec<Entry>, LocalError> {
    let text = fs::read_to_string(listing).map_err(LocalError::io(listing))?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| LocalError::Corrupt(format!("the listing {} is corrupt: {e}", listing.display()))))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
