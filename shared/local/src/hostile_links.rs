//! Hostile trees: links that lead out of the tree they sit in. Each entry point that stores,
//! gets, unpacks or deploys a tree is given every shape — chains of 1 to 40 links each lexically
//! inside the tree (`d/l1 -> ..`, `lK -> l(K-1)/..`) whose last climbs out, a link to `/`, a
//! link to a sibling of the tree, and a link replaced after it was checked — and must refuse
//! it without reading or writing anything outside.
#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use baton_core::ports::{Provenance, StagedArtifact};

use crate::artifacts::FsArtifactStore;
use crate::artifacts::blobs::{Entry, LISTING};
use crate::db::Db;

/// One hostile shape, as the links to make: `(path, target)` under the tree's root, in order,
/// and the link through which the tree is left.
struct Shape {
    name: String,
    links: Vec<(String, String)>,
    exit: String,
}

/// `d1/…/d{n-1}/l1 -> ..` and `lK -> l(K-1)/..`: every link stays inside the tree read as text,
/// and `l{k}` resolves `k` levels above the links' directory, so `l{n}` resolves above the root.
fn chain(n: usize) -> Shape {
    let dir: String = (1..n).map(|d| format!("d{d}/")).collect();
    let links = (1..=n)
        .map(|k| {
            let target = if k == 1 { "..".to_string() } else { format!("l{}/..", k - 1) };
            (format!("{dir}l{k}"), target)
        })
        .collect();
    Shape {
        name: format!("a chain of {n}"),
        links,
        exit: format!("{dir}l{n}"),
    }
}

fn shapes() -> Vec<Shape> {
    let mut all: Vec<Shape> = (1..=40).map(chain).collect();
    all.push(Shape {
        name: "a link to /".into(),
        links: vec![("up".into(), "/".into())],
        exit: "up".into(),
    });
    all.push(Shape {
        name: "a link to a sibling".into(),
        links: vec![("side".into(), "../sibling".into())],
        exit: "side".into(),
    });
    all
}

/// A tree with one ordinary file and the shape's links, beside a sibling directory holding a
/// file that must never be read or overwritten.
fn hostile_tree(parent: &Path, shape: &Shape) -> PathBuf {
    let root = parent.join("tree");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("ok.txt"), "fine").unwrap();
    fs::create_dir_all(parent.join("sibling")).unwrap();
    fs::write(parent.join("sibling/secret"), "outside").unwrap();
    for (path, target) in &shape.links {
        let at = root.join(path);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(target, at).unwrap();
    }
    root
}

fn refused(err: &str, shape: &Shape) {
    assert!(
        err.contains("leads outside") || err.contains("more than 40 symbolic links") || err.contains("outside the bundle"),
        "{}: {err}",
        shape.name
    );
}

fn store(state: &Path) -> FsArtifactStore {
    fs::create_dir_all(state).unwrap();
    FsArtifactStore::new(state, Arc::new(Db::open(&state.join("baton.db")).unwrap()))
}

fn provenance() -> Provenance {
    Provenance {
        pipeline: "p".into(),
        execution_id: "e".into(),
        action: "Build".into(),
        ..Provenance::default()
    }
}

#[test]
fn store_refuses_every_shape_and_stores_nothing() {
    for shape in shapes() {
        let t = tempfile::tempdir().unwrap();
        let root = hostile_tree(t.path(), &shape);
        let store = store(&t.path().join("state"));
        let staged = StagedArtifact {
            name: "app".into(),
            location: root.to_string_lossy().into_owned(),
        };
        let err = store.put_dir(&staged, provenance()).unwrap_err().to_string();
        refused(&err, &shape);
        assert!(store.list("p", None).unwrap().is_empty(), "{}: a version was stored", shape.name);
    }
}

#[test]
fn get_refuses_a_listing_of_every_shape_and_leaves_no_output() {
    for shape in shapes() {
        let t = tempfile::tempdir().unwrap();
        let state = t.path().join("state");
        let store = store(&state);
        let src = t.path().join("src");
        fs::create_dir_all(&src).unwrap();
        fs::write(src.join("ok.txt"), "fine").unwrap();
        let staged = StagedArtifact {
            name: "app".into(),
            location: src.to_string_lossy().into_owned(),
        };
        let manifest = store.put_dir(&staged, provenance()).unwrap();
        // The listing is data on disk: rewrite it as an attacker with write access would.
        let listing = store.version_dir("p", "app", 1).join(LISTING);
        let mut file = fs::OpenOptions::new().append(true).open(&listing).unwrap();
        for (path, target) in &shape.links {
            let mut dir = Path::new(path).parent();
            while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                let line = Entry::Dir {
                    path: d.to_string_lossy().into_owned(),
                };
                writeln!(file, "{}", serde_json::to_string(&line).unwrap()).unwrap();
                dir = d.parent();
            }
            let line = Entry::Link {
                path: path.clone(),
                target: target.clone(),
            };
            writeln!(file, "{}", serde_json::to_string(&line).unwrap()).unwrap();
        }
        drop(file);

        let out = t.path().join("out");
        let err = store.fetch("p", &manifest.artifact, &out).unwrap_err().to_string();
        refused(&err, &shape);
        assert!(!out.exists(), "{}: a refused get left {}", shape.name, out.display());
        assert!(!t.path().join("escaped").exists() && !Path::new("/escaped").exists());
    }
}

#[test]
fn unpack_refuses_a_bundle_of_every_shape() {
    for shape in shapes() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("sibling")).unwrap();
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for (path, target) in &shape.links {
            zip.add_symlink(path.as_str(), target.as_str(), opts).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let dest = t.path().join("out");
        let result = baton_core::bundle::unpack(std::io::Cursor::new(bytes), &dest, Default::default());
        refused(&result.unwrap_err().to_string(), &shape);
        assert!(!t.path().join("escaped").exists() && !t.path().join("sibling/escaped").exists());
        assert!(!Path::new("/escaped").exists());
    }
}

#[test]
fn deploy_refuses_appspec_files_and_hooks_through_every_shape() {
    for shape in shapes() {
        let t = tempfile::tempdir().unwrap();
        let archive = hostile_tree(t.path(), &shape);
        let outside_script = t.path().join("sibling/run.sh");
        fs::write(&outside_script, "#!/bin/sh\n").unwrap();
        let before = fs::metadata(&outside_script).unwrap().permissions();
        let through = format!("{}/sibling/run.sh", shape.exit);

        let err = crate::deploy::install::hook_script(&archive, &through).unwrap_err().to_string();
        refused(&err, &shape);
        assert_eq!(
            fs::metadata(&outside_script).unwrap().permissions(),
            before,
            "{}: chmod outside",
            shape.name
        );

        let appspec = format!(
            "version: 0.0\nos: linux\nfiles:\n  - source: {}/sibling/secret\n    destination: /opt/app\n",
            shape.exit
        );
        fs::write(archive.join("appspec.yml"), appspec).unwrap();
        let spec = crate::deploy::install::load_appspec(&archive, "appspec.yml").unwrap();
        let instance = crate::deploy::Instance {
            index: 0,
            port: 0,
            dir: t.path().join("instance"),
            artifact: None,
            archive: None,
            process_group: None,
            in_service: true,
        };
        let err = crate::deploy::install::install(&spec, &archive, &instance).unwrap_err().to_string();
        refused(&err, &shape);
        assert!(
            !instance.root().join("opt/app/secret").exists(),
            "{}: copied from outside",
            shape.name
        );
    }
}

/// A link that resolved inside when the revision was unpacked, replaced by one that leads out
/// before the deployment uses it: resolved again where it is used, and refused.
#[test]
fn a_link_replaced_after_it_was_checked_is_refused_where_it_is_used() {
    let t = tempfile::tempdir().unwrap();
    let archive = t.path().join("archive");
    fs::create_dir_all(archive.join("hooks")).unwrap();
    fs::write(archive.join("hooks/start.sh"), "#!/bin/sh\n").unwrap();
    symlink("hooks", archive.join("scripts")).unwrap();
    assert!(crate::deploy::install::hook_script(&archive, "scripts/start.sh").is_ok());

    fs::create_dir_all(t.path().join("elsewhere")).unwrap();
    fs::write(t.path().join("elsewhere/start.sh"), "#!/bin/sh\n").unwrap();
    fs::remove_file(archive.join("scripts")).unwrap();
    symlink("../elsewhere", archive.join("scripts")).unwrap();
    let err = crate::deploy::install::hook_script(&archive, "scripts/start.sh")
        .unwrap_err()
        .to_string();
    assert!(err.contains("through the symlink `scripts` -> `../elsewhere`"), "{err}");
}

/// Links that stay inside, chains included, are kept: refusing them would break real trees.
#[test]
fn links_that_stay_inside_are_stored_and_got_back() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fs::create_dir_all(src.join("a/b")).unwrap();
    fs::write(src.join("a/file"), "x").unwrap();
    symlink("..", src.join("a/b/up")).unwrap();
    symlink("up/file", src.join("a/b/via")).unwrap();
    let store = store(&t.path().join("state"));
    let staged = StagedArtifact {
        name: "app".into(),
        location: src.to_string_lossy().into_owned(),
    };
    let manifest = store.put_dir(&staged, provenance()).unwrap();
    let out = t.path().join("out");
    store.fetch("p", &manifest.artifact, &out).unwrap();
    assert_eq!(fs::read_to_string(out.join("a/b/via")).unwrap(), "x");
}
