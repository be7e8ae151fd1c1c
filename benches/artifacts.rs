//! Artifact store throughput on a generated 1 GiB tree (16,384 small files of text-like content
//! and four 128 MiB incompressible ones), measured in the same run against `zip -r` and
//! `tar | zstd` on the same tree, then the time to store the tree again after changing 1 % of
//! its files (the stat cache and content dedupe at work). It syncs before each store, so that a
//! store is not charged for flushing the baselines' output.
//!
//! `cargo bench --bench artifacts` (BATON_BENCH_MIB sets the tree size, default 1024).
//! Targets: at least 2× faster than `zip -r` at no larger output; the 1 % re-store in at most
//! 5 % of the first.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_core::ports::{Provenance, StagedArtifact};
use baton_local::artifacts::FsArtifactStore;
use baton_local::db::Db;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    /// Words from a small vocabulary: compresses about as well as source code and logs.
    fn text(&mut self, len: usize) -> Vec<u8> {
        const WORDS: [&str; 16] = [
            "fn ",
            "let ",
            "self",
            ".unwrap()",
            "match ",
            "=> ",
            "{\n",
            "}\n",
            "pub ",
            "struct ",
            "Result<",
            ">",
            "(",
            ")",
            "; ",
            "// ",
        ];
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            out.extend_from_slice(WORDS[(self.next() % 16) as usize].as_bytes());
        }
        out.truncate(len);
        out
    }
}

const SMALL_FILES: usize = 16_384;

fn generate(root: &Path, mib: usize, rng: &mut Rng) {
    let small_total = mib << 19; // half the tree
    let per_file = small_total / SMALL_FILES;
    for i in 0..SMALL_FILES {
        let dir = root.join(format!("src/m{:03}", i % 256));
        std::fs::create_dir_all(&dir).unwrap();
        let len = per_file / 2 + (rng.next() as usize % per_file);
        std::fs::write(dir.join(format!("f{i}.rs")), rng.text(len)).unwrap();
    }
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let large = (mib << 19) / 4;
    let mut buf = vec![0u8; large];
    for i in 0..4 {
        rng.fill(&mut buf);
        std::fs::write(root.join(format!("bin/blob{i}.bin")), &buf).unwrap();
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let out = Command::new("du").args(["-sb"]).arg(dir).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0)
}

fn timed(what: impl FnOnce()) -> Duration {
    let t = Instant::now();
    what();
    t.elapsed()
}

fn sh(script: &str, dir: &Path) {
    let ok = Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "{script}");
}

fn main() {
    let mib: usize = std::env::var("BATON_BENCH_MIB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let work = tempfile::tempdir_in(std::env::temp_dir()).unwrap();
    let tree = work.path().join("tree");
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    println!("generating a {mib} MiB tree in {} …", tree.display());
    generate(&tree, mib, &mut rng);
    sh("sync", work.path());

    let state = work.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let store = FsArtifactStore::new(&state, Arc::new(Db::open(&state.join("baton.db")).unwrap()));
    let staged = StagedArtifact {
        name: "app".into(),
        location: tree.to_string_lossy().into_owned(),
    };
    let provenance = || Provenance {
        pipeline: "bench".into(),
        ..Provenance::default()
    };
    let baton = timed(|| {
        store.put_dir(&staged, provenance()).unwrap();
    });
    let baton_size = dir_bytes(&state.join("artifacts/blobs"));
    let zip = timed(|| sh("zip -qr ../out.zip .", &tree));
    let zip_size = std::fs::metadata(work.path().join("out.zip")).unwrap().len();
    let zstd = timed(|| sh("tar -cf - . | zstd -q -T0 -o ../out.tar.zst", &tree));
    let zstd_size = std::fs::metadata(work.path().join("out.tar.zst")).unwrap().len();

    // Change 1 % of the files, then store again.
    let changed = (SMALL_FILES + 4) / 100;
    for i in 0..changed {
        let f = tree.join(format!("src/m{:03}/f{}.rs", (i * 97) % 256, (i * 97) % SMALL_FILES));
        let _ = std::fs::remove_file(&f);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, rng.text(4096)).unwrap();
    }
    // The baselines just wrote 1.2 GiB; flush it now, as before the first store, so the store's
    // one syncfs is not charged for their data.
    sh("sync", work.path());
    let restore = timed(|| {
        store.put_dir(&staged, provenance()).unwrap();
    });
    let growth = dir_bytes(&state.join("artifacts/blobs")) - baton_size;

    let s = |d: Duration| d.as_secs_f64();
    let mb = |b: u64| b as f64 / f64::from(1 << 20);
    println!("store a {mib} MiB tree ({} files)", SMALL_FILES + 4);
    println!(
        "  baton store (hash, dedupe, listing, flush):      {:7.2} s   {:8.1} MiB stored",
        s(baton),
        mb(baton_size)
    );
    println!(
        "  zip -r (baseline):                              {:7.2} s   {:8.1} MiB   → baton is {:.1}× faster, {:+.1} % in size (target ≥ 2×, no larger)",
        s(zip),
        mb(zip_size),
        s(zip) / s(baton),
        100.0 * (mb(baton_size) / mb(zip_size) - 1.0)
    );
    println!(
        "  tar | zstd -T0 (baseline):                      {:7.2} s   {:8.1} MiB",
        s(zstd),
        mb(zstd_size)
    );
    println!(
        "  re-store after changing {changed} files (1 %):        {:7.2} s   {:8.1} MiB new   = {:.1} % of the first store (target ≤ 5 %)",
        s(restore),
        mb(growth),
        100.0 * s(restore) / s(baton)
    );
}
