//! The AWS path end to end, without AWS, on the SAM application `baton synth --sam` generates:
//! its resources made in moto under the template's names, its state machine created on moto's
//! Step Functions, every function built as its `main` builds it from the environment the
//! template gives it. A CodeCommit push event reaches the trigger function, which starts the
//! state machine; that execution's input then runs in `baton-asl` with every Task dispatched to
//! the function handlers (source, gate, build, deploy, approval, bake, rollback) over moto (S3, DynamoDB, CodeBuild, CodeDeploy,
//! Scheduler) and aws-smithy-mocks where moto has no implementation (CodeCommit content,
//! CloudWatch alarms, build details). The test plays the services' asynchronous halves,
//! which moto does not: CodeBuild's upload of outputs and its state-change
//! event, CodeDeploy's state-change event, and Scheduler firing the bake timer — each in the
//! documented event shape, handed to the events function.
//!
//! Two applications: the example's, from a push to the end; and a two-group pipeline with an
//! approval between staging and prod, whose first release goes through and whose second sees
//! prod's composite alarm go to ALARM during prod's bake: prod is rolled back to its last-good
//! version, staging is left alone.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod cloud;
mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;

use aws_smithy_mocks::{RuleMode, mock_client};
use baton_asl::{ExecutionSpec, ExecutionStatus, Interpreter, MemorySink, StateMachine, TaskTokens};
use baton_aws::cloudwatch::CloudWatchAlarms;
use baton_aws::codebuild::{CORRELATION_VAR, CodeBuildRunner};
use baton_aws::codecommit::CodeCommitChanges;
use baton_aws::codecommit_source::CodeCommitSource;
use baton_aws::codedeploy::DeploymentTag;
use baton_aws::dynamodb::DynamoLanes;
use baton_aws::emf::EmfMetricsSink;
use baton_aws::entrypoints::config::artifact_store;
use baton_aws::entrypoints::events::EventsFunction;
use baton_aws::entrypoints::functions::{
    ApprovalFunction, BakeFunction, BuildFunction, DeployFunction, RollbackFunction, SourceFunction, deployer_on,
};
use baton_aws::entrypoints::gate::{GateFunction, GateRequest};
use baton_aws::entrypoints::trigger::{TriggerFunction, TriggerRequest};
use baton_core::events::Event;
use baton_core::ports::{ArtifactRef, ArtifactStore, MetricsSink, PendingTasks, TaskCallbacks};
use baton_core::stages::correlation;
use baton_core::stages::trigger::TriggerOutcome;
use baton_local::coordination::bus::InterpreterCallbacks;
use cloud::finished::Finished;
use cloud::invoker::Invoker;
use cloud::services::{Cloud, cloud};
use cloud::stack::Stack;
use cloud::{Builds, COMMIT, build_details, cloudwatch, codecommit, example, sample_event};
use common::Moto;
use serde_json::{Value, json};

/// The functions the state machine invokes, and the services' halves the test plays.
struct Functions {
    source: SourceFunction,
    gate: GateFunction,
    build: BuildFunction,
    deploy: DeployFunction,
    approval: ApprovalFunction,
    bake: BakeFunction,
    rollback: RollbackFunction,
    events: Arc<EventsFunction>,
    /// CloudWatch's half during this group's bakes: its alarms go to ALARM instead of the
    /// window ending.
    alarm_in_bake: Mutex<Option<String>>,
    builds: Builds,
    s3: aws_sdk_s3::Client,
    scheduler: aws_sdk_scheduler::Client,
    /// The names the stack gave what the services' halves address.
    names: Names,
    finished: Finished,
}

/// Read from the functions' environment, as the services would know them.
struct Names {
    bucket: String,
    project: String,
    application: String,
    alarm_prefix: String,
    timers: String,
    events_arn: String,
}

impl Functions {
    /// CodeBuild's half: the outputs uploaded to staging as zips (the source tree plus a marker,
    /// as no build runs here), then the documented state-change event.
    async fn finish_build(&self, payload: &Value, build_id: &str) {
        let pipeline = payload["pipeline"].as_str().unwrap();
        let key = correlation(
            payload["execution_id"].as_str().unwrap(),
            payload["action"].as_str().unwrap(),
            payload["redrive"].as_u64().unwrap_or(0),
            payload["attempt"].as_u64().unwrap_or(0),
        );
        let source: ArtifactRef = serde_json::from_value(payload["source"].clone()).unwrap();
        let tree = tempfile::tempdir().unwrap();
        self.events.store.fetch(pipeline, &source, tree.path()).await.unwrap();
        std::fs::write(tree.path().join("BUILT_BY"), build_id).unwrap();
        let mut outputs = Vec::new();
        for name in payload["outputs"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            let object = format!("{}/{name}.zip", self.events.store.staging_path(pipeline, &key));
            let mut zip = Vec::new();
            baton_core::bundle::write(tree.path(), std::io::Cursor::new(&mut zip)).unwrap();
            self.s3
                .put_object()
                .bucket(&self.names.bucket)
                .key(&object)
                .body(zip.into())
                .send()
                .await
                .unwrap();
            outputs.push((name.to_string(), format!("arn:aws:s3:::{}/{object}", self.names.bucket)));
        }
        self.builds.lock().unwrap().insert(build_id.to_string(), outputs);
        let mut event = sample_event("codebuild-state-change.json");
        event["detail"]["build-id"] = json!(build_id);
        event["detail"]["project-name"] = json!(self.names.project);
        event["detail"]["additional-information"]["environment"]["environment-variables"] =
            json!([{ "name": CORRELATION_VAR, "type": "PLAINTEXT", "value": key }]);
        self.events.handle(event).await.unwrap();
    }

    /// CodeDeploy's half: the documented state-change event of a deployment that succeeded.
    async fn finish_deployment(&self, payload: &Value, deployment_id: &str) {
        self.finished.record(deployment_id);
        let mut event = sample_event("codedeploy-deployment-state-change.json");
        event["detail"]["deploymentId"] = json!(deployment_id);
        event["detail"]["application"] = json!(self.names.application);
        event["detail"]["deploymentGroup"] = payload["group"].clone();
        self.events.handle(event).await.unwrap();
    }

    /// CloudWatch's half: the documented `CloudWatch Alarm State Change` of the stack's alarm.
    async fn raise_alarm(&self, alarm: &str) {
        let name = format!("{}{alarm}", self.names.alarm_prefix);
        let mut event = sample_event("cloudwatch-alarm-state-change.json");
        event["detail"]["alarmName"] = json!(name);
        event["resources"] = json!([format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}")]);
        self.events.handle(event).await.unwrap();
    }

    /// An approver's answer, as the events function takes it.
    async fn approve(&self, payload: &Value) {
        let answer = json!({
            "detail-type": "Baton Approval Answered",
            "execution_id": payload["execution_id"], "action": payload["action"],
            "approved": true, "approver": "mary", "comment": "lgtm",
        });
        self.events.handle(answer).await.unwrap();
    }

    /// Scheduler's half: every due one-time schedule invokes its target with its input, then
    /// deletes itself.
    async fn fire_timers(&self) {
        let group = &self.names.timers;
        let listed = self.scheduler.list_schedules().group_name(group).send().await.unwrap();
        for s in listed.schedules() {
            let name = s.name().unwrap();
            let schedule = self.scheduler.get_schedule().name(name).group_name(group).send().await.unwrap();
            let target = schedule.target().unwrap();
            assert_eq!(target.arn(), self.names.events_arn);
            self.events
                .handle(serde_json::from_str(target.input().unwrap()).unwrap())
                .await
                .unwrap();
            self.scheduler.delete_schedule().name(name).group_name(group).send().await.unwrap();
        }
    }
}

/// The deployed application: the state machine on moto's Step Functions, its functions wired
/// from the template's environment to moto and the mocks, and the interpreter that runs its
/// executions.
struct Harness {
    stack: Stack,
    cloud: Cloud,
    definition: String,
    machine_arn: String,
    functions: Arc<Functions>,
    interpreter: Interpreter,
    _moto: Moto,
}

impl Harness {
    /// `pipeline_yml` generated by `baton synth --sam` and deployed as stack `name`.
    async fn new(name: &str, pipeline_yml: &str) -> Self {
        let stack = Stack::generate(name, pipeline_yml);
        let moto = Moto::start();
        let cloud = cloud(&moto, &stack).await;
        let config = moto.sdk_config();
        let (machine_name, definition) = stack.state_machine();
        let machine_arn = cloud
            .sfn
            .create_state_machine()
            .name(machine_name)
            .definition(&definition)
            .role_arn("arn:aws:iam::123456789012:role/baton-state-machine")
            .send()
            .await
            .unwrap()
            .state_machine_arn()
            .to_string();
        let env = |function: &str| stack.env(function);
        let events_env = env("EventsFunction");
        let names = Names {
            bucket: events_env.require("BATON_BUCKET").unwrap(),
            project: events_env.require("BATON_PROJECT").unwrap(),
            application: events_env.require("BATON_APPLICATION").unwrap(),
            alarm_prefix: events_env.require("BATON_ALARM_PREFIX").unwrap(),
            timers: env("BakeFunction").require("BATON_SCHEDULE_GROUP").unwrap(),
            events_arn: env("BakeFunction").require("BATON_EVENTS_FUNCTION_ARN").unwrap(),
        };
        // The functions find the stack's alarms under the names the template gives them.
        let mut expected: Vec<String> = stack
            .pipeline
            .alarms
            .keys()
            .chain(stack.pipeline.composite_alarms.keys())
            .map(|a| format!("{}{a}", names.alarm_prefix))
            .collect();
        expected.sort();
        assert_eq!(stack.alarm_names(), expected);
        assert_eq!(env("GateFunction").require("BATON_STATE_MACHINE_ARN").unwrap(), machine_arn);

        // Every function as its main builds it, from the template's environment; what moto
        // lacks (CodeCommit content, CloudWatch alarms, build details) and what the
        // interpreter answers (task callbacks) replaced.
        let tokens = TaskTokens::default();
        let callbacks: Arc<dyn TaskCallbacks> = Arc::new(InterpreterCallbacks::new(tokens.clone()));
        let metrics: Arc<dyn MetricsSink> = Arc::new(EmfMetricsSink::new(std::io::sink()));
        let alarms = || CloudWatchAlarms::new(cloudwatch()).with_prefix(&names.alarm_prefix);
        let source_env = env("SourceFunction");
        let gate = GateFunction::from_env(&config, &env("GateFunction")).unwrap();
        let builds: Builds = Arc::default();
        let store = artifact_store(&config, &events_env).unwrap();
        let finished = Finished::default();
        let deployer = |function: &str| {
            let env = env(function);
            deployer_on(finished.client(&config), &config, &env, artifact_store(&config, &env).unwrap()).unwrap()
        };
        let functions = Arc::new(Functions {
            source: SourceFunction {
                source: CodeCommitSource::new(
                    codecommit(),
                    source_env.require("BATON_REPOSITORY").unwrap(),
                    source_env.require("BATON_BRANCH").unwrap(),
                    artifact_store(&config, &source_env).unwrap(),
                ),
            },
            gate: GateFunction {
                lanes: DynamoLanes::new(gate.state.clone(), callbacks.clone(), metrics.clone()),
                callbacks: callbacks.clone(),
                ..gate
            },
            build: BuildFunction::from_env(&config, &env("BuildFunction")).unwrap(),
            deploy: DeployFunction {
                deployer: deployer("DeployFunction"),
                ..DeployFunction::from_env(&config, &env("DeployFunction")).unwrap()
            },
            approval: ApprovalFunction {
                callbacks: callbacks.clone(),
                ..ApprovalFunction::from_env(&config, &env("ApprovalFunction")).unwrap()
            },
            bake: BakeFunction {
                alarms: alarms(),
                ..BakeFunction::from_env(&config, &env("BakeFunction")).unwrap()
            },
            rollback: RollbackFunction {
                deployer: deployer("RollbackFunction"),
                callbacks: callbacks.clone(),
                metrics: metrics.clone(),
                ..RollbackFunction::from_env(&config, &env("RollbackFunction")).unwrap()
            },
            events: Arc::new(EventsFunction {
                deployer: deployer("EventsFunction"),
                callbacks,
                alarms: alarms(),
                metrics,
                builds: CodeBuildRunner::new(build_details(builds.clone(), &names.project), &names.project, store),
                ..EventsFunction::from_env(&config, &events_env).unwrap()
            }),
            alarm_in_bake: Mutex::new(None),
            builds,
            s3: cloud.s3.clone(),
            scheduler: cloud.scheduler.clone(),
            names,
            finished,
        });
        let interpreter = Interpreter::with_tokens(Arc::new(Invoker(functions.clone())), Arc::new(MemorySink::default()), tokens);
        Self {
            stack,
            cloud,
            definition,
            machine_arn,
            functions,
            interpreter,
            _moto: moto,
        }
    }

    /// The trigger function as its main builds it, its CodeCommit client a mock with no rules:
    /// branch filters only, so no GetDifferences call may happen.
    fn trigger(&self) -> TriggerFunction {
        let env = self.stack.env("TriggerFunction");
        let repository = env.require("BATON_REPOSITORY").unwrap();
        TriggerFunction {
            files: CodeCommitChanges::new(mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, []), repository),
            ..TriggerFunction::from_env(&self._moto.sdk_config(), &env).unwrap()
        }
    }

    /// Runs one execution to its end, then tells the gate function it ended, as EventBridge
    /// would, so its stage locks pass on; and the events function, when it did not succeed,
    /// so what it left running is stopped.
    async fn execute(&self, name: &str, input: Value) -> baton_asl::ExecutionOutcome {
        let machine = StateMachine::from_json(&self.definition).unwrap();
        let spec = ExecutionSpec {
            state_machine_arn: self.machine_arn.clone(),
            execution_name: name.to_string(),
            input,
            input_text: None,
            workflow: Default::default(),
        };
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(60), self.interpreter.execute(&machine, &spec))
            .await
            .expect("the execution ends within a minute");
        let status = serde_json::to_value(outcome.status).unwrap();
        let ended = json!({
            "version": "0", "id": format!("ended-{name}"), "detail-type": "Step Functions Execution Status Change",
            "source": "aws.states", "account": "123456789012", "time": "2026-12-01T10:01:00Z", "region": "us-east-1",
            "resources": [spec.execution_arn()],
            "detail": { "executionArn": spec.execution_arn(), "stateMachineArn": self.machine_arn, "name": name, "status": status }
        });
        let request: GateRequest = serde_json::from_value(ended.clone()).unwrap();
        assert_eq!(self.functions.gate.handle(request).await.unwrap()["left"], json!(name));
        if status != "SUCCEEDED" {
            let handled = self.functions.events.handle(ended).await.unwrap();
            assert_eq!(handled["handled"], "Step Functions Execution Status Change");
        }
        outcome
    }

    /// A group's deployments: the artifact version each deployed, whether it was a rollback,
    /// and the revision's key, in that order.
    async fn deployments(&self, group: &str) -> Vec<(u64, bool, String)> {
        let ids = self
            .cloud
            .codedeploy
            .list_deployments()
            .application_name(&self.functions.names.application)
            .deployment_group_name(group)
            .send()
            .await
            .unwrap();
        let mut seen = Vec::new();
        for id in ids.deployments() {
            let info = self.cloud.codedeploy.get_deployment().deployment_id(id).send().await.unwrap();
            let info = info.deployment_info().unwrap();
            let key = info.revision().unwrap().s3_location().unwrap().key().unwrap().to_string();
            let tag = DeploymentTag::parse(info.description().unwrap()).unwrap();
            seen.push((tag.artifact.version, tag.rollback, key));
        }
        seen.sort();
        seen
    }

    async fn nothing_parked(&self) {
        for prefix in ["build/", "deployment/", "bake/", "approval/"] {
            assert!(
                self.cloud.pending.list(prefix).await.unwrap().is_empty(),
                "a {prefix} task is still parked"
            );
        }
    }
}

fn manual_input() -> Value {
    json!({ "revision": COMMIT, "variables": {}, "trigger": { "type": "manual" } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_codecommit_push_runs_the_generated_hello_application_to_the_end() {
    let h = Harness::new("baton-hello", &example("pipeline.yml")).await;
    let repository = h.stack.env("TriggerFunction").require("BATON_REPOSITORY").unwrap();
    assert_eq!(repository, "hello", "the repository parameter's default: the pipeline's name");

    // 1. The push: EventBridge's CodeCommit event, to the trigger function.
    let push: TriggerRequest = serde_json::from_value(json!({
        "version": "0", "id": "6f1e2c4a-push-0001", "detail-type": "CodeCommit Repository State Change",
        "source": "aws.codecommit", "account": "123456789012", "time": "2026-12-01T10:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:codecommit:us-east-1:123456789012:{repository}")],
        "detail": {
            "event": "referenceUpdated", "repositoryName": repository, "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
            "referenceType": "branch", "referenceName": "main", "referenceFullName": "refs/heads/main",
            "commitId": COMMIT, "oldCommitId": "3e5983a1b2c3d4e5f60718293a4b5c6d7e8f9012"
        }
    }))
    .unwrap();
    let TriggerOutcome::Started { execution, commit, .. } = h.trigger().handle(push).await.unwrap() else {
        panic!("a push to main starts the pipeline");
    };
    assert_eq!(commit, COMMIT);
    let started = h
        .cloud
        .sfn
        .describe_execution()
        .execution_arn(format!("{}:{execution}", h.machine_arn.replace(":stateMachine:", ":execution:")))
        .send()
        .await
        .unwrap();
    let input: Value = serde_json::from_str(started.input().unwrap()).unwrap();

    // 2. That execution, interpreted, with every Task on the AWS-wired handlers.
    let outcome = h.execute(&execution, input).await;
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);

    // What it left: the source at the pushed commit, the built app, staging's last-good, one
    // deployment of the app's own bundle, and no task still parked.
    let store = &h.cloud.store;
    let source = store.manifest("hello", "source", 1).await.unwrap().unwrap();
    assert_eq!(source.provenance.commit_id.as_deref(), Some(COMMIT));
    let app = store.manifest("hello", "app", 1).await.unwrap().unwrap();
    assert_eq!(app.provenance.action, "Build:Compile");
    assert_eq!(store.last_good("hello", "staging").await.unwrap(), Some(app.artifact.clone()));
    let deployments = h.deployments("staging").await;
    assert_eq!(deployments.len(), 1);
    let (version, rollback, key) = &deployments[0];
    assert_eq!((*version, *rollback), (app.artifact.version, false));
    assert_eq!(format!("s3://{}/{key}", h.functions.names.bucket), app.content.unwrap().uri);
    h.nothing_parked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_during_prods_bake_rolls_prod_back_and_leaves_staging_alone() {
    // Two Server groups with an approval between them; prod watches a composite alarm.
    let pipeline =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sam/two-groups-approval/pipeline.yml")).unwrap();
    let h = Harness::new("baton-shop", &pipeline).await;
    let store = &h.cloud.store;

    // A first release: staging, approval, prod; app@1 is both groups' last-good.
    let first = h.execute("release-1", manual_input()).await;
    assert_eq!(first.status, ExecutionStatus::Succeeded, "{:?}", first.error);
    let good = store.manifest("shop", "app", 1).await.unwrap().unwrap().artifact;
    for group in ["staging", "prod"] {
        assert_eq!(store.last_good("shop", group).await.unwrap(), Some(good.clone()), "{group}");
    }

    // A second: staging bakes clean; during prod's bake, prod-unhealthy goes to ALARM.
    *h.functions.alarm_in_bake.lock().unwrap() = Some("prod".into());
    let second = h.execute("release-2", manual_input()).await;
    assert_eq!(second.status, ExecutionStatus::Failed);
    let error = second.error.unwrap();
    assert!(format!("{error:?}").contains("AlarmTriggered"), "{error:?}");

    // Prod saw app@1, app@2, then a rollback deployment of app@1 and keeps app@1 as last-good;
    // staging runs app@2, rolled back by nothing.
    let versions = |d: Vec<(u64, bool, String)>| d.into_iter().map(|(v, r, _)| (v, r)).collect::<Vec<_>>();
    assert_eq!(versions(h.deployments("prod").await), [(1, false), (1, true), (2, false)]);
    assert_eq!(store.last_good("shop", "prod").await.unwrap(), Some(good));
    assert_eq!(versions(h.deployments("staging").await), [(1, false), (2, false)]);
    let newer = store.manifest("shop", "app", 2).await.unwrap().unwrap().artifact;
    assert_eq!(store.last_good("shop", "staging").await.unwrap(), Some(newer));
    h.nothing_parked().await;

    // Another stack's alarm is none of this one's business.
    let mut foreign = sample_event("cloudwatch-alarm-state-change.json");
    foreign["detail"]["alarmName"] = json!("other-stack-staging-health");
    assert!(h.functions.events.translate(foreign).await.unwrap().is_none());

    // Step Functions reports an execution that was stopped: its builds are for stopping.
    let ended = h
        .functions
        .events
        .translate(sample_event("step-functions-execution-status-change.json"))
        .await
        .unwrap();
    assert_eq!(
        ended,
        Some(Event::ExecutionEnded {
            execution_id: "20261130-194200-3f9a1c".into(),
            status: "ABORTED".into(),
        })
    );
}
