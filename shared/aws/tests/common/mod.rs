//! A moto server for one test: started on 127.0.0.1 on a free port from the venv that
//! `scripts/test.sh` installs, stopped when the fixture drops, pass or fail. It is moto's own
//! server serving one request at a time (`scripts/moto_serial.py` says why: moto's conditional
//! writes are not atomic under concurrent requests); `BATON_MOTO_SERVER` names another
//! executable taking `-H HOST -p PORT`.

#![allow(dead_code, reason = "each test binary uses part of the fixture")]

pub(crate) mod faults;
#[cfg(feature = "stack")]
pub(crate) mod stack_ops;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub(crate) fn start() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut command = match std::env::var_os("BATON_MOTO_SERVER") {
            Some(exe) => Command::new(exe),
            None => {
                let python = root.join(".venv/bin/python");
                assert!(
                    python.exists(),
                    "{} is missing: run scripts/test.sh, which installs moto into .venv",
                    python.display()
                );
                let mut c = Command::new(python);
                c.arg(root.join("scripts/moto_serial.py"));
                c
            }
        };
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not listen on port {port} within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// An SDK configuration that talks to this server, with moto's dummy credentials.
    pub(crate) fn sdk_config(&self) -> aws_types::SdkConfig {
        aws_types::SdkConfig::builder()
            .behavior_version(aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("testing", "testing", None, None, "moto"),
            ))
            .http_client(baton_aws::sdk::http_client())
            .build()
    }

    /// [`Self::sdk_config`] through `proxy`, with the production timeouts shortened and quick
    /// retries, so that injected faults play out in a test's time.
    pub(crate) fn faulty_config(&self, proxy: &faults::FaultProxy) -> aws_types::SdkConfig {
        use aws_smithy_types::retry::RetryConfig;
        use aws_smithy_types::timeout::TimeoutConfig;
        self.sdk_config()
            .into_builder()
            .endpoint_url(&proxy.endpoint)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_attempt_timeout(Duration::from_secs(2))
                    .build(),
            )
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(4)
                    .with_initial_backoff(Duration::from_millis(20)),
            )
            .build()
    }
}

/// Fixtures on this server: what the adapters expect to exist, created as the template would.
impl Moto {
    /// An S3 client (path-style, as moto serves) and a bucket with versioning on.
    pub(crate) async fn versioned_bucket(&self, bucket: &str) -> aws_sdk_s3::Client {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config()).force_path_style(true).build();
        let client = aws_sdk_s3::Client::from_conf(config);
        client.create_bucket().bucket(bucket).send().await.unwrap();
        client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
            .send()
            .await
            .unwrap();
        client
    }

    /// The state table (`pk`, `sk`), on demand.
    pub(crate) async fn state_table(&self, table: &str) -> baton_aws::dynamodb::DynamoState {
        use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
        let client = aws_sdk_dynamodb::Client::new(&self.sdk_config());
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap();
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        client
            .create_table()
            .table_name(table)
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .attribute_definitions(attr("pk"))
            .attribute_definitions(attr("sk"))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap();
        baton_aws::dynamodb::DynamoState::new(client, table)
    }

    /// The shared CodeBuild project every build action overrides (moto wants a source location
    /// even for NO_SOURCE).
    pub(crate) async fn build_project(&self, name: &str) -> aws_sdk_codebuild::Client {
        use aws_sdk_codebuild::types::{
            ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment, ProjectSource, SourceType,
        };
        let client = aws_sdk_codebuild::Client::new(&self.sdk_config());
        client
            .create_project()
            .name(name)
            .source(
                ProjectSource::builder()
                    .r#type(SourceType::NoSource)
                    .location("none")
                    .build()
                    .unwrap(),
            )
            .artifacts(ProjectArtifacts::builder().r#type(ArtifactsType::NoArtifacts).build().unwrap())
            .environment(
                ProjectEnvironment::builder()
                    .r#type(EnvironmentType::ArmContainer)
                    .image("aws/codebuild/amazonlinux-aarch64-standard:3.0")
                    .compute_type(ComputeType::BuildGeneral1Small)
                    .build()
                    .unwrap(),
            )
            .service_role("arn:aws:iam::123456789012:role/baton-builds")
            .send()
            .await
            .unwrap();
        client
    }

    /// A one-state machine named `baton-pipeline`: a client and its ARN.
    pub(crate) async fn state_machine(&self) -> (aws_sdk_sfn::Client, String) {
        let sfn = aws_sdk_sfn::Client::new(&self.sdk_config());
        let arn = sfn
            .create_state_machine()
            .name("baton-pipeline")
            .definition(r#"{"StartAt":"Source","States":{"Source":{"Type":"Pass","End":true}}}"#)
            .role_arn("arn:aws:iam::123456789012:role/baton-state-machine")
            .send()
            .await
            .unwrap()
            .state_machine_arn
            .clone();
        (sfn, arn)
    }

    /// A deployment group of a CodeDeploy application, the application made if need be.
    pub(crate) async fn deployment_group(&self, application: &str, group: &str) -> aws_sdk_codedeploy::Client {
        let client = aws_sdk_codedeploy::Client::new(&self.sdk_config());
        let known = client.get_application().application_name(application).send().await.is_ok();
        if !known {
            client.create_application().application_name(application).send().await.unwrap();
        }
        client
            .create_deployment_group()
            .application_name(application)
            .deployment_group_name(group)
            .service_role_arn("arn:aws:iam::123456789012:role/baton-codedeploy")
            .send()
            .await
            .unwrap();
        client
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One version of `app` in `store` for pipeline `hello`: a tree holding an appspec, what a
/// deployment test deploys.
pub(crate) async fn app_artifact(store: &baton_aws::s3::S3ArtifactStore) -> baton_core::ports::ArtifactRef {
    app_version(store, &[("appspec.yml", "version: 0.0\nos: linux\n")]).await
}

/// The next version of `app` in `store` for pipeline `hello`, holding these files.
pub(crate) async fn app_version(store: &baton_aws::s3::S3ArtifactStore, files: &[(&str, &str)]) -> baton_core::ports::ArtifactRef {
    use baton_core::ports::{ArtifactStore, Provenance, StagedArtifact};
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("a file of the version");
    }
    let staged = StagedArtifact {
        name: "app".into(),
        location: dir.path().to_string_lossy().into_owned(),
    };
    let provenance = Provenance {
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Build:Compile".into(),
        ..Provenance::default()
    };
    store.put(&staged, provenance).await.expect("stored").artifact
}

/// Version 1 of the `source` of pipeline `hello` in `store`: a tree holding `buildspec.yml`,
/// what a build test builds.
#[allow(dead_code, reason = "each test binary uses what it needs of these fixtures")]
pub(crate) async fn source_artifact(store: &baton_aws::s3::S3ArtifactStore, buildspec: &str) -> baton_core::ports::ArtifactRef {
    use baton_core::ports::{ArtifactStore, Provenance, StagedArtifact};
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("buildspec.yml"), buildspec).expect("buildspec");
    let staged = StagedArtifact {
        name: "source".into(),
        location: dir.path().to_string_lossy().into_owned(),
    };
    let provenance = Provenance {
        pipeline: "hello".into(),
        execution_id: "e1".into(),
        action: "Source".into(),
        ..Provenance::default()
    };
    store.put(&staged, provenance).await.expect("stored").artifact
}
