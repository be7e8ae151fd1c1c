#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use super::*;

/// Bytes with no pattern to find: what archives and images look like to a compressor.
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub(crate) fn store() -> (tempfile::TempDir, Blobs) {
    let state = tempfile::tempdir().unwrap();
    let db = Arc::new(Db::open(&state.path().join("baton.db")).unwrap());
    let blobs = Blobs::new(&state.path().join("artifacts"), db);
    (state, blobs)
}

/// Where the store keeps version `v`'s listing.
pub(crate) fn listing(state: &Path, v: u32) -> PathBuf {
    let dir = state.join(format!("artifacts/p/app/{v}"));
    fs::create_dir_all(&dir).unwrap();
    dir.join(LISTING)
}

#[test]
fn a_mostly_unchanged_tree_writes_only_the_changed_bytes() {
    let (state, blobs) = store();
    let src = tempfile::tempdir().unwrap();
    for i in 0..10 {
        fs::write(src.path().join(format!("f{i}")), vec![i as u8; 1000]).unwrap();
    }
    let first = blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap();
    assert_eq!(first.new_bytes, 10_000);
    assert_eq!(
        first.summary,
        baton_core::digest::summarize(src.path()).unwrap(),
        "the store's digest is the canonical one"
    );

    fs::write(src.path().join("f3"), vec![99u8; 1500]).unwrap();
    let second = blobs.ingest(src.path(), &listing(state.path(), 2)).unwrap();
    assert_eq!(second.new_bytes, 1500, "only the changed file is written");
    assert_eq!(second.summary, baton_core::digest::summarize(src.path()).unwrap());
    let v1 = state.path().join("v1");
    blobs.materialize(&listing(state.path(), 1), &v1).unwrap();
    assert_eq!(fs::read(v1.join("f3")).unwrap(), vec![3u8; 1000], "version 1 keeps its file");
    assert_eq!(baton_core::digest::summarize(&v1).unwrap(), first.summary);

    // Version 1's pack stays while version 2 lists contents in it.
    let artifacts = state.path().join("artifacts");
    fs::remove_dir_all(artifacts.join("p/app/1")).unwrap();
    assert_eq!(blobs.sweep(&artifacts).unwrap().0, 0, "version 2 still lists the first pack");
    let v2 = state.path().join("v2");
    blobs.materialize(&listing(state.path(), 2), &v2).unwrap();
    assert_eq!(fs::read(v2.join("f3")).unwrap(), vec![99u8; 1500]);
    assert_eq!(baton_core::digest::summarize(&v2).unwrap(), second.summary);

    // Once nothing lists a pack it goes, with its index rows: the same contents stored
    // again are packed anew rather than pointed at a removed pack.
    fs::remove_dir_all(artifacts.join("p/app/2")).unwrap();
    let (count, bytes) = blobs.sweep(&artifacts).unwrap();
    assert_eq!(count, 2, "both packs");
    assert!(bytes > 0 && bytes < 2500, "compressed: {bytes} bytes");
    let third = blobs.ingest(src.path(), &listing(state.path(), 3)).unwrap();
    assert_eq!(third.new_bytes, 10_500);
    let v3 = state.path().join("v3");
    blobs.materialize(&listing(state.path(), 3), &v3).unwrap();
    assert_eq!(baton_core::digest::summarize(&v3).unwrap(), second.summary);
}

#[test]
fn contents_are_stored_compressed_unless_that_saves_nothing() {
    let (state, blobs) = store();
    let src = tempfile::tempdir().unwrap();
    // Both too large to be packed.
    let text = "a line of source code that repeats, as source code does\n".repeat(20_000);
    fs::write(src.path().join("main.rs"), &text).unwrap();
    let noise = noise(2 << 20, 1);
    fs::write(src.path().join("logo.png"), &noise).unwrap();
    let ingested = blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap();
    assert_eq!(ingested.new_bytes, (text.len() + noise.len()) as u64);
    assert!(
        ingested.stored_bytes < noise.len() as u64 + text.len() as u64 / 10,
        "text compressed, noise as it is: {} bytes stored",
        ingested.stored_bytes
    );
    let text_sha = sha256_file(&src.path().join("main.rs")).unwrap();
    let noise_sha = sha256_file(&src.path().join("logo.png")).unwrap();
    assert!(blobs.compressed(&text_sha).exists() && !blobs.blob(&text_sha).exists());
    assert!(blobs.blob(&noise_sha).exists() && !blobs.compressed(&noise_sha).exists());
    let out = state.path().join("out");
    blobs.materialize(&listing(state.path(), 1), &out).unwrap();
    assert_eq!(fs::read_to_string(out.join("main.rs")).unwrap(), text);
    assert_eq!(fs::read(out.join("logo.png")).unwrap(), noise);
    assert_eq!(baton_core::digest::summarize(&out).unwrap(), ingested.summary);
}

#[test]
fn a_file_changed_in_place_is_hashed_again() {
    let (state, blobs) = store();
    let src = tempfile::tempdir().unwrap();
    let f = src.path().join("f");
    fs::write(&f, "one").unwrap();
    // Old enough for the stat cache to remember it.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    fs::File::options().write(true).open(&f).unwrap().set_modified(old).unwrap();
    let first = blobs.ingest(src.path(), &listing(state.path(), 1)).unwrap();
    fs::write(&f, "two").unwrap();
    fs::File::options().write(true).open(&f).unwrap().set_modified(old).unwrap();
    let second = blobs.ingest(src.path(), &listing(state.path(), 2)).unwrap();
    assert_ne!(
        first.summary.digest, second.summary.digest,
        "same size and mtime, new ctime: rehashed"
    );
    let out = state.path().join("out");
    blobs.materialize(&listing(state.path(), 2), &out).unwrap();
    assert_eq!(fs::read_to_string(out.join("f")).unwrap(), "two");
}
