//! The trigger function's handler with the real SDK: Step Functions on a moto server
//! (`StartExecution`, `ListExecutions`, `DescribeExecution`), CodeCommit's `GetDifferences` on
//! aws-smithy-mocks (moto does not implement it).

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_codecommit::operation::get_differences::GetDifferencesOutput;
use aws_sdk_codecommit::types::{BlobMetadata, Difference};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use baton_aws::codecommit::CodeCommitChanges;
use baton_aws::entrypoints::trigger::{TriggerFunction, TriggerRequest};
use baton_aws::sfn::StepFunctions;
use baton_core::stages::trigger::TriggerOutcome;
use baton_core::trigger::{GlobFilter, PushFilter, PushTriggers};
use common::Moto;
use serde_json::{Value, json};

/// The reference events of the CodeCommit user guide ("Monitoring CodeCommit events in Amazon
/// EventBridge"), as printed there.
fn sample(event: &str) -> Value {
    let mut e = json!({
        "version": "0",
        "id": "01234567-EXAMPLE",
        "detail-type": "CodeCommit Repository State Change",
        "source": "aws.codecommit",
        "account": "123456789012",
        "time": "2019-06-12T10:23:43Z",
        "region": "us-east-2",
        "resources": ["arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo"],
        "detail": {
            "event": event,
            "repositoryName": "MyDemoRepo",
            "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
            "referenceType": "branch",
            "referenceName": "myBranch",
            "referenceFullName": "refs/heads/myBranch",
        }
    });
    let d = &mut e["detail"];
    match event {
        "referenceCreated" => d["commitId"] = json!("3e5983DESTINATION"),
        "referenceUpdated" => {
            d["commitId"] = json!("7f0103fMERGE");
            d["oldCommitId"] = json!("3e5983DESTINATION");
            d["baseCommitId"] = json!("3e5a9bf1BASE");
            d["sourceCommitId"] = json!("26a8f2SOURCE");
            d["destinationCommitId"] = json!("3e5983DESTINATION");
            d["mergeOption"] = json!("THREE_WAY_MERGE");
            d["conflictDetailsLevel"] = json!("LINE_LEVEL");
            d["conflictResolutionStrategy"] = json!("AUTOMERGE");
        }
        "referenceDeleted" => d["oldCommitId"] = json!("26a8f2EXAMPLE"),
        "unreferencedMergeCommitCreated" => {
            let detail = d.as_object_mut().unwrap();
            for k in ["referenceType", "referenceName", "referenceFullName"] {
                detail.remove(k);
            }
            detail.insert("commitId".into(), json!("7f0103fMERGE"));
            detail.insert("mergeOption".into(), json!("SQUASH_MERGE"));
        }
        _ => unreachable!(),
    }
    e
}

/// The event as the function receives it, through the same request type `main` decodes.
fn event(mut value: Value, id: &str) -> TriggerRequest {
    // Every sample in the guides carries the same placeholder id; real deliveries differ.
    value["id"] = json!(id);
    serde_json::from_value(value).unwrap()
}

fn globs(include: &[&str]) -> Option<GlobFilter> {
    Some(GlobFilter::new(include.iter().map(|s| s.to_string()).collect(), Vec::new()).unwrap())
}

async fn executions(sfn: &aws_sdk_sfn::Client, arn: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pages = sfn.list_executions().state_machine_arn(arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        for e in page.unwrap().executions() {
            let described = sfn.describe_execution().execution_arn(e.execution_arn()).send().await.unwrap();
            out.push((e.name().to_string(), described.input().unwrap_or_default().to_string()));
        }
    }
    out.sort();
    out
}

fn blob(path: &str) -> Difference {
    Difference::builder()
        .after_blob(BlobMetadata::builder().path(path).blob_id("b").mode("100644").build())
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_reference_events_parse_and_are_acted_on() {
    let moto = Moto::start();
    let (sfn, arn) = moto.state_machine().await;
    // A new branch: every file of its tree (no before-commit).
    let created = mock!(aws_sdk_codecommit::Client::get_differences)
        .match_requests(|r| r.before_commit_specifier().is_none() && r.after_commit_specifier() == Some("3e5983DESTINATION"))
        .then_output(|| GetDifferencesOutput::builder().differences(blob("src/app.py")).build());
    // An update whose only matching file is on the second page.
    let first_page = mock!(aws_sdk_codecommit::Client::get_differences)
        .match_requests(|r| r.before_commit_specifier() == Some("3e5983DESTINATION") && r.next_token().is_none())
        .then_output(|| {
            GetDifferencesOutput::builder()
                .differences(blob("docs/guide.md"))
                .next_token("page-2")
                .build()
        });
    let second_page = mock!(aws_sdk_codecommit::Client::get_differences)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| GetDifferencesOutput::builder().differences(blob("src/lib.py")).build());
    let codecommit = mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, [&created, &first_page, &second_page]);
    let function = TriggerFunction {
        repository: "MyDemoRepo".into(),
        triggers: PushTriggers(vec![PushFilter {
            branches: globs(&["myBranch"]),
            paths: globs(&["src/**"]),
            ..PushFilter::default()
        }]),
        schedules: Vec::new(),
        default_branch: "main".into(),
        files: CodeCommitChanges::new(codecommit, "MyDemoRepo"),
        starter: StepFunctions::new(sfn.clone(), &arn),
    };

    let outcome = function.handle(event(sample("referenceCreated"), "created-1")).await.unwrap();
    assert!(
        matches!(&outcome, TriggerOutcome::Started { commit, duplicate: false, .. } if commit == "3e5983DESTINATION"),
        "{outcome:?}"
    );
    let outcome = function.handle(event(sample("referenceUpdated"), "updated-1")).await.unwrap();
    assert!(
        matches!(&outcome, TriggerOutcome::Started { commit, why, .. } if commit == "7f0103fMERGE" && why.contains("src/lib.py")),
        "{outcome:?}"
    );
    assert_eq!(second_page.num_calls(), 1, "GetDifferences is read to its last page");
    let outcome = function.handle(event(sample("referenceDeleted"), "deleted-1")).await.unwrap();
    assert!(
        matches!(&outcome, TriggerOutcome::Skipped { why } if why.contains("deleted")),
        "{outcome:?}"
    );
    let outcome = function
        .handle(event(sample("unreferencedMergeCommitCreated"), "merge-1"))
        .await
        .unwrap();
    assert!(
        matches!(&outcome, TriggerOutcome::Skipped { why } if why.contains("moves no branch")),
        "{outcome:?}"
    );
    let mut elsewhere = sample("referenceUpdated");
    elsewhere["detail"]["repositoryName"] = json!("OtherRepo");
    let outcome = function.handle(event(elsewhere, "other-1")).await.unwrap();
    assert!(
        matches!(&outcome, TriggerOutcome::Skipped { why } if why.contains("OtherRepo")),
        "{outcome:?}"
    );

    let started = executions(&sfn, &arn).await;
    let names: Vec<&str> = started.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["created-1", "updated-1"]);
    let input: Value = serde_json::from_str(&started[1].1).unwrap();
    assert_eq!(input["revision"], "7f0103fMERGE");
    assert_eq!(input["trigger"]["ref"], "refs/heads/myBranch");
    assert_eq!(input["trigger"]["old"], "3e5983DESTINATION");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_pushes_at_once_start_fifty_executions_and_redeliveries_none_more() {
    let moto = Moto::start();
    let (sfn, arn) = moto.state_machine().await;
    // No path filter: deciding needs no GetDifferences, and none may be made.
    let codecommit = mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, []);
    let function = Arc::new(TriggerFunction {
        repository: "MyDemoRepo".into(),
        triggers: PushTriggers(vec![PushFilter {
            branches: globs(&["myBranch"]),
            ..PushFilter::default()
        }]),
        schedules: Vec::new(),
        default_branch: "main".into(),
        files: CodeCommitChanges::new(codecommit, "MyDemoRepo"),
        starter: StepFunctions::new(sfn.clone(), &arn),
    });
    let mut deliveries = tokio::task::JoinSet::new();
    // 50 pushes in the same second, and EventBridge delivering ten of them twice.
    for i in (0..50).chain(0..10) {
        let f = function.clone();
        deliveries.spawn(async move {
            let mut e = sample("referenceUpdated");
            e["detail"]["commitId"] = json!(format!("commit-{i:02}"));
            f.handle(event(e, &format!("push-{i:02}"))).await.unwrap()
        });
    }
    let outcomes = deliveries.join_all().await;
    // StartExecution with a running execution's name and input answers as the first call did,
    // so a redelivery "starts" the same execution: what counts is the executions that exist.
    assert_eq!(outcomes.len(), 60);
    assert!(outcomes.iter().all(|o| matches!(o, TriggerOutcome::Started { .. })), "{outcomes:?}");

    let started = executions(&sfn, &arn).await;
    let names: BTreeSet<String> = started.iter().map(|(n, _)| n.clone()).collect();
    let expected: BTreeSet<String> = (0..50).map(|i| format!("push-{i:02}")).collect();
    assert_eq!(started.len(), 50, "one execution per push, none lost, none twice");
    assert_eq!(names, expected);
    for (name, input) in &started {
        let input: Value = serde_json::from_str(input).unwrap();
        assert_eq!(
            input["revision"],
            json!(name.replace("push", "commit")),
            "{name} builds its own commit"
        );
    }

    // A redelivery after the execution ended is refused by name, and says it was a duplicate.
    let first = format!("{arn}:push-00").replace(":stateMachine:", ":execution:");
    sfn.stop_execution().execution_arn(&first).send().await.unwrap();
    let mut e = sample("referenceUpdated");
    e["detail"]["commitId"] = json!("commit-00");
    let outcome = function.handle(event(e, "push-00")).await.unwrap();
    assert!(matches!(outcome, TriggerOutcome::Started { duplicate: true, .. }), "{outcome:?}");
    assert_eq!(executions(&sfn, &arn).await.len(), 50);
}

/// The `Scheduled Event` of the EventBridge user guide, from the rule of the pipeline's second
/// schedule.
fn scheduled_event(rule: &str) -> Value {
    json!({
        "version": "0",
        "id": "89d1a02d-5ec7-412e-82f5-13505f849b41",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2016-12-30T18:44:49Z",
        "region": "us-east-1",
        "resources": [format!("arn:aws:events:us-east-1:123456789012:rule/{rule}")],
        "detail": {}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_rule_starts_a_run_of_its_branch_tip() {
    use aws_sdk_codecommit::operation::get_branch::GetBranchOutput;
    use aws_sdk_codecommit::types::BranchInfo;
    use baton_core::trigger::{Schedule, ScheduledRun};
    let moto = Moto::start();
    let (sfn, arn) = moto.state_machine().await;
    let branch = mock!(aws_sdk_codecommit::Client::get_branch)
        .match_requests(|r| r.repository_name() == Some("MyDemoRepo") && r.branch_name() == Some("release"))
        .then_output(|| {
            GetBranchOutput::builder()
                .branch(BranchInfo::builder().branch_name("release").commit_id("f00dcafe").build())
                .build()
        });
    let codecommit = mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, [&branch]);
    let schedule = |expression: &str, branch: Option<&str>| ScheduledRun {
        expression: expression.into(),
        schedule: Schedule::parse(expression).unwrap(),
        branch: branch.map(str::to_string),
    };
    let function = TriggerFunction {
        repository: "MyDemoRepo".into(),
        triggers: PushTriggers::default(),
        schedules: vec![schedule("rate(1 day)", None), schedule("cron(0 3 ? * MON-FRI *)", Some("release"))],
        default_branch: "main".into(),
        files: CodeCommitChanges::new(codecommit, "MyDemoRepo"),
        starter: StepFunctions::new(sfn.clone(), &arn),
    };
    let fired = event(scheduled_event("baton-hello-schedule-1"), "89d1a02d-5ec7-412e-82f5-13505f849b41");
    assert!(matches!(fired, TriggerRequest::Schedule(_)));
    let outcome = function.handle(fired).await.unwrap();
    assert!(
        matches!(&outcome, TriggerOutcome::Started { commit, why, .. } if commit == "f00dcafe" && why.contains("cron(0 3 ? * MON-FRI *)")),
        "{outcome:?}"
    );
    let started = executions(&sfn, &arn).await;
    assert_eq!(started.len(), 1);
    let input: Value = serde_json::from_str(&started[0].1).unwrap();
    assert_eq!(input["trigger"]["type"], "schedule");
    assert_eq!(input["revision"], "f00dcafe");

    let unknown = function.handle(event(scheduled_event("someone-elses-rule"), "x-1")).await;
    assert!(unknown.is_err_and(|e| e.to_string().contains("not one of this pipeline's schedule rules")));
}
