//! The AWS path end to end, without AWS: a CodeCommit push event reaches the trigger function,
//! which starts the synthesized state machine on moto's Step Functions; that execution's input
//! then runs in `baton-asl` with every Task dispatched to the AWS-wired function handlers
//! (source, gate, build, deploy, bake) over moto (S3, DynamoDB, CodeBuild, CodeDeploy,
//! Scheduler) and aws-smithy-mocks where moto has no implementation (CodeCommit content,
//! CloudWatch alarms, build details). The test plays the services' asynchronous halves, as
//! `../shared/OFFLINE-AWS.md` says it must: CodeBuild's upload of outputs and its state-change
//! event, CodeDeploy's state-change event, and Scheduler firing the bake timer — each in the
//! documented event shape, handed to the events function.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
use aws_sdk_codebuild::types::{Build, BuildArtifacts};
use aws_sdk_codecommit::operation::get_blob::GetBlobOutput;
use aws_sdk_codecommit::operation::get_commit::GetCommitOutput;
use aws_sdk_codecommit::operation::get_folder::GetFolderOutput;
use aws_sdk_codecommit::types::{Commit, File, FileModeTypeEnum, UserInfo};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use aws_smithy_types::Blob;
use baton_asl::{ExecutionSpec, ExecutionStatus, Interpreter, MemorySink, StateMachine, StatesError, TaskCall, TaskInvoker, TaskTokens};
use baton_aws::cloudwatch::CloudWatchAlarms;
use baton_aws::codebuild::{CORRELATION_VAR, CodeBuildRunner};
use baton_aws::codecommit::CodeCommitChanges;
use baton_aws::codecommit_source::CodeCommitSource;
use baton_aws::codedeploy::CodeDeployer;
use baton_aws::dynamodb::{DynamoLanes, DynamoState};
use baton_aws::emf::EmfMetricsSink;
use baton_aws::events_function::EventsFunction;
use baton_aws::functions::{BakeFunction, BuildFunction, DeployFunction, SourceFunction};
use baton_aws::gate::{GateFunction, GateRequest};
use baton_aws::s3::{Encryption, S3ArtifactStore};
use baton_aws::scheduler::SchedulerTimers;
use baton_aws::sfn::StepFunctions;
use baton_aws::trigger::{TriggerFunction, TriggerRequest};
use baton_core::ports::{ArtifactRef, ArtifactStore, PendingTasks, TaskCallbacks};
use baton_core::stages::trigger::TriggerOutcome;
use baton_core::stages::{StageError, correlation};
use baton_local::bus::InterpreterCallbacks;
use common::Moto;
use serde_json::{Value, json};

const COMMIT: &str = "7f0103fa1e2b3c4d5e6f708192a3b4c5d6e7f801";
const REPOSITORY: &str = "hello-app";
const APPLICATION: &str = "hello-app";
const PROJECT: &str = "baton-builds";
const EVENTS_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:baton-events";

fn example(file: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello-app").join(file)).unwrap()
}

fn sample_event(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/events").join(file)).unwrap()).unwrap()
}

/// CodeCommit's content APIs (not in moto): one commit holding the example's top-level files.
fn codecommit() -> aws_sdk_codecommit::Client {
    const FILES: [&str; 4] = ["pipeline.yml", "buildspec.yml", "lint.buildspec.yml", "appspec.yml"];
    let commit = mock!(aws_sdk_codecommit::Client::get_commit).then_output(|| {
        let who = UserInfo::builder().name("Mary Major").date("1764583200 +0000").build();
        GetCommitOutput::builder()
            .commit(
                Commit::builder()
                    .commit_id(COMMIT)
                    .message("Say hello")
                    .author(who.clone())
                    .committer(who)
                    .build(),
            )
            .build()
    });
    let folder = mock!(aws_sdk_codecommit::Client::get_folder)
        .match_requests(|r| r.folder_path() == Some("/") && r.commit_specifier() == Some(COMMIT))
        .then_output(|| {
            let files = FILES.map(|f| {
                File::builder()
                    .absolute_path(format!("/{f}"))
                    .blob_id(f)
                    .file_mode(FileModeTypeEnum::Normal)
                    .build()
            });
            GetFolderOutput::builder()
                .commit_id(COMMIT)
                .folder_path("/")
                .set_files(Some(files.to_vec()))
                .build()
                .unwrap()
        });
    let blob = mock!(aws_sdk_codecommit::Client::get_blob).then_compute_output(|r| {
        GetBlobOutput::builder()
            .content(Blob::new(example(r.blob_id().unwrap())))
            .build()
            .unwrap()
    });
    mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, [&commit, &folder, &blob])
}

/// CloudWatch (moto does not speak its protocol): the bake's alarm is OK.
fn cloudwatch() -> aws_sdk_cloudwatch::Client {
    let alarms = mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_compute_output(|r| {
        let alarms = r
            .alarm_names()
            .iter()
            .map(|n| MetricAlarm::builder().alarm_name(n).state_value(StateValue::Ok).build());
        DescribeAlarmsOutput::builder().set_metric_alarms(Some(alarms.collect())).build()
    });
    mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&alarms])
}

/// What CodeBuild reports for a finished build (moto fakes it): its outputs' locations.
type Builds = Arc<Mutex<HashMap<String, Vec<(String, String)>>>>;

fn build_details(builds: Builds) -> aws_sdk_codebuild::Client {
    let get = mock!(aws_sdk_codebuild::Client::batch_get_builds).then_compute_output(move |r| {
        let id = r.ids()[0].clone();
        let outputs = builds.lock().unwrap().get(&id).cloned().unwrap_or_default();
        let mut build = Build::builder().id(&id).project_name(PROJECT);
        for (i, (name, location)) in outputs.into_iter().enumerate() {
            let artifact = BuildArtifacts::builder().location(location);
            build = if i == 0 {
                build.artifacts(artifact.build())
            } else {
                build.secondary_artifacts(artifact.artifact_identifier(name).build())
            };
        }
        BatchGetBuildsOutput::builder().builds(build.build()).build()
    });
    mock_client!(aws_sdk_codebuild, RuleMode::MatchAny, [&get])
}

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
    bake: BakeFunction,
    events: Arc<EventsFunction>,
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
            "bake" => f.bake.handle(payload.clone()).await,
            other => panic!("the hello pipeline invokes no {other} function"),
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
                "bake" => functions.fire_timers().await,
                _ => {}
            }
        });
        Ok(value)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_codecommit_push_runs_the_pipeline_to_the_end_on_the_aws_adapters() {
    let moto = Moto::start();
    let cloud = cloud(&moto).await;
    let pipeline = baton_core::parse_pipeline(Path::new("pipeline.yml"), &example("pipeline.yml")).unwrap();

    // The state machine as `sam deploy` would create it, on moto's Step Functions.
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

    // 1. The push: EventBridge's CodeCommit event, to the trigger function.
    let trigger = TriggerFunction {
        repository: REPOSITORY.into(),
        triggers: pipeline.triggers.push_or_branch("main"),
        schedules: pipeline.triggers.schedules.clone(),
        default_branch: "main".into(),
        // Branch filters only: no GetDifferences call may happen (the mock has no rule for it).
        files: CodeCommitChanges::new(mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, []), REPOSITORY),
        starter: StepFunctions::new(cloud.sfn.clone(), &machine_arn),
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
    let started = cloud
        .sfn
        .describe_execution()
        .execution_arn(format!("{}:{execution}", machine_arn.replace(":stateMachine:", ":execution:")))
        .send()
        .await
        .unwrap();
    let input: Value = serde_json::from_str(started.input().unwrap()).unwrap();

    // 2. That execution, interpreted, with every Task on the AWS-wired handlers.
    let tokens = TaskTokens::default();
    let callbacks: Arc<dyn TaskCallbacks> = Arc::new(InterpreterCallbacks::new(tokens.clone()));
    let store = cloud.store.clone();
    let builds: Builds = Arc::default();
    let functions = Arc::new(Functions {
        source: SourceFunction {
            source: CodeCommitSource::new(codecommit(), REPOSITORY, "main", store.clone()),
        },
        gate: GateFunction {
            pipeline: pipeline.name.clone(),
            mode: pipeline.execution_mode,
            state_machine_arn: machine_arn.clone(),
            state: cloud.pending.clone(),
            lanes: DynamoLanes::new(
                cloud.pending.clone(),
                callbacks.clone(),
                Arc::new(EmfMetricsSink::new(std::io::sink())),
            ),
        },
        build: BuildFunction {
            builds: CodeBuildRunner::new(aws_sdk_codebuild::Client::new(&moto.sdk_config()), PROJECT, store.clone()),
            pending: cloud.pending.clone(),
        },
        deploy: DeployFunction {
            deployer: CodeDeployer::new(cloud.codedeploy.clone(), APPLICATION, store.clone()),
            pending: cloud.pending.clone(),
        },
        bake: BakeFunction {
            alarms: CloudWatchAlarms::new(cloudwatch()),
            pending: cloud.pending.clone(),
            timers: SchedulerTimers::new(
                cloud.scheduler.clone(),
                "default",
                EVENTS_ARN,
                "arn:aws:iam::123456789012:role/baton-scheduler",
            ),
        },
        events: Arc::new(EventsFunction {
            store: store.clone(),
            pending: cloud.pending.clone(),
            callbacks,
            alarms: CloudWatchAlarms::new(cloudwatch()),
            metrics: Arc::new(EmfMetricsSink::new(std::io::sink())),
            builds: CodeBuildRunner::new(build_details(builds.clone()), PROJECT, store.clone()),
            deployer: CodeDeployer::new(cloud.codedeploy.clone(), APPLICATION, store.clone()),
        }),
        builds,
        s3: cloud.s3.clone(),
        scheduler: cloud.scheduler.clone(),
    });
    let machine = StateMachine::from_json(&definition).unwrap();
    let interpreter = Interpreter::with_tokens(Arc::new(Invoker(functions.clone())), Arc::new(MemorySink::default()), tokens);
    let spec = ExecutionSpec {
        state_machine_arn: machine_arn.clone(),
        execution_name: execution.clone(),
        input,
    };
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(60), interpreter.execute(&machine, &spec))
        .await
        .expect("the execution ends within a minute");
    assert_eq!(outcome.status, ExecutionStatus::Succeeded, "{:?}", outcome.error);

    // What it left: the source at the pushed commit, the built app, staging's last-good, one
    // deployment of the app's own bundle, and no task still parked.
    let source = store.manifest("hello", "source", 1).await.unwrap().unwrap();
    assert_eq!(source.provenance.commit_id.as_deref(), Some(COMMIT));
    let app = store.manifest("hello", "app", 1).await.unwrap().unwrap();
    assert_eq!(app.provenance.action, "Build:Compile");
    assert_eq!(store.last_good("hello", "staging").await.unwrap(), Some(app.artifact.clone()));
    let deployments = cloud
        .codedeploy
        .list_deployments()
        .application_name(APPLICATION)
        .deployment_group_name("staging")
        .send()
        .await
        .unwrap();
    assert_eq!(deployments.deployments().len(), 1);
    let info = cloud
        .codedeploy
        .get_deployment()
        .deployment_id(&deployments.deployments()[0])
        .send()
        .await
        .unwrap();
    let s3 = info.deployment_info().unwrap().revision().unwrap().s3_location().unwrap();
    assert_eq!(format!("s3://artifacts/{}", s3.key().unwrap()), app.content.unwrap().uri);
    for prefix in ["build/", "deployment/", "bake/"] {
        assert!(
            cloud.pending.list(prefix).await.unwrap().is_empty(),
            "a {prefix} task is still parked"
        );
    }

    // 3. Step Functions reports the end; the execution leaves its stage lock to whoever is next.
    let ended: GateRequest = serde_json::from_value(json!({
        "version": "0", "id": "ended-0001", "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
        "account": "123456789012", "time": "2026-12-01T10:01:00Z", "region": "us-east-1", "resources": [],
        "detail": { "executionArn": spec.execution_arn(), "stateMachineArn": machine_arn, "name": execution, "status": "SUCCEEDED" }
    }))
    .unwrap();
    assert_eq!(functions.gate.handle(ended).await.unwrap()["left"], json!(execution));
}
