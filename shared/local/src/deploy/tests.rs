use std::sync::{Arc, Barrier};

use super::LocalDeployer;
use crate::artifacts::FsArtifactStore;
use crate::cloudwatch::{LocalAlarms, SqliteMetrics};
use crate::coordination::bus::EventBus;
use crate::db::Db;

const PIPELINE: &str = "name: p
stages:
  - { name: Build, actions: [{ name: Make, type: build, outputs: [app] }] }
  - { name: Ship, actions: [{ name: Deploy, type: deploy, input: app, group: g }] }
deployment_groups:
  g: { instances: 3 }
";

/// A deployer over the state directory `dir` with its own connection, as another `baton`
/// process on the same directory has.
fn deployer(dir: &std::path::Path) -> LocalDeployer {
    let pipeline = Arc::new(baton_core::parse_pipeline(std::path::Path::new("pipeline.yml"), PIPELINE).unwrap());
    let db = Arc::new(Db::open(&dir.join("state.db")).unwrap());
    let alarms = Arc::new(LocalAlarms::new(pipeline.clone(), db.clone(), SqliteMetrics::new(db.clone())));
    let store = Arc::new(FsArtifactStore::new(dir, db.clone()));
    let (bus, _events) = EventBus::new();
    LocalDeployer::new(pipeline, dir, db, store, bus, alarms)
}

/// Two processes that first meet a group at the same moment (one deploying, the other's health
/// probe) both provision its instances: neither fails, and both see the same ports. Before the
/// second insert yielded to the first, 30 to 40 of these 40 rounds failed one of the two with
/// "UNIQUE constraint failed" (five runs).
#[test]
fn two_processes_provisioning_a_group_at_once_agree() {
    for _ in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let deployers = [deployer(dir.path()), deployer(dir.path())];
        let start = Arc::new(Barrier::new(2));
        let seen: Vec<Vec<u16>> = std::thread::scope(|s| {
            let handles: Vec<_> = deployers
                .iter()
                .map(|d| {
                    let start = start.clone();
                    s.spawn(move || {
                        start.wait();
                        d.instances("g").map(|all| all.iter().map(|i| i.port).collect::<Vec<_>>())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
        });
        assert_eq!(seen[0].len(), 3);
        assert_eq!(seen[0], seen[1]);
    }
}
