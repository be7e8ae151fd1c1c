//! infra/template.yaml against what it deploys: it is what `baton synth --sam` writes for the
//! example, every function the state machine names is substituted and built from a workspace
//! binary, and every workspace function is deployed. (cfn-lint and `sam validate --lint` check the rest in
//! scripts/test.sh.)

use std::collections::BTreeSet;

use crate::util::repo_root;

fn template() -> String {
    std::fs::read_to_string(repo_root().join("infra/template.yaml")).expect("infra/template.yaml")
}

/// infra/ is `baton synth --sam infra examples/hello-app`, byte for byte: nothing in it is kept
/// in step by hand.
#[test]
fn infra_is_what_synth_sam_writes_for_the_example() {
    let file = repo_root().join("examples/hello-app/pipeline.yml");
    let text = std::fs::read_to_string(&file).expect("pipeline.yml");
    let pipeline = baton_core::parse_pipeline(&file, &text).expect("the example is valid");
    let options = baton_core::sam::Options {
        functions_dir: "../functions".into(),
    };
    let app = baton_core::sam::application(&pipeline, &file, &text, &options).expect("the example deploys");
    let stale = "is stale; regenerate it with\n  cargo run -- synth --sam infra examples/hello-app";
    // (the state machine beside it: synth.rs)
    assert!(template() == app.template, "infra/template.yaml {stale}");
}

#[test]
fn every_function_the_state_machine_names_is_deployed_from_a_workspace_binary() {
    let template = template();
    let asl = std::fs::read_to_string(repo_root().join("infra/statemachine/pipeline.asl.json")).expect("ASL");
    let named: BTreeSet<&str> = asl
        .match_indices("${")
        .filter_map(|(i, _)| asl[i + 2..].split_once('}').map(|(name, _)| name))
        .collect();
    for placeholder in &named {
        let function = placeholder.strip_suffix("Arn").expect("placeholders are <Function>Arn");
        assert!(
            template.contains(&format!("{placeholder}: !GetAtt {function}.Arn")),
            "DefinitionSubstitutions lacks {placeholder}"
        );
        assert!(template.contains(&format!("\n  {function}:\n")), "no {function} resource");
    }
    let workspace = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml");
    let binaries: BTreeSet<String> = template
        .match_indices("Binary: ")
        .map(|(i, _)| template[i + 8..].split([' ', '}', '\n']).next().unwrap_or_default().to_string())
        .collect();
    let members: BTreeSet<String> = workspace
        .match_indices("\"functions/")
        .map(|(i, _)| format!("baton-{}", workspace[i + 11..].split('"').next().unwrap_or_default()))
        .collect();
    assert_eq!(binaries, members, "template functions and workspace functions differ");
}

#[test]
fn baton_cost_prices_each_function_at_its_memory_in_the_template() {
    let template = template();
    let global: u32 = template
        .split("Globals:")
        .nth(1)
        .and_then(|g| g.split("MemorySize: ").nth(1))
        .and_then(|m| m.lines().next()?.trim().parse().ok())
        .expect("Globals MemorySize");
    for (function, memory) in baton_core::cost::FUNCTION_MEMORY_MB {
        let resource = format!("\n  {}{}Function:\n", function[..1].to_uppercase(), &function[1..]);
        let start = template.find(&resource).unwrap_or_else(|| panic!("no{resource}"));
        // The resource's lines: up to the next one indented by exactly two spaces, or less.
        let body: Vec<&str> = template[start + resource.len()..]
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with("   "))
            .collect();
        let declared = body
            .iter()
            .find_map(|l| l.strip_prefix("      MemorySize: "))
            .map_or(global, |m| m.trim().parse().expect("a number"));
        assert_eq!(declared, memory, "{function}: template {declared} MB, baton cost {memory} MB");
    }
}
