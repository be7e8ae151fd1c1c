//! Packs: the local store's small contents, kept together as git keeps its objects.
//!
//! Compressed one by one, small files lose to zip: each zstd frame starts with an empty history
//! and pays its own header. So contents under [`PACKED_MAX`] go into `<blobs>/packs/<id>.pack`,
//! a run of independent zstd frames of about `FRAME_BYTES` of contents each: compressing a
//! frame finds what files repeat of one another, and reading one file decompresses one frame.
//!
//! A version's listing says where each of its packed files is ([`Packed`]), so reading needs no
//! index; the `packed_blobs` table only lets a later ingest find a content that is packed
//! already. Frames are compressed on worker threads while the ingest walks on, and a pack is
//! written to a temporary file, synced, and renamed into place before anything names it.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use rusqlite::params;

use crate::db::Db;
use crate::error::LocalError;

/// Contents smaller than this are packed; larger ones are stored alone, where one frame of
/// their own already has history enough.
pub(crate) const PACKED_MAX: u64 = 1 << 20;

/// Contents per frame: enough history for whole-frame compression to pay, little enough that
/// reading one file decompresses at most this much beside it.
const FRAME_BYTES: usize = 1 << 20;

/// Packs are compressed off the walk's thread on every core, which pays for a level above
/// the loose blobs' own: frames of text-like contents come out smaller than a zip of them.
const PACK_LEVEL: i32 = 6;

/// Where a packed content is: the pack's file name, its frame's byte range in the pack, and
/// the content's offset within the frame once decompressed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Packed {
    pub pack: String,
    pub frame: u64,
    pub frame_len: u64,
    pub offset: u64,
}

/// A frame's contents and, for each content in it, its sha256 and offset.
struct Frame {
    contents: Vec<u8>,
    members: Vec<(String, u64)>,
}

/// A compressed frame on its way to the pack file.
type Compressed = Result<(Vec<u8>, Vec<(String, u64)>), std::io::Error>;

/// What a finished pack holds.
#[derive(Debug)]
pub(crate) struct Written {
    /// Each packed content's location.
    pub located: HashMap<String, Packed>,
    /// The pack's size on disk.
    pub stored_bytes: u64,
}

/// What the writer thread hands back: where each content went, and the bytes written.
type WriterResult = Result<(HashMap<String, Packed>, u64), LocalError>;

/// Builds one pack from the contents an ingest adds; threads start with the first content.
pub(crate) struct PackWriter {
    dir: PathBuf,
    name: String,
    frame: Frame,
    running: Option<Running>,
}

struct Running {
    jobs: mpsc::SyncSender<Frame>,
    workers: Vec<JoinHandle<()>>,
    writer: JoinHandle<WriterResult>,
}

impl PackWriter {
    pub(crate) fn new(packs_dir: &Path) -> Self {
        Self {
            dir: packs_dir.to_path_buf(),
            name: format!("{}.pack", uuid::Uuid::new_v4().simple()),
            frame: Frame {
                contents: Vec::new(),
                members: Vec::new(),
            },
            running: None,
        }
    }

    fn tmp(&self) -> PathBuf {
        self.dir.join(format!(".tmp-{}", self.name))
    }

    /// Adds a content (already known not to be stored) to the pack.
    pub(crate) fn add(&mut self, sha256: String, bytes: &[u8]) -> Result<(), LocalError> {
        let offset = self.frame.contents.len() as u64;
        self.frame.contents.extend_from_slice(bytes);
        self.frame.members.push((sha256, offset));
        if self.frame.contents.len() >= FRAME_BYTES {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), LocalError> {
        let frame = std::mem::replace(
            &mut self.frame,
            Frame {
                contents: Vec::with_capacity(FRAME_BYTES + FRAME_BYTES / 4),
                members: Vec::new(),
            },
        );
        if self.running.is_none() {
            self.running = Some(self.start()?);
        }
        let lost = || LocalError::Internal("the pack writer stopped early".into());
        self.running.as_ref().ok_or_else(lost)?.jobs.send(frame).map_err(|_| lost())
    }

    fn start(&self) -> Result<Running, LocalError> {
        fs::create_dir_all(&self.dir).map_err(LocalError::io(&self.dir))?;
        let tmp = self.tmp();
        let file = fs::File::create(&tmp).map_err(LocalError::io(&tmp))?;
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        // Bounded: the walk waits for the compressors rather than holding the tree in memory.
        let (jobs, queue) = mpsc::sync_channel::<Frame>(threads);
        let queue = Arc::new(Mutex::new(queue));
        let (done, compressed) = mpsc::channel::<Compressed>();
        let workers = (0..threads)
            .map(|_| {
                let queue = Arc::clone(&queue);
                let done = done.clone();
                std::thread::spawn(move || {
                    // A checksum per frame: a damaged pack is an error when read, not wrong bytes.
                    let mut compressor = zstd::bulk::Compressor::new(PACK_LEVEL).and_then(|mut c| c.include_checksum(true).map(|()| c));
                    loop {
                        // The lock is held only to take the next frame.
                        let next = queue.lock().map_or(None, |q| q.recv().ok());
                        let Some(frame) = next else { break };
                        let result = match &mut compressor {
                            Ok(c) => c.compress(&frame.contents).map(|bytes| (bytes, frame.members)),
                            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
                        };
                        if done.send(result).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        drop(done);
        let name = self.name.clone();
        let writer = std::thread::spawn(move || write_frames(file, &tmp, &name, &compressed));
        Ok(Running { jobs, workers, writer })
    }

    /// Compresses what is left, syncs the pack and renames it into place. `None` when nothing
    /// was added.
    pub(crate) fn finish(mut self) -> Result<Option<Written>, LocalError> {
        if !self.frame.members.is_empty() {
            self.send()?;
        }
        let Some(running) = self.running.take() else { return Ok(None) };
        let (located, stored_bytes) = running.join()?;
        let tmp = self.tmp();
        let pack = self.dir.join(&self.name);
        fs::rename(&tmp, &pack).map_err(LocalError::io(&pack))?;
        crate::sys::tree::sync_dir(&self.dir)?;
        Ok(Some(Written { located, stored_bytes }))
    }
}

impl Running {
    fn join(self) -> WriterResult {
        drop(self.jobs);
        for worker in self.workers {
            let _ = worker.join();
        }
        self.writer
            .join()
            .map_err(|_| LocalError::Internal("the pack writer panicked".into()))?
    }
}

impl std::fmt::Debug for PackWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackWriter")
            .field("pack", &self.dir.join(&self.name))
            .finish_non_exhaustive()
    }
}

impl Drop for PackWriter {
    /// An ingest that failed leaves no temporary pack behind.
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.join();
            let _ = fs::remove_file(self.tmp());
        }
    }
}

/// Appends each compressed frame to the pack as it arrives (in any order: every content's
/// location is recorded as written), then syncs the file.
fn write_frames(file: fs::File, tmp: &Path, name: &str, compressed: &mpsc::Receiver<Compressed>) -> WriterResult {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut located = HashMap::new();
    let mut at = 0u64;
    let mut failed = None;
    for result in compressed {
        // After a failure the rest is drained, so no compressor blocks on a full channel.
        if failed.is_some() {
            continue;
        }
        let written = result.and_then(|(bytes, members)| {
            out.write_all(&bytes)?;
            for (sha256, offset) in members {
                let place = Packed {
                    pack: name.to_string(),
                    frame: at,
                    frame_len: bytes.len() as u64,
                    offset,
                };
                located.insert(sha256, place);
            }
            at += bytes.len() as u64;
            Ok(())
        });
        failed = written.err();
    }
    if let Some(e) = failed {
        return Err(LocalError::io(tmp)(e));
    }
    let file = out.into_inner().map_err(|e| LocalError::io(tmp)(e.into_error()))?;
    file.sync_all().map_err(LocalError::io(tmp))?;
    Ok((located, at))
}

/// Reads packed contents, keeping the last frame it decompressed: a listing names its files in
/// the order they were packed, so consecutive reads mostly share a frame.
pub(crate) struct PackReader {
    dir: PathBuf,
    frame: Option<((String, u64), Vec<u8>)>,
}

impl std::fmt::Debug for PackReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackReader").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl PackReader {
    pub(crate) fn new(packs_dir: &Path) -> Self {
        Self {
            dir: packs_dir.to_path_buf(),
            frame: None,
        }
    }

    /// The `size` bytes of content at `at`.
    pub(crate) fn read(&mut self, at: &Packed, size: u64) -> Result<&[u8], LocalError> {
        let key = (at.pack.clone(), at.frame);
        if self.frame.as_ref().is_none_or(|(k, _)| *k != key) {
            let bytes = self.load(at)?;
            self.frame = Some((key, bytes));
        }
        let frame = self.frame.as_ref().map_or(&[][..], |(_, bytes)| bytes.as_slice());
        let range = usize::try_from(at.offset)
            .ok()
            .zip(usize::try_from(at.offset.saturating_add(size)).ok())
            .filter(|(_, end)| *end <= frame.len());
        let Some((start, end)) = range else {
            return Err(LocalError::Corrupt(format!(
                "pack {} is corrupt: its frame at {} holds {} bytes, a content of {size} is listed at {}",
                at.pack,
                at.frame,
                frame.len(),
                at.offset
            )));
        };
        Ok(&frame[start..end])
    }

    fn load(&self, at: &Packed) -> Result<Vec<u8>, LocalError> {
        let path = self.dir.join(&at.pack);
        if at.pack.contains('/') || at.pack.starts_with('.') {
            return Err(LocalError::Corrupt(format!(
                "a listing is corrupt: it names a pack outside the store: {}",
                at.pack
            )));
        }
        let file = fs::File::open(&path).map_err(LocalError::io(&path))?;
        let len = usize::try_from(at.frame_len)
            .map_err(|_| LocalError::Corrupt(format!("pack {} is corrupt: a frame too large to read", at.pack)))?;
        let mut compressed = vec![0u8; len];
        file.read_exact_at(&mut compressed, at.frame).map_err(LocalError::io(&path))?;
        zstd::stream::decode_all(compressed.as_slice()).map_err(LocalError::io(&path))
    }
}

/// Every packed content the store knows, by sha256.
pub(crate) fn load_index(db: &Db) -> Result<HashMap<String, Packed>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT sha256, pack, frame, frame_len, offset FROM packed_blobs")
        .map_err(LocalError::sql)?;
    stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            Packed {
                pack: r.get(1)?,
                frame: r.get::<_, i64>(2)? as u64,
                frame_len: r.get::<_, i64>(3)? as u64,
                offset: r.get::<_, i64>(4)? as u64,
            },
        ))
    })
    .and_then(Iterator::collect)
    .map_err(LocalError::sql)
}

/// Records where a new pack's contents are; a content another ingest packed at the same time
/// keeps its first location.
pub(crate) fn record(db: &Db, located: &HashMap<String, Packed>) -> Result<(), LocalError> {
    db.immediate(|tx| {
        let mut stmt = tx
            .prepare("INSERT OR IGNORE INTO packed_blobs (sha256, pack, frame, frame_len, offset) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(LocalError::sql)?;
        for (sha, at) in located {
            stmt.execute(params![sha, at.pack, at.frame as i64, at.frame_len as i64, at.offset as i64])
                .map_err(LocalError::sql)?;
        }
        Ok(())
    })
}

/// Forgets the contents of packs about to be removed. Called before the files go, so an index
/// row never outlives its pack.
pub(crate) fn forget(db: &Db, packs: &[String]) -> Result<(), LocalError> {
    db.immediate(|tx| {
        for pack in packs {
            tx.execute("DELETE FROM packed_blobs WHERE pack = ?1", [pack])
                .map_err(LocalError::sql)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use crate::artifacts::blobs::tests::{listing, noise, store};
    use crate::artifacts::blobs::{Entry, read_listing};

    /// Files that share most of their lines, as a source tree's files do.
    fn source_file(i: usize) -> String {
        (0..60)
            .map(|line| {
                format!(
                    "    let value_{line} = compute(input_{}, {line}); // step {line}\n",
                    (i * 7 + line) % 13
                )
            })
            .collect()
    }

    fn files_in(dir: &std::path::Path) -> Vec<String> {
        fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn small_files_are_packed_together_smaller_than_alone() {
        let (state, blobs) = store();
        let src = tempfile::tempdir().unwrap();
        let mut alone = 0;
        for i in 0..300 {
            let text = source_file(i);
            alone += zstd::bulk::compress(text.as_bytes(), 3).unwrap().len() as u64;
            fs::write(src.path().join(format!("f{i:03}.rs")), text).unwrap();
        }
        let ingested = blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap();
        let packs = files_in(&blobs.packs_dir());
        assert_eq!(packs.len(), 1, "one pack: {packs:?}");
        let loose = files_in(&state.path().join("artifacts/blobs"));
        assert!(
            loose.iter().all(|n| n == "packs" || n == ".lock"),
            "nothing stored alone: {loose:?}"
        );
        assert!(
            ingested.stored_bytes * 2 < alone,
            "packed {} bytes, {alone} bytes compressed one by one",
            ingested.stored_bytes
        );
        let out = state.path().join("out");
        blobs.materialize(&listing(state.path(), 1), &out).unwrap();
        assert_eq!(baton_core::digest::summarize(&out).unwrap(), ingested.summary);
    }

    #[test]
    fn a_content_is_packed_once() {
        let (state, blobs) = store();
        let src = tempfile::tempdir().unwrap();
        fs::write(src.path().join("a"), source_file(1)).unwrap();
        fs::write(src.path().join("b"), source_file(1)).unwrap();
        fs::write(src.path().join("c"), source_file(2)).unwrap();
        let first = blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap();
        assert_eq!(
            first.new_bytes,
            (source_file(1).len() + source_file(2).len()) as u64,
            "b is a's content"
        );
        let places: Vec<_> = read_listing(&listing(state.path(), 1))
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                Entry::File { packed, .. } => packed,
                _ => None,
            })
            .collect();
        assert_eq!(places.len(), 3);
        assert_eq!(places[0], places[1]);
        assert_ne!(places[0].offset, places[2].offset);

        let again = blobs.ingest(src.path(), &listing(state.path(), 2)).unwrap();
        assert_eq!((again.new_bytes, again.stored_bytes), (0, 0));
        assert_eq!(files_in(&blobs.packs_dir()).len(), 1, "no second pack");
    }

    #[test]
    fn a_failed_ingest_leaves_no_pack_behind() {
        let (state, blobs) = store();
        let src = tempfile::tempdir().unwrap();
        // More than a frame, so the compressors are at work when the walk meets the bad link.
        for i in 0..12 {
            fs::write(src.path().join(format!("a{i:02}")), noise(200 << 10, i)).unwrap();
        }
        std::os::unix::fs::symlink("../../etc/passwd", src.path().join("zz")).unwrap();
        let err = blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap_err();
        assert!(err.to_string().contains("zz"), "{err}");
        assert_eq!(files_in(&blobs.packs_dir()), Vec::<String>::new());
    }

    #[test]
    fn a_damaged_pack_is_an_error_naming_it() {
        let (state, blobs) = store();
        let src = tempfile::tempdir().unwrap();
        for i in 0..20 {
            fs::write(src.path().join(format!("f{i:02}")), source_file(i)).unwrap();
        }
        blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap();
        let name = files_in(&blobs.packs_dir()).pop().unwrap();
        let pack = blobs.packs_dir().join(&name);
        let mut bytes = fs::read(&pack).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        fs::set_permissions(&pack, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&pack, &bytes).unwrap();
        let err = blobs
            .materialize(&listing(state.path(), 1), &state.path().join("flipped"))
            .unwrap_err();
        assert!(err.to_string().contains(&name), "{err}");

        fs::write(&pack, &bytes[..middle]).unwrap();
        let err = blobs.materialize(&listing(state.path(), 1), &state.path().join("cut")).unwrap_err();
        assert!(err.to_string().contains(&name), "{err}");
    }
}
