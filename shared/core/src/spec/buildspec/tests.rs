use super::*;

fn parse(text: &str) -> Result<Buildspec, SpecError> {
    parse_buildspec(Path::new("buildspec.yml"), text)
}

/// Every shape problem in the file, each where it is, not only the first; a key that went
/// with a wrong line is not reported missing as well.
#[test]
fn every_problem_in_a_file_is_reported() {
    let err = parse(
        "version: 0.3\nenv:\n  variabls:\n    A: 1\nphases:\n  biuld:\n    commands:\n      - make\n  post_build:\n    commands: make\n    on-failure: MAYBE\nartifacts:\n  files: x\n  discardpaths: yes\n",
    )
    .unwrap_err();
    let said: Vec<String> = err
        .diagnostics
        .iter()
        .map(|d| format!("{}:{} {}", d.pos.line, d.pos.column, d.message))
        .collect();
    assert_eq!(said.len(), 5, "{said:#?}");
    for (at, what) in [
        ("1:10", "unsupported buildspec version `0.3`"),
        ("3:3", "unknown key `variabls`"),
        ("6:3", "unknown key `biuld`"),
        ("11:17", "`MAYBE` is not allowed here"),
        ("14:3", "unknown key `discardpaths`"),
    ] {
        assert!(said.iter().any(|s| s.starts_with(at) && s.contains(what)), "{at} {what}: {said:#?}");
    }
}

#[test]
fn env_values_keep_the_text_they_are_written_with() {
    let spec = parse(
        "version: 0.2\nenv:\n  variables:\n    A: 3.10\n    B: 010\n    C: yes\n    D: 1e3\n    E: true\n    F: 0x1F\n    G: 571480186401\nphases:\n  build:\n    commands:\n      - echo\n",
    )
    .unwrap();
    let values: Vec<&str> = spec.env.variables.values().map(|v| v.0.as_str()).collect();
    assert_eq!(values, ["3.10", "010", "yes", "1e3", "true", "0x1F", "571480186401"]);
}

/// A variable with no value is accepted by CodeBuild and set empty (recorded in the
/// fidelity issue's corpus run: CodeBuild ran such buildspecs; Baton refused them).
#[test]
fn an_env_variable_without_a_value_is_set_empty() {
    let spec =
        parse("version: 0.2\nenv:\n  variables:\n    EMPTY:\n    TILDE: ~\n    SET: x\nphases:\n  build:\n    commands:\n      - echo\n")
            .unwrap();
    let value = |k: &str| spec.env.variables[k].0.clone();
    assert_eq!(
        (value("EMPTY"), value("TILDE"), value("SET")),
        (String::new(), String::new(), "x".into())
    );
}

/// A batch-only buildspec is a batch (the batch build buildspec reference), and its plan
/// is what each kind runs: a list as written, a graph with its dependencies, a matrix with
/// every combination of its dynamic values.
#[test]
fn a_batch_buildspec_plans_its_builds() {
    let spec = parse(
        "version: 0.2\nbatch:\n  fast-fail: true\n  build-graph:\n    - identifier: build\n      buildspec: b.yml\n    - identifier: test_1\n      buildspec: t.yml\n      depend-on: [build]\n      ignore-failure: true\n      env:\n        variables: {SHARD: 1}\n        image: x\n",
    )
    .unwrap();
    let plan = spec.batch.unwrap().value.plan();
    assert_eq!((plan.kind, plan.fast_fail, plan.builds.len()), ("build-graph", true, 2));
    let test = &plan.builds[1];
    assert_eq!(test.depend_on, ["build"]);
    assert!(test.ignore_failure);
    assert_eq!(test.variables["SHARD"], "1");
    assert_eq!(test.environment, ["image"]);

    let spec = parse(
        "version: 0.2\nbatch:\n  build-matrix:\n    static:\n      env: {variables: {FIXED: f}}\n    dynamic:\n      env:\n        image: one\n        variables:\n          A: [p, q]\n          B: [1, 2, 3]\nphases:\n  build:\n    commands: [make]\n",
    )
    .unwrap();
    let plan = spec.batch.unwrap().value.plan();
    assert_eq!(plan.builds.len(), 6);
    let last = &plan.builds[5];
    assert_eq!(
        (last.identifier.as_str(), last.variables["A"].as_str(), last.variables["B"].as_str()),
        ("build6", "q", "3")
    );
    assert_eq!(last.variables["FIXED"], "f");
    assert_eq!(last.environment, ["image=one"]);
}

#[test]
fn what_codebuild_refuses_in_a_batch_is_refused_where_it_is_written() {
    let refused = |yaml: &str, said: &str| {
        let err = parse(yaml).unwrap_err().to_string();
        assert!(err.contains(said), "{yaml}\n→ {err}");
    };
    // Batch-only files: with phases a buildspec runs them and its `batch:` is not read.
    let graph = |body: &str| format!("version: 0.2\nbatch:\n  build-graph:\n{body}");
    refused(
        &graph(
            "    - identifier: a\n      buildspec: a.yml\n      depend-on: [b]\n    - identifier: b\n      buildspec: b.yml\n      depend-on: [a]\n",
        ),
        "go round in a circle through a, b",
    );
    refused(
        &graph("    - identifier: a\n      buildspec: a.yml\n      depend-on: [nope]\n"),
        "depend-on `nope` names no build of the graph; its builds are a",
    );
    refused(
        &graph("    - identifier: a\n      buildspec: a.yml\n    - identifier: a\n      buildspec: b.yml\n"),
        "identifier `a` names two builds",
    );
    refused(
        &graph("    - identifier: a-b\n      buildspec: a.yml\n"),
        "identifier `a-b`: use letters, digits and underscores",
    );
    refused(&graph("    - identifier: a\n      buildspec: ../x.yml\n"), "leaves the source");
    refused(
        "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      buildspec: a.yml\n      depend-on: [b]\n    - identifier: b\n      buildspec: b.yml\n",
        "depend-on orders the builds of a build-graph",
    );
    refused(
        "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n",
        "build `a` runs this buildspec, which has no phases",
    );
    refused(
        "version: 0.2\nbatch:\n  fast-fail: true\n",
        "a batch needs one of build-list, build-graph or build-matrix",
    );
    let wide: String = (0..11).map(|i| format!("{i}, ")).collect();
    refused(
        &format!(
            "version: 0.2\nbatch:\n  build-matrix:\n    dynamic:\n      buildspec: [m.yml]\n      env:\n        variables:\n          A: [{wide}]\n          B: [{wide}]\n"
        ),
        "this matrix makes 121 builds; a batch runs at most 100",
    );
}

#[test]
fn commands_written_as_one_block_are_one_command() {
    let spec = parse("version: 0.2\nphases:\n  build:\n    commands: |\n      echo a\n      echo b\n    finally: echo done\n").unwrap();
    let build = spec.phases.build.unwrap();
    assert_eq!(
        build.commands.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(),
        ["echo a\necho b\n"]
    );
    assert_eq!(build.finally[0].value, "echo done");
    assert_eq!(build.commands[0].referenced.line(), 5, "where its text starts");
    let spec = parse("version: 0.2\nphases:\n  build:\n    commands:\n      - echo a\n").unwrap();
    assert_eq!(spec.phases.build.unwrap().commands[0].referenced.line(), 5);
}
