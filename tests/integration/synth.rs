//! The committed state machine is what `baton synth` produces for the example.

use crate::util::repo_root;

#[test]
fn committed_state_machine_is_current() {
    let pipeline = baton_core::load_pipeline(&repo_root().join("examples/hello-app/pipeline.yml")).expect("example is valid");
    let fresh = baton_core::synth::to_json(&pipeline);
    let committed = std::fs::read_to_string(repo_root().join("infra/statemachine/pipeline.asl.json")).expect("committed ASL");
    assert!(
        fresh == committed,
        "infra/statemachine/pipeline.asl.json is stale; regenerate it with\n  cargo run -- synth examples/hello-app -o infra/statemachine/pipeline.asl.json"
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
