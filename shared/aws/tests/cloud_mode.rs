//! The AWS path end to end, without AWS: a CodeCommit push event reaches the trigger function,
//! which starts the synthesized state machine on moto's Step Functions; that execution's input
//! then runs in `baton-asl` with every Task dispatched to the AWS-wired function handlers
//! (source, gate, build, deploy, bake) over moto (S3, DynamoDB, CodeBuild, CodeDeploy,
//! Scheduler) and aws-smithy-mocks where moto has no implementation (CodeCommit content,
//! CloudWatch alarms, build details). The test plays the services' asynchronous halves,
//! which moto does not: CodeBuild's upload of outputs and its state-change
//! event, CodeDeploy's state-change event, and Scheduler firing the bake timer — each in the
//! documented event shape, handed to the events function.
//!
//! Two scenarios: the example pipeline from a push to the end; and a release whose approval is
//! answered, then a second one whose bake sees its alarm go to ALARM and is rolled back to the
//! group's last-good version.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod cloud;
mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_smithy_mocks::{RuleMode, mock_client};
use baton_asl::{ExecutionSpec, ExecutionStatus, Interpreter, MemorySink, StateMachine, StatesError, TaskCall, TaskInvoker, TaskTokens};
use baton_aws::cloudwatch::CloudWatchAlarms;
use baton_aws::codebuild::{CORRELATION_VAR, CodeBuildRunner};
use baton_aws::codecommit::CodeCommitChanges;
use baton_aws::codecommit_source::CodeCommitSource;
use baton_aws::codedeploy::{CodeDeployer, DeploymentTag};
use baton_aws::dynamodb::{DynamoLanes, DynamoState};
use baton_aws::emf::EmfMetricsSink;
use baton_aws::events_function::EventsFunction;
use baton_aws::functions::{ApprovalFunction, BakeFunction, BuildFunction, DeployFunction, RollbackFunction, SourceFunction};
use baton_aws::gate::{GateFunction, GateRequest};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_aws::scheduler::SchedulerTimers;
use baton_aws::sfn::StepFunctions;
use baton_aws::trigger::{TriggerFunction, TriggerRequest};
use baton_core::events::Event;
use baton_core::ports::{ArtifactRef, ArtifactStore, MetricsSink, PendingTasks, TaskCallbacks};
use baton_core::stages::trigger::TriggerOutcome;
use baton_core::stages::{StageError, correlation};
use baton_local::bus::InterpreterCallbacks;
use cloud::{Builds, COMMIT, PROJECT, build_details, cloudwatch, codecommit, example, sample_event};
use common::Moto;
use serde_json::{Value, json};

const REPOSITORY: &str = "hello-app";
const APPLICATION: &str = "hello-app";
const EVENTS_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:baton-events";
/// What the stack puts before pipeline.yml's alarm names (BATON_ALARM_PREFIX).
const ALARM_PREFIX: &str = "baton-hello-";

struct Cloud {
    s3: aws_sdk_s3::Client,
    store: S3ArtifactStore,
    pending: DynamoState,
    scheduler: aws_sdk_scheduler::Client,
    codedeploy: aws_sdk_codedeploy::Client,
    sfn: aws_sdk_sfn::Client,
}

async fn cloud(moto: &Moto) -> Cloud {
    let config = moto.sdk_config();
    let s3 = moto.versioned_bucket("artifacts").await;
    let pending = moto.state_table("baton-state").await;
    moto.build_project(PROJECT).await;
    let codedeploy = moto.deployment_group(APPLICATION, "staging").await;
    Cloud {
        store: S3ArtifactStore::new(s3.clone(), "artifacts", "", Encryption::S3),
        s3,
        pending,
        scheduler: aws_sdk_scheduler::Client::new(&config),
        codedeploy,
        sfn: aws_sdk_sfn::Client::new(&config),
    }
}

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
    /// CloudWatch's half during bakes: the watched alarm goes to ALARM instead of the window ending.
    alarm_in_bake: AtomicBool,
    builds: Builds,
    s3: aws_sdk_s3::Client,
    scheduler: aws_sdk_scheduler::Client,
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
                .bucket("artifacts")
                .key(&object)
                .body(zip.into())
                .send()
                .await
                .unwrap();
            outputs.push((name.to_string(), format!("arn:aws:s3:::artifacts/{object}")));
        }
        self.builds.lock().unwrap().insert(build_id.to_string(), outputs);
        let mut event = sample_event("codebuild-state-change.json");
        event["detail"]["build-id"] = json!(build_id);
        event["detail"]["project-name"] = json!(PROJECT);
        event["detail"]["additional-information"]["environment"]["environment-variables"] =
            json!([{ "name": CORRELATION_VAR, "type": "PLAINTEXT", "value": key }]);
        self.events.handle(event).await.unwrap();
    }

    /// CodeDeploy's half: the documented state-change event of a deployment that succeeded.
    async fn finish_deployment(&self, payload: &Value, deployment_id: &str) {
        let mut event = sample_event("codedeploy-deployment-state-change.json");
        event["detail"]["deploymentId"] = json!(deployment_id);
        event["detail"]["application"] = json!(APPLICATION);
        event["detail"]["deploymentGroup"] = payload["group"].clone();
        self.events.handle(event).await.unwrap();
    }

    /// CloudWatch's half: the documented `CloudWatch Alarm State Change` of the stack's alarm.
    async fn raise_alarm(&self, alarm: &str) {
        let mut event = sample_event("cloudwatch-alarm-state-change.json");
        event["detail"]["alarmName"] = json!(format!("{ALARM_PREFIX}{alarm}"));
        event["resources"] = json!([format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{ALARM_PREFIX}{alarm}")]);
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
        let listed = self.scheduler.list_schedules().group_name("default").send().await.unwrap();
        for s in listed.schedules() {
            let name = s.name().unwrap();
            let schedule = self.scheduler.get_schedule().name(name).group_name("default").send().await.unwrap();
            let target = schedule.target().unwrap();
            assert_eq!(target.arn(), EVENTS_ARN);
            self.events
                .handle(serde_json::from_str(target.input().unwrap()).unwrap())
                .await
                .unwrap();
            self.scheduler
                .delete_schedule()
                .name(name)
                .group_name("default")
                .send()
                .await
                .unwrap();
        }
    }
}

struct Invoker(Arc<Functions>);

#[async_trait]
impl TaskInvoker for Invoker {
    async fn invoke(&self, call: TaskCall) -> Result<Value, StatesError> {
        let (function, payload) = if call.resource.starts_with("arn:aws:states:::lambda:invoke") {
            (
                call.input["FunctionName"].as_str().unwrap_or_default().to_string(),
                call.input["Payload"].clone(),
            )
        } else {
            (call.resource.clone(), call.input.clone())
        };
        let f = &self.0;
        let stem = function
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .trim_start_matches("baton-")
            .to_string();
        let result: Result<Value, StageError> = match stem.as_str() {
            "source" => f.source.handle(payload.clone()).await,
            "gate" => match serde_json::from_value(payload.clone()) {
                Ok(input) => f.gate.handle(GateRequest::Gate(input)).await,
                Err(e) => Err(StageError::InvalidInput(e.to_string())),
            },
            "build" => f.build.handle(payload.clone()).await,
            "deploy" => f.deploy.handle(payload.clone()).await,
            "approval" => f.approval.handle(payload.clone()).await,
            "bake" => f.bake.handle(payload.clone()).await,
            "rollback" => f.rollback.handle(payload.clone()).await,
            other => panic!("the state machine invokes no {other} function"),
        };
        let value = result.map_err(|e| StatesError::new(e.error_type(), e.to_string()))?;
        // The services' asynchronous halves run after the invocation returns, as they would.
        let functions = self.0.clone();
        let output = value.clone();
        tokio::spawn(async move {
            match stem.as_str() {
                "build" => functions.finish_build(&payload, output["build_id"].as_str().unwrap()).await,
                "deploy" => {
                    functions
                        .finish_deployment(&payload, output["deployment_id"].as_str().unwrap())
                        .await
                }
                "approval" => functions.approve(&payload).await,
                "bake" if functions.alarm_in_bake.load(Ordering::SeqCst) => {
                    for alarm in payload["alarms"].as_array().into_iter().flatten() {
                        functions.raise_alarm(alarm.as_str().unwrap()).await;
                    }
                }
                "bake" => functions.fire_timers().await,
                // A rollback that found something to restore is a deployment like any other.
                "rollback" => {
                    if let Some(id) = output["deployment_id"].as_str() {
                        functions.finish_deployment(&payload, id).await;
                    }
                }
                _ => {}
            }
        });
        Ok(value)
    }
}

/// The deployed application: the state machine on moto's Step Functions, its functions wired
/// to moto and the mocks, and the interpreter that runs its executions.
struct Harness {
    cloud: Cloud,
    pipeline: baton_core::Pipeline,
    definition: String,
    machine_arn: String,
    functions: Arc<Functions>,
    interpreter: Interpreter,
    _moto: Moto,
}

impl Harness {
    async fn new(pipeline_yml: &str) -> Self {
        let moto = Moto::start();
        let cloud = cloud(&moto).await;
        let pipeline = baton_core::parse_pipeline(Path::new("pipeline.yml"), pipeline_yml).unwrap();
        // The state machine as `sam deploy` would create it.
        let mut definition = baton_core::synth::to_json(&pipeline);
        for f in baton_core::synth::FUNCTIONS {
            let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:baton-{}", f.to_lowercase());
            definition = definition.replace(&baton_core::synth::placeholder(f), &arn);
        }
        let machine_arn = cloud
            .sfn
            .create_state_machine()
            .name("baton-hello-pipeline")
            .definition(&definition)
            .role_arn("arn:aws:iam::123456789012:role/baton-state-machine")
            .send()
            .await
            .unwrap()
            .state_machine_arn()
            .to_string();
        let tokens = TaskTokens::default();
        let callbacks: Arc<dyn TaskCallbacks> = Arc::new(InterpreterCallbacks::new(tokens.clone()));
        let metrics: Arc<dyn MetricsSink> = Arc::new(EmfMetricsSink::new(std::io::sink()));
        let store = cloud.store.clone();
        let builds: Builds = Arc::default();
        let deployer = || CodeDeployer::new(cloud.codedeploy.clone(), APPLICATION, store.clone());
        let alarms = || CloudWatchAlarms::new(cloudwatch()).with_prefix(ALARM_PREFIX);
        let functions = Arc::new(Functions {
            source: SourceFunction {
                source: CodeCommitSource::new(codecommit(), REPOSITORY, "main", store.clone()),
            },
            gate: GateFunction {
                pipeline: pipeline.name.clone(),
                mode: pipeline.execution_mode,
                state_machine_arn: machine_arn.clone(),
                state: cloud.pending.clone(),
                lanes: DynamoLanes::new(cloud.pending.clone(), callbacks.clone(), metrics.clone()),
                callbacks: callbacks.clone(),
            },
            build: BuildFunction {
                builds: CodeBuildRunner::new(aws_sdk_codebuild::Client::new(&moto.sdk_config()), PROJECT, store.clone()),
                pending: cloud.pending.clone(),
            },
            deploy: DeployFunction {
                deployer: deployer(),
                pending: cloud.pending.clone(),
            },
            approval: ApprovalFunction {
                pending: cloud.pending.clone(),
                callbacks: callbacks.clone(),
            },
            bake: BakeFunction {
                alarms: alarms(),
                pending: cloud.pending.clone(),
                timers: SchedulerTimers::new(
                    cloud.scheduler.clone(),
                    "default",
                    EVENTS_ARN,
                    "arn:aws:iam::123456789012:role/baton-scheduler",
                ),
            },
            rollback: RollbackFunction {
                store: store.clone(),
                deployer: deployer(),
                pending: cloud.pending.clone(),
                callbacks: callbacks.clone(),
                metrics: metrics.clone(),
            },
            events: Arc::new(EventsFunction {
                store: store.clone(),
                pending: cloud.pending.clone(),
                callbacks,
                alarms: alarms(),
                metrics,
                builds: CodeBuildRunner::new(build_details(builds.clone()), PROJECT, store.clone()),
                deployer: deployer(),
            }),
            alarm_in_bake: AtomicBool::new(false),
            builds,
            s3: cloud.s3.clone(),
            scheduler: cloud.scheduler.clone(),
        });
        let interpreter = Interpreter::with_tokens(Arc::new(Invoker(functions.clone())), Arc::new(MemorySink::default()), tokens);
        Self {
            cloud,
            pipeline,
            definition,
            machine_arn,
            functions,
            interpreter,
            _moto: moto,
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

    /// The staging group's deployments: what Baton tagged each with, and the revision's key.
    async fn deployments(&self) -> Vec<(DeploymentTag, String)> {
        let ids = self
            .cloud
            .codedeploy
            .list_deployments()
            .application_name(APPLICATION)
            .deployment_group_name("staging")
            .send()
            .await
            .unwrap();
        let mut tags = Vec::new();
        for id in ids.deployments() {
            let info = self.cloud.codedeploy.get_deployment().deployment_id(id).send().await.unwrap();
            let info = info.deployment_info().unwrap();
            let key = info.revision().unwrap().s3_location().unwrap().key().unwrap().to_string();
            tags.push((DeploymentTag::parse(info.description().unwrap()).unwrap(), key));
        }
        tags
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
async fn a_codecommit_push_runs_the_pipeline_to_the_end_on_the_aws_adapters() {
    let h = Harness::new(&example("pipeline.yml")).await;

    // 1. The push: EventBridge's CodeCommit event, to the trigger function.
    let trigger = TriggerFunction {
        repository: REPOSITORY.into(),
        triggers: h.pipeline.triggers.push_or_branch("main"),
        schedules: h.pipeline.triggers.schedules.clone(),
        default_branch: "main".into(),
        // Branch filters only: no GetDifferences call may happen (the mock has no rule for it).
        files: CodeCommitChanges::new(mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, []), REPOSITORY),
        starter: StepFunctions::new(h.cloud.sfn.clone(), &h.machine_arn),
    };
    let push: TriggerRequest = serde_json::from_value(json!({
        "version": "0", "id": "6f1e2c4a-push-0001", "detail-type": "CodeCommit Repository State Change",
        "source": "aws.codecommit", "account": "123456789012", "time": "2026-12-01T10:00:00Z", "region": "us-east-1",
        "resources": [format!("arn:aws:codecommit:us-east-1:123456789012:{REPOSITORY}")],
        "detail": {
            "event": "referenceUpdated", "repositoryName": REPOSITORY, "repositoryId": "12345678-1234-5678-abcd-12345678abcd",
            "referenceType": "branch", "referenceName": "main", "referenceFullName": "refs/heads/main",
            "commitId": COMMIT, "oldCommitId": "3e5983a1b2c3d4e5f60718293a4b5c6d7e8f9012"
        }
    }))
    .unwrap();
    let TriggerOutcome::Started { execution, commit, .. } = trigger.handle(push).await.unwrap() else {
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
    let deployments = h.deployments().await;
    assert_eq!(deployments.len(), 1);
    let (tag, key) = &deployments[0];
    assert_eq!((tag.artifact.clone(), tag.rollback), (app.artifact.clone(), false));
    assert_eq!(format!("s3://artifacts/{key}"), app.content.unwrap().uri);
    h.nothing_parked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_during_the_bake_rolls_the_group_back_to_its_last_good_version() {
    // The example with a Release stage after Staging: an approval.
    let pipeline = example("pipeline.yml").replace(
        "\n\ndeployment_groups:",
        "\n  - name: Release\n    actions:\n      - { name: Approve, type: approval, message: \"Ship it?\" }\n\ndeployment_groups:",
    );
    assert!(pipeline.contains("name: Release"));
    let h = Harness::new(&pipeline).await;

    // A first release: deployed, baked, approved; app@1 becomes staging's last-good.
    let first = h.execute("release-1", manual_input()).await;
    assert_eq!(first.status, ExecutionStatus::Succeeded, "{:?}", first.error);
    let good = h.cloud.store.manifest("hello", "app", 1).await.unwrap().unwrap().artifact;
    assert_eq!(h.cloud.store.last_good("hello", "staging").await.unwrap(), Some(good.clone()));

    // A second: during its bake, staging-health goes to ALARM.
    h.functions.alarm_in_bake.store(true, Ordering::SeqCst);
    let second = h.execute("release-2", manual_input()).await;
    assert_eq!(second.status, ExecutionStatus::Failed);
    let error = second.error.unwrap();
    assert!(format!("{error:?}").contains("AlarmTriggered"), "{error:?}");

    // CodeDeploy saw app@1, app@2, then a rollback deployment of app@1; last-good stays app@1.
    let mut seen: Vec<(u64, bool)> = h
        .deployments()
        .await
        .iter()
        .map(|(d, _)| (d.artifact.version, d.rollback))
        .collect();
    seen.sort();
    assert_eq!(seen, [(1, false), (1, true), (2, false)]);
    assert_eq!(h.cloud.store.last_good("hello", "staging").await.unwrap(), Some(good));
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
