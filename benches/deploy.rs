//! The deployer's own time per instance: a 10-instance group deployed OneAtATime with no-op
//! hooks (ApplicationStop, BeforeInstall, AfterInstall, ApplicationStart, ValidateService, each a
//! script running `true`), through the local deployer (bundle download, install, hook runs,
//! per-instance records, pacing), against running the same hook scripts directly, one bash per
//! hook as the agent does, in the same run.
//!
//! `cargo bench --bench deploy` (BATON_BENCH_RUNS sets the number of runs, default 9).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use baton_core::ports::{DeploymentStatus, Provenance, StagedArtifact};

use common::median;

const INSTANCES: usize = 10;
const HOOKS: [&str; 5] = [
    "ApplicationStop",
    "BeforeInstall",
    "AfterInstall",
    "ApplicationStart",
    "ValidateService",
];

/// A revision whose appspec runs a no-op script at each hook.
fn revision(dir: &Path) {
    let mut appspec = String::from("version: 0.0\nos: linux\nfiles:\n  - source: app.txt\n    destination: /app\nhooks:\n");
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    for hook in HOOKS {
        let script = dir.join("scripts").join(format!("{hook}.sh"));
        std::fs::write(&script, "#!/bin/bash\ntrue\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        appspec.push_str(&format!("  {hook}:\n    - location: scripts/{hook}.sh\n      timeout: 30\n"));
    }
    std::fs::write(dir.join("appspec.yml"), appspec).unwrap();
    std::fs::write(dir.join("app.txt"), "hello\n").unwrap();
}

fn main() {
    let runs: usize = std::env::var("BATON_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(9);
    let pipeline = format!(
        "name: bench\nstages:\n  - name: Ship\n    actions:\n      - {{ name: Deploy, type: deploy, input: source, group: fleet }}\n\
         deployment_groups:\n  fleet:\n    instances: {INSTANCES}\n    config: OneAtATime\n"
    );
    let common::Bench { dir, rt, runtime } = common::project(&[("pipeline.yml", &pipeline)]);
    let bundle = dir.path().join("bundle");
    revision(&bundle);
    let staged = StagedArtifact {
        name: "app".into(),
        location: bundle.to_string_lossy().into_owned(),
    };
    let provenance = Provenance {
        pipeline: "bench".into(),
        ..Provenance::default()
    };
    let artifact = runtime.store().put_dir(&staged, provenance).unwrap().artifact;
    let deploy = || {
        let done = rt.block_on(runtime.deploy_by_hand("fleet", artifact.clone(), false)).unwrap();
        assert_eq!(done.status, DeploymentStatus::Succeeded, "{}: {:?}", done.id, done.reason);
    };
    // Warm-up, and every later deployment has a previous revision whose ApplicationStop runs.
    deploy();

    let scripts: Vec<_> = HOOKS.iter().map(|h| bundle.join("scripts").join(format!("{h}.sh"))).collect();
    let (mut engine, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        deploy();
        engine.push(t.elapsed());

        let t = Instant::now();
        for _ in 0..INSTANCES {
            for script in &scripts {
                assert!(std::process::Command::new("bash").arg(script).status().unwrap().success());
            }
        }
        direct.push(t.elapsed());
    }
    rt.block_on(runtime.teardown()).unwrap();
    let (e, d) = (median(engine), median(direct));
    let per_instance = e.saturating_sub(d) / INSTANCES as u32;
    println!(
        "deploy: {INSTANCES} instances, OneAtATime, {} no-op hooks each, median of {runs} runs",
        HOOKS.len()
    );
    println!("  baton deployment  : {:>8.1} ms", e.as_secs_f64() * 1e3);
    println!("  hooks run directly: {:>8.1} ms   (baseline, same run)", d.as_secs_f64() * 1e3);
    println!("  engine/instance   : {:>8.2} ms", per_instance.as_secs_f64() * 1e3);
}
