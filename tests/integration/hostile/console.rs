//! The console attacked over HTTP. Bound to every address (`--bind 0.0.0.0`), it answered 421 to
//! every name and address but loopback's, matched Host case-sensitively, refused HEAD, sent no
//! Content-Security-Policy or X-Frame-Options, took 16 spaces for a token, and answered 500 to a
//! version number past SQLite's integers. (Connections here go to 127.0.0.1 only; the Host
//! header says what name the client used.)

use crate::console::{Console, http};
use crate::util::Project;

const TOKEN: &str = "k3JqP-9xWz.T7mVb~R2s";

fn project() -> Project {
    let project = Project::with_files(&[
        (
            "pipeline.yml",
            "name: p\nstages:\n  - name: Build\n    actions:\n      - { name: Compile, type: build }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: [true]\n"),
    ]);
    std::fs::create_dir_all(project.state_dir()).expect("state");
    project
}

#[test]
fn on_every_address_the_console_answers_to_addresses_and_its_names_and_nothing_else() {
    let project = project();
    let console = Console::start_with(project.path(), &["--bind", "0.0.0.0", "--token", TOKEN, "--host", "CI.Example.com"]);
    let (port, session) = (console.port, console.session());
    let get = |method: &str, host: &str, path: &str| http(port, method, path, &[("Host", host), ("Cookie", &session)], "");

    for host in [
        format!("127.0.0.1:{port}"),
        format!("192.0.2.7:{port}"),
        format!("[2001:db8::7]:{port}"),
        format!("ci.example.com:{port}"),
        format!("CI.EXAMPLE.COM:{port}"),
        format!("LocalHost:{port}"),
    ] {
        let (status, head, _) = get("GET", &host, "/");
        assert_eq!(status, 200, "{host}: {head}");
        assert!(head.to_lowercase().contains("x-frame-options: deny"), "{head}");
        let csp = head
            .lines()
            .find(|l| l.to_lowercase().starts_with("content-security-policy:"))
            .unwrap_or_else(|| panic!("no Content-Security-Policy: {head}"));
        assert!(
            csp.contains("script-src 'sha256-") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
    }
    for host in [
        format!("evil.example:{port}"),
        format!("192.0.2.7:{}", port.wrapping_add(1)),
        String::new(),
    ] {
        let (status, head, _) = get("GET", &host, "/");
        assert_eq!(status, 421, "{host:?}: {head}");
        assert!(
            head.to_lowercase().contains("content-security-policy:"),
            "refusals carry the headers too: {head}"
        );
    }

    let (status, head, body) = get("HEAD", &format!("127.0.0.1:{port}"), "/api/pipeline");
    assert_eq!(status, 200, "HEAD reads as GET does: {head}");
    assert!(body.is_empty(), "HEAD has no body: {body}");

    let (status, _, body) = get("GET", &format!("127.0.0.1:{port}"), "/api/artifacts/app/18446744073709551615");
    assert_eq!(status, 404, "{body}");
}

#[test]
fn a_token_that_is_easy_to_guess_is_refused() {
    let project = project();
    for (token, words) in [
        ("                ", "may hold only"),
        ("0000000000000000", "too easy to guess"),
        ("abababababababababab", "too easy to guess"),
        ("short", "at least 16 characters"),
    ] {
        let out = super::baton(
            project.path(),
            &["ui", "--port", "0", "--bind", "0.0.0.0", "--token", token, "--pipeline", "."],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token:?}: {stderr}");
        assert!(stderr.contains(words), "{token:?}: {stderr}");
    }
}
