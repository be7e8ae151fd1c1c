//! `baton ui` over HTTP on loopback: a real console process beside a real run. It shows the run
//! live (a change event when the build ends, the build's action SUCCEEDED), answers the
//! approval the run waits on, and refuses what a page from elsewhere, a request without the
//! session, or a wrong Host would do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::util::{Project, until, until_blocking};

/// The console process, stopped when the test ends, pass or fail.
pub(crate) struct Console {
    child: Child,
    pub(crate) port: u16,
    pub(crate) token: String,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Console {
    fn start(project: &std::path::Path) -> Self {
        Self::start_with(project, &[])
    }

    /// `baton ui` on any free port with `args`; bound to loopback unless they say otherwise.
    pub(crate) fn start_with(project: &std::path::Path, args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command
            .args(["ui", "--port", "0"])
            .args(args)
            .arg("--pipeline")
            .arg(project)
            .env("USER", "ada")
            .env("NO_COLOR", "1")
            .env_remove("BATON_STATE_DIR");
        Self::spawn(command)
    }

    /// `command` (a `baton ui --port 0 …`), once it has printed its address.
    pub(crate) fn spawn(mut command: Command) -> Self {
        let mut child = command
            .env_remove("BATON_UI_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("baton ui starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the console prints its address");
        let address = line.split_whitespace().find(|w| w.starts_with("http://")).expect("an address");
        let (host, token) = address
            .trim_start_matches("http://")
            .split_once("/?token=")
            .expect("address with token");
        let port = host.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
        assert!(host.starts_with("127.0.0.1:"), "shown on loopback: {host}");
        Self {
            child,
            port,
            token: token.to_string(),
        }
    }

    pub(crate) fn session(&self) -> String {
        format!("baton_session={}", self.token)
    }
}

/// The console's change stream on a connection of its own, once open (the console sends its
/// headers when it has read where things stand): each `change` event as the time it came.
pub(crate) fn change_stream(port: u16, session: &str) -> std::sync::mpsc::Receiver<Instant> {
    let (changes_tx, changes) = std::sync::mpsc::channel();
    let (open_tx, open) = std::sync::mpsc::channel();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {session}\r\n\r\n"
    )
    .expect("send");
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if line.is_empty() {
                let _ = open_tx.send(());
            }
            if line == "event: change" && changes_tx.send(Instant::now()).is_err() {
                break;
            }
        }
    });
    open.recv_timeout(Duration::from_secs(30)).expect("the change stream opens");
    changes
}

/// One HTTP/1.1 exchange; (status, head, body).
pub(crate) fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status");
    (status, head.to_string(), body.to_string())
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_a_run_live_answers_its_approval_and_refuses_cross_site_requests() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n  - name: Release\n    actions:\n      - { name: Approve, type: approval, message: Ship it?, timeout: 10m }\n",
        ),
        (
            "buildspec.yml",
            "version: 0.2\nenv:\n  exported-variables: [BUILT]\nphases:\n  build:\n    commands:\n      - sleep 2\n      - echo compiled\n      - BUILT=yes\n",
        ),
    ]);
    // The state directory exists before the console opens it, as after any earlier run.
    let rt = Arc::new(project.runtime().await);
    let console = tokio::task::spawn_blocking({
        let project_dir = project.path().to_path_buf();
        move || Console::start(&project_dir)
    })
    .await
    .expect("join");
    let port = console.port;
    let session = console.session();
    let cookie: [(&str, &str); 1] = [("Cookie", &session)];

    // Opening the printed address turns the token into a session cookie.
    let (status, head, _) = http(port, "GET", &format!("/?token={}", console.token), &[], "");
    assert_eq!(status, 303, "{head}");
    assert!(
        head.contains(&format!("baton_session={}; HttpOnly; SameSite=Strict", console.token)),
        "{head}"
    );
    let (status, _, page) = http(port, "GET", "/", &cookie, "");
    assert_eq!(status, 200);
    assert!(
        page.contains(&console.token) && !page.contains("https://"),
        "the page carries its token and loads nothing from elsewhere"
    );

    // The change stream, read on its own connection from before the run starts.
    let changes = change_stream(port, &session);

    let run = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.run(None, Map::new()).await.expect("run completes") })
    };
    // The execution's detail reads the history, then the parked approvals, each in its own
    // read: between the two the build can end and the approval park, so one answer can show
    // the approval waiting beside a build still running. The page shows both the next time.
    let compiled = |detail: &Value| {
        detail["states"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == "Build:Compile"))
            .is_some_and(|s| s["status"] == "SUCCEEDED")
    };
    let (id, detail) = until("the approval waiting after the build", Duration::from_secs(60), || {
        let (_, _, body) = http(port, "GET", "/api/executions?status=RUNNING", &cookie, "");
        let id = json(&body)["executions"][0]["id"].as_str()?.to_string();
        let (_, _, body) = http(port, "GET", &format!("/api/executions/{id}"), &cookie, "");
        let detail = json(&body);
        let waiting = detail["waiting_approvals"].as_array().is_some_and(|w| !w.is_empty());
        (waiting && compiled(&detail)).then_some((id, detail))
    })
    .await;
    assert_eq!(detail["waiting_approvals"][0]["action"], "Release:Approve");
    assert!(
        changes.recv_timeout(Duration::from_secs(10)).is_ok(),
        "the change stream told the page something changed"
    );
    let build = detail["builds"][0]["id"].as_str().expect("a build");
    let (_, _, log) = http(port, "GET", &format!("/api/executions/{id}/builds/{build}/log"), &cookie, "");
    assert!(json(&log)["text"].as_str().is_some_and(|t| t.contains("compiled")), "{log}");

    let path = format!("/api/executions/{id}/approvals");
    let answer = r#"{"action":"Release:Approve","approved":true,"comment":"lgtm"}"#;
    let origin = format!("http://127.0.0.1:{port}");
    let token = console.token.as_str();
    let json_type = ("Content-Type", "application/json");
    // What a page from elsewhere, or a request without the session, could try.
    let refused = [
        (vec![json_type], 401, "no session"),
        (vec![cookie[0], json_type], 403, "no token header"),
        (
            vec![cookie[0], json_type, ("X-Baton-Token", token), ("Origin", "http://evil.example")],
            403,
            "another origin",
        ),
        (
            vec![cookie[0], json_type, ("X-Baton-Token", "0123456789abcdef0123456789abcdef")],
            403,
            "a wrong token",
        ),
        (
            vec![cookie[0], json_type, ("X-Baton-Token", token), ("Host", "evil.example")],
            421,
            "another host (DNS rebinding)",
        ),
    ];
    for (headers, want, what) in refused {
        let (status, _, body) = http(port, "POST", &path, &headers, answer);
        assert_eq!(status, want, "{what}: {body}");
    }
    let good = [cookie[0], json_type, ("X-Baton-Token", token), ("Origin", origin.as_str())];
    let (status, _, body) = http(
        port,
        "POST",
        &path,
        &good,
        r#"{"action":"Release:Approve","approved":true,"extra":1}"#,
    );
    assert!((400..500).contains(&status), "unknown fields are refused: {status} {body}");
    let (status, _, body) = http(port, "POST", "/api/executions/..%2F..%2Fetc/approvals", &good, answer);
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = http(port, "POST", &path, &good, r#"{"action":"Release:Nope","approved":true}"#);
    assert_eq!(status, 409, "{body}");
    let (status, _, body) = http(port, "GET", "/api/executions?status=bogus", &cookie, "");
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = http(port, "POST", &path, &good, answer);
    assert_eq!(status, 202, "{body}");
    assert_eq!(json(&body)["approver"], "ada (console)");

    let record = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends after the approval")
        .expect("join");
    assert_eq!(record.status, "SUCCEEDED", "{record:?}");
    let (_, _, body) = http(port, "GET", &format!("/api/executions/{id}"), &cookie, "");
    assert_eq!(json(&body)["outputs"]["Build:Compile"]["variables"]["BUILT"], "yes", "{body}");
    let approve = json(&body)["states"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "Release:Approve").cloned())
        .expect("the approval state");
    assert_eq!(approve["status"], "SUCCEEDED");
    assert!(approve["result"].to_string().contains("ada (console)"), "{approve}");
    let summary = json(&body)["summaries"]["Release:Approve"].clone();
    assert_eq!(summary, "approved by ada (console) “lgtm”");

    // The source version the run stored, with its provenance; the first version changes nothing.
    let source = json(&body)["artifacts"]["Source"][0].clone();
    assert_eq!(source["name"], "source", "{body}");
    let (status, _, stored) = http(port, "GET", &format!("/api/artifacts/source/{}", source["version"]), &cookie, "");
    assert_eq!(status, 200, "{stored}");
    let stored = json(&stored);
    assert_eq!(stored["manifest"]["provenance"]["execution_id"], id.as_str());
    assert_eq!(stored["manifest"]["digest"], source["digest"]);
    assert!(
        stored["previous"].is_null() && stored["changes"] == serde_json::json!([]),
        "{stored}"
    );
    assert_eq!(http(port, "GET", "/api/artifacts/source/999", &cookie, "").0, 404);
    assert_eq!(http(port, "GET", "/api/artifacts/..%2Fx/1", &cookie, "").0, 400);

    // Filters: words each found in the id, commit, trigger or failure.
    let found = |q: &str| {
        let (status, _, body) = http(port, "GET", &format!("/api/executions?q={q}"), &cookie, "");
        assert_eq!(status, 200, "{body}");
        json(&body)["executions"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(found(&id[..12]), 1);
    assert_eq!(found(&format!("{}+manual", &id[..12])), 1, "the trigger of `baton run` is manual");
    assert_eq!(found("no-such-execution"), 0);

    // The graph is the state machine's: the stage gate, the action, and what a Catch leads to.
    let (_, _, body) = http(port, "GET", "/api/pipeline", &cookie, "");
    let graph = json(&body)["graph"].clone();
    let roles: Vec<(String, String)> = graph["flow"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            (
                n["state"].as_str().unwrap_or_default().into(),
                n["role"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    for want in [("Enter Build", "gate"), ("Build:Compile", "action"), ("Release:Approve", "action")] {
        assert!(roles.contains(&(want.0.into(), want.1.into())), "{want:?} in {roles:?}");
    }
    assert!(graph["handlers"].to_string().contains("\"Failed\""), "{graph}");

    let (status, _, body) = http(port, "GET", "/api/observability", &cookie, "");
    assert_eq!(status, 200, "{body}");
    let seen = json(&body);
    assert!(seen["dora"]["deployment_frequency_per_day"].is_number(), "{seen}");
    let names: Vec<&str> = seen["series"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"ActionDuration"), "the run's metrics are charted: {names:?}");
    drop(console);
}

#[test]
fn ctrl_c_stops_the_console_even_with_a_page_listening() {
    let project = Project::with_files(&[(
        "pipeline.yml",
        "name: p\nstages:\n  - name: Release\n    actions:\n      - { name: Approve, type: approval }\n",
    )]);
    let mut console = Console::start(project.path());
    let port = console.port;
    // An open page: its change stream never ends by itself.
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {}\r\n\r\n",
        console.session()
    )
    .expect("send");
    let mut head = String::new();
    BufReader::new(stream.try_clone().expect("clone"))
        .read_line(&mut head)
        .expect("the stream answers");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    let interrupt = Command::new("kill")
        .args(["-INT", &console.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupt.success());
    let exited = until_blocking("the console ending after Ctrl-C", Duration::from_secs(10), || {
        console.child.try_wait().expect("wait")
    });
    assert!(exited.success(), "{exited:?}");
}

/// An old execution is drawn with the state machine it ran: a stage added to pipeline.yml since
/// is in today's graph, not in that execution's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_execution_is_drawn_with_the_machine_it_ran() {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo ok\n"),
    ]);
    let (_, record) = project.run().await;
    assert!(record.succeeded(), "{record:?}");
    project.edit(
        "pipeline.yml",
        "      - { name: Compile, type: build }\n",
        "      - { name: Compile, type: build }\n  - name: Later\n    actions:\n      - { name: Check, type: test }\n",
    );
    let console = tokio::task::spawn_blocking({
        let dir = project.path().to_path_buf();
        move || Console::start(&dir)
    })
    .await
    .expect("join");
    let session = console.session();
    let cookie: [(&str, &str); 1] = [("Cookie", &session)];
    let (_, _, today) = http(console.port, "GET", "/api/pipeline", &cookie, "");
    let (_, _, then) = http(console.port, "GET", &format!("/api/executions/{}", record.id), &cookie, "");
    assert!(json(&today)["graph"].to_string().contains("Later:Check"), "{today}");
    let then = json(&then);
    assert!(then["graph"]["flow"].is_array(), "{then}");
    assert!(
        !then["graph"].to_string().contains("Later:Check"),
        "the old execution's graph: {then}"
    );
    assert!(then["graph"].to_string().contains("Build:Compile"), "{then}");
}
