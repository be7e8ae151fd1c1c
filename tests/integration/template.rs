//! infra/template.yaml against what it deploys: the pipeline it carries is the example's, every
//! function the state machine names is substituted and built from a workspace binary, and every
//! workspace function is deployed. (cfn-lint and `sam validate --lint` check the rest in
//! scripts/test.sh.)

use std::collections::BTreeSet;

use crate::util::repo_root;

fn template() -> String {
    std::fs::read_to_string(repo_root().join("infra/template.yaml")).expect("infra/template.yaml")
}

#[test]
fn the_template_carries_the_example_pipeline_unchanged() {
    let template = template();
    let start = template.find("  PipelineDefinition:").expect("a PipelineDefinition parameter");
    let body = &template[start..];
    let block = &body[body.find("    Default: |\n").expect("a block default") + "    Default: |\n".len()..];
    let mut text = String::new();
    for line in block.lines() {
        if !line.is_empty() && !line.starts_with("      ") {
            break;
        }
        text.push_str(line.strip_prefix("      ").unwrap_or(line));
        text.push('\n');
    }
    let example = std::fs::read_to_string(repo_root().join("examples/hello-app/pipeline.yml")).expect("pipeline.yml");
    assert_eq!(
        text.trim_end(),
        example.trim_end(),
        "infra/template.yaml's PipelineDefinition default differs from examples/hello-app/pipeline.yml"
    );
    // And CloudFormation takes parameter values of at most 4 KiB.
    assert!(text.len() <= 4096, "the pipeline is {} bytes", text.len());
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
