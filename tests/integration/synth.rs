//! The committed state machine is what `baton synth` produces for the example.

use crate::util::{Project, repo_root};

#[test]
fn committed_state_machine_is_current() {
    let pipeline = baton_core::load_pipeline(&repo_root().join("examples/hello-app/pipeline.yml")).expect("example is valid");
    let fresh = baton_core::synth::to_json(&pipeline);
    let committed = std::fs::read_to_string(repo_root().join("infra/statemachine/pipeline.asl.json")).expect("committed ASL");
    assert!(
        fresh == committed,
        "infra/statemachine/pipeline.asl.json is stale; regenerate it with\n  cargo run -- synth --sam infra examples/hello-app"
    );
}

#[test]
fn synthesized_definition_runs_in_the_interpreter_shape_checks() {
    let pipeline = baton_core::load_pipeline(&repo_root().join("examples/hello-app/pipeline.yml")).expect("example is valid");
    let machine = baton_local::runtime::local_definition(&pipeline).expect("parses as ASL");
    for name in [
        "Source",
        "Build (run order 1)",
        "Staging:Deploy",
        "Staging:Bake",
        "Rollback",
        "Failed",
        "Succeeded",
    ] {
        assert!(machine.states.contains_key(name), "missing state {name}");
    }
}

#[test]
fn a_superseded_approval_ends_the_execution_superseded_without_rollback() {
    let synth = |mode: &str| {
        let project = Project::example("hello-app");
        project.edit("pipeline.yml", "name: hello\n", &format!("name: hello\nexecution_mode: {mode}\n"));
        project.edit(
            "pipeline.yml",
            "        run_order: 2\n",
            "        run_order: 2\n\n  - name: Release\n    actions:\n      - { name: Approve, type: approval }\n",
        );
        let pipeline = baton_core::load_pipeline(&project.pipeline()).expect("valid");
        let machine: serde_json::Value = serde_json::from_str(&baton_core::synth::to_json(&pipeline)).expect("json");
        machine["States"]["Release:Approve"].clone()
    };
    let approve = synth("SUPERSEDED");
    assert_eq!(approve["Catch"][0]["ErrorEquals"][0], "Baton.Superseded");
    assert_eq!(approve["Catch"][0]["Next"], "Superseded", "no rollback for a superseded approval");
    assert_eq!(approve["Catch"][1]["Next"], "Rollback", "after a deploy, other failures roll back");
    let payload = &approve["Parameters"]["Payload"];
    assert_eq!(payload["stage"], "Release");
    assert_eq!(payload["started.$"], "$$.Execution.StartTime");

    let queued = synth("QUEUED");
    assert_eq!(queued["Catch"].as_array().map(Vec::len), Some(1), "{queued}");
    assert!(queued["Parameters"]["Payload"].get("stage").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_revision_itself_can_be_deployed() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: site\nstages:\n  - name: Ship\n    actions:\n      - { name: Deploy, type: deploy, input: source, group: web }\ndeployment_groups:\n  web:\n    instances: 1\n    config: AllAtOnce\n",
        ),
        (
            "appspec.yml",
            "version: 0.0\nos: linux\nfiles:\n  - source: index.html\n    destination: /site\n",
        ),
        ("index.html", "<h1>hello</h1>\n"),
    ]);
    let pipeline = baton_core::load_pipeline(&project.pipeline()).expect("valid");
    let machine: serde_json::Value = serde_json::from_str(&baton_core::synth::to_json(&pipeline)).expect("json");
    assert_eq!(
        machine["States"]["Ship:Deploy"]["Parameters"]["Payload"]["artifact.$"],
        "$.source.artifact"
    );
    let (rt, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    let deployments = baton_local::query::deployments(&project.db(), &record.id).expect("deployments");
    assert_eq!(deployments.len(), 1, "{deployments:?}");
    rt.teardown().await.expect("teardown");
}
