//! `baton cost`: the example's execution priced as AWS would bill it, beside CodePipeline V2.

use std::process::Command;

use serde_json::Value;

use crate::util::Project;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_costs_less_than_a_tenth_of_a_cent_to_orchestrate() {
    let project = Project::example("hello-app");
    let (_rt, record) = project.run().await;
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["cost", &record.id, "--json", "--pipeline"])
        .arg(project.path())
        .env("NO_COLOR", "1")
        .env_remove("BATON_STATE_DIR")
        .output()
        .expect("baton runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("cost JSON");

    let functions: Vec<&str> = doc["usage"]["invocations"]
        .as_array()
        .expect("invocations")
        .iter()
        .map(|i| i["function"].as_str().expect("function"))
        .collect();
    let count = |f: &str| functions.iter().filter(|&&x| x == f).count();
    // Three stage gates and the end that leaves them; one source; two builds, one deploy and one
    // bake, each answered once by the events function; no trigger for a manual run.
    assert_eq!(
        (
            count("gate"),
            count("source"),
            count("build"),
            count("deploy"),
            count("bake"),
            count("events"),
            count("trigger")
        ),
        (4, 1, 2, 1, 1, 4, 0),
        "{functions:?}"
    );
    assert!(doc["usage"]["transitions"].as_u64().expect("transitions") >= 8);

    let baton = doc["report"]["baton_usd"].as_f64().expect("baton total");
    assert!(baton > 0.0 && baton <= 0.001, "orchestration costs ${baton}");
    // Five charged actions, each under a minute: five action minutes.
    let minutes: Vec<f64> = doc["report"]["codepipeline"]
        .as_array()
        .expect("codepipeline")
        .iter()
        .map(|l| l["quantity"].as_f64().expect("minutes"))
        .collect();
    assert_eq!(minutes, [1.0; 5]);
    let codepipeline = doc["report"]["codepipeline_usd"].as_f64().expect("codepipeline total");
    assert!((codepipeline - 0.01).abs() < 1e-9, "{codepipeline}");
}
