//! The console's latency (`baton ui`) with 1,000 executions in the database: the execution page's
//! data (`GET /api/executions/{id}`), the executions list and the page itself, each beside the
//! same data read straight from SQLite in this process (the floor the server adds HTTP and JSON
//! to); then the time from a commit to the state database to the page knowing of it (the change
//! event) and to the page holding the new data (event + the execution fetch).
//!
//! `cargo bench --bench ui` (BATON_BENCH_EXECUTIONS sets the number, default 1000).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a benchmark reports on stdout and stops on any failure"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_local::query;

fn get(port: u16, path: &str, cookie: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{path}: {}",
        answer.lines().next().unwrap_or_default()
    );
    answer
}

fn percentiles(mut xs: Vec<Duration>) -> String {
    xs.sort();
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    format!("p50 {:7.2} ms  p95 {:7.2} ms", at(0.5), at(0.95))
}

fn time(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn main() {
    let n: usize = std::env::var("BATON_BENCH_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let common::Bench { dir, rt, runtime } = common::project(&[
        (
            "pipeline.yml",
            "name: ui\nexecution_mode: PARALLEL\nstages:\n  - name: Check\n    actions:\n      - { name: Noop, type: test }\n",
        ),
        ("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: ['echo checked']\n"),
    ]);
    let runtime = Arc::new(runtime);
    let filled = Instant::now();
    let records = common::run_many(&rt, &runtime, n);
    assert!(records.iter().all(|r| r.succeeded()));
    println!(
        "{n} executions in the database ({:.1} s to run them)",
        filled.elapsed().as_secs_f64()
    );
    let id = records[n / 2].id.clone();
    // Nothing else writes while the console is measured: a stray commit would be a change event
    // that no round made.
    drop(runtime);
    drop(rt);
    let db = baton_local::db::Db::open(&dir.path().join(".baton/baton.db")).unwrap();

    let mut console = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["ui", "--port", "0", "--pipeline"])
        .arg(dir.path())
        .args(["--state-dir"])
        .arg(dir.path().join(".baton"))
        .env_remove("BATON_UI_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(console.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap();
    let (host, token) = address.trim_start_matches("http://").split_once("/?token=").unwrap();
    let port: u16 = host.rsplit(':').next().unwrap().parse().unwrap();
    let cookie = format!("baton_session={token}");

    let page = format!("/api/executions/{id}");
    get(port, &page, &cookie); // warm
    println!("\nexecution page data, 200 requests:");
    println!(
        "  console  GET {page:<44} {}",
        percentiles(time(200, || drop(get(port, &page, &cookie))))
    );
    let direct = time(200, || {
        let history = query::history(&db, &id).unwrap();
        let states = query::states(&history);
        let doc = serde_json::json!({
            "execution": query::execution(&db, Some(&id)).unwrap(),
            "states": states,
            "builds": query::builds(&db, &id).unwrap(),
            "deployments": query::deployments(&db, &id).unwrap(),
        });
        std::hint::black_box(serde_json::to_vec(&doc).unwrap());
    });
    println!("  baseline the same reads from SQLite in-process{:>9} {}", "", percentiles(direct));
    println!("executions list, search and page, 100 requests:");
    println!(
        "  console  GET /api/executions?limit=1000{:>20} {}",
        "",
        percentiles(time(100, || drop(get(port, "/api/executions?limit=1000", &cookie))))
    );
    println!(
        "  baseline query::executions(1000) in-process{:>16} {}",
        "",
        percentiles(time(100, || drop(std::hint::black_box(query::executions(&db, 1000).unwrap()))))
    );
    // A search reads the same thousand rows and matches words in each.
    let search = format!("/api/executions?limit=50&q={}", &id[..15]);
    println!(
        "  console  GET {search:<44} {}",
        percentiles(time(100, || drop(get(port, &search, &cookie))))
    );
    println!(
        "  console  GET /{:>44} {}",
        "",
        percentiles(time(100, || drop(get(port, "/", &cookie))))
    );

    // Change → page: a commit from another connection, then the change event, then the fetch.
    let mut events = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        events,
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n\r\n"
    )
    .unwrap();
    let mut events = BufReader::new(events);
    // Reads what arrived since the last round, so each round waits for its own event.
    let drain = |events: &mut BufReader<TcpStream>| {
        events.get_ref().set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        let mut line = String::new();
        while events.read_line(&mut line).is_ok_and(|n| n > 0) {
            line.clear();
        }
        events.get_ref().set_read_timeout(None).unwrap();
    };
    let next_change = |events: &mut BufReader<TcpStream>| {
        let mut line = String::new();
        loop {
            line.clear();
            events.read_line(&mut line).unwrap();
            if line.trim_end() == "event: change" {
                return;
            }
        }
    };
    let writer = rusqlite::Connection::open(dir.path().join(".baton/baton.db")).unwrap();
    let (mut to_event, mut to_page) = (Vec::new(), Vec::new());
    for round in 0..40 {
        drain(&mut events);
        let committed = Instant::now();
        writer
            .execute(
                "UPDATE executions SET cause = ?2 WHERE id = ?1",
                rusqlite::params![id, format!("bench round {round}")],
            )
            .unwrap();
        next_change(&mut events);
        to_event.push(committed.elapsed());
        get(port, &page, &cookie);
        to_page.push(committed.elapsed());
    }
    println!("state change → page, 40 commits (the server checks five times a second):");
    println!("  change event                 {}", percentiles(to_event));
    println!("  change event + page data     {}", percentiles(to_page));
    let _ = console.kill();
    let _ = console.wait();
}
