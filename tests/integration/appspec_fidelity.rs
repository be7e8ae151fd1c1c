//! An appspec on the instances, as the CodeDeploy agent installs it
//! (aws/aws-codedeploy-agent, `application_specification.rb`, `linux_permission_info.rb`): the
//! mode of `permissions` is applied to what it matches; what a local deployment cannot apply
//! (owner, runas) and what the agent reads past (`overwrite`) is said in the lifecycle log,
//! and the deployment goes on.

use std::os::unix::fs::PermissionsExt;

use crate::util::Project;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_apply_their_mode_and_what_is_not_applied_is_said() {
    let project = Project::example("hello-app");
    project.edit("appspec.yml", "    destination: /opt/hello\n", "    destination: /opt/hello\n    overwrite: true\npermissions:\n  - object: /opt/hello\n    pattern: \"*.py\"\n    mode: 600\n    owner: nobody\n    type: [file]\n");
    project.edit(
        "appspec.yml",
        "    - location: scripts/validate_service.sh\n",
        "    - location: scripts/validate_service.sh\n      runas: root\n",
    );
    let (_, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");

    let instance = project.state_dir().join("groups/hello/staging/instance-0");
    let app = instance.join("root/opt/hello");
    let mut seen = 0;
    for entry in std::fs::read_dir(&app).expect("installed") {
        let path = entry.expect("entry").path();
        let mode = std::fs::metadata(&path).expect("metadata").permissions().mode() & 0o777;
        if path.extension().is_some_and(|e| e == "py") {
            assert_eq!(mode, 0o600, "{}", path.display());
            seen += 1;
        } else {
            assert_ne!(mode, 0o600, "{} does not match *.py", path.display());
        }
    }
    assert!(seen > 0, "the revision installs python files");

    let log = std::fs::read_to_string(instance.join("lifecycle.log")).expect("lifecycle log");
    for said in [
        "[baton] appspec.yml:6:5: the CodeDeploy agent ignores `overwrite`",
        "[baton] permissions of /opt/hello: owner not applied locally",
        "[baton] ValidateService scripts/validate_service.sh: runas `root` not applied locally",
    ] {
        assert!(log.contains(said), "{said}\n{log}");
    }
}
