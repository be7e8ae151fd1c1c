//! `baton ui`: the console — the pipeline's graph coloured by live status, executions,
//! approvals and rollbacks — served over HTTP on loopback from the same state directory the
//! other commands read, or (`--stack`) over a deployed stack.
//!
//! Layout: `guard` (who may ask what: session token, Host and Origin checks), `api` and
//! `actions` (the JSON endpoints and the change stream, over the operations port), `executor`
//! (what only one executor has: `local`, `stack`), `console.html` (the page: no assets from
//! anywhere else).

mod actions;
mod api;
mod executor;
mod failure;
mod graph;
mod guard;
mod local;
#[cfg(feature = "aws")]
mod stack;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use baton_core::model::Pipeline;
use baton_core::operations::Operations;
use baton_local::db::Db;

use crate::Usage;
use crate::out::println;
use executor::Executor;

/// What `baton ui` was told.
#[derive(Debug)]
pub(crate) struct UiOptions {
    pub port: u16,
    pub bind: Option<IpAddr>,
    pub token: Option<String>,
    /// More names the console is reached by (`--host`).
    pub hosts: Vec<String>,
}

/// What every request handler shares.
struct Console {
    pipeline_file: PathBuf,
    pipeline: Pipeline,
    /// The compiled state machine: the graph the page draws.
    definition: serde_json::Value,
    /// Every read and change the CLI's commands make too, on this machine or on the stack.
    ops: Arc<dyn Operations>,
    executor: Executor,
    /// Where it runs, for the page's title: "this machine" or "stack NAME".
    place: String,
    token: String,
    /// `Host` values this server answers to, lowercase: a page from any other name (DNS
    /// rebinding) is refused.
    hosts: Vec<String>,
    /// Bound to every address (0.0.0.0 or ::): any address of this machine, written as an
    /// address, is one of its hosts too. A rebinding attack needs a name, never an address.
    any_address: bool,
    port: u16,
    /// Turns true on Ctrl-C: open change streams end, or a page left open would keep the
    /// server from stopping.
    stopping: tokio::sync::watch::Receiver<bool>,
}

pub(crate) async fn run(
    pipeline: &Path,
    state_dir: Option<&Path>,
    stack: Option<&crate::stack::Remote>,
    options: UiOptions,
) -> anyhow::Result<u8> {
    let file = crate::locate::pipeline_file(pipeline)?;
    let dir = crate::locate::state_dir(&file, state_dir);
    let model = baton_core::load_pipeline(&file)?;
    let definition = baton_core::synth::synth(&model);
    let bind = options.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    // Off loopback, anyone who can reach the port can try it: the token must be chosen on purpose.
    let token = match (bind.is_loopback(), options.token) {
        (_, Some(t)) => {
            guard::check_token(&t).map_err(|why| Usage(format!("--token {why}")))?;
            t
        }
        (true, None) => uuid::Uuid::new_v4().simple().to_string(),
        (false, None) => anyhow::bail!(Usage(format!(
            "binding to {bind} serves the console beyond this machine; give --token (16+ characters) as well"
        ))),
    };
    let (ops, executor, place) = match stack {
        None => {
            std::fs::create_dir_all(&dir)?;
            let db = Arc::new(Db::open(&dir.join("baton.db"))?);
            let ops: Arc<dyn Operations> = Arc::new(baton_local::operations::LocalOperations::new(&file, &dir));
            let local = local::Local {
                pipeline_file: file.clone(),
                store: baton_local::artifacts::FsArtifactStore::new(&dir, db.clone()),
                state_dir: dir,
                db,
            };
            (ops, Executor::Local(local), "this machine".to_string())
        }
        #[cfg(feature = "aws")]
        Some(remote) => {
            let aws = Arc::new(crate::stack::aws(remote, &file).await?);
            let ops: Arc<dyn Operations> = aws.clone();
            (ops, Executor::Stack(stack::Stack { aws }), remote.to_string())
        }
        #[cfg(not(feature = "aws"))]
        Some(remote) => return Err(crate::stack::without_aws(remote)),
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(bind, options.port))
        .await
        .map_err(|e| {
            Usage(format!(
                "cannot listen on {bind}:{}: {e} (choose another with --port)",
                options.port
            ))
        })?;
    let port = listener.local_addr()?.port();
    let mut names = vec!["127.0.0.1".to_string(), "localhost".into(), "[::1]".into()];
    if !bind.is_loopback() {
        names.push(match bind {
            IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        });
        // What other machines call this one.
        if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
            names.push(name.trim().to_string());
        }
    }
    names.extend(options.hosts);
    let hosts = names
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| format!("{}:{port}", n.to_ascii_lowercase()))
        .collect();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let console = Arc::new(Console {
        ops,
        executor,
        place,
        pipeline_file: file,
        pipeline: model,
        definition,
        token,
        hosts,
        any_address: bind.is_unspecified(),
        port,
        stopping,
    });
    let shown = if bind.is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        bind
    };
    println!(
        "Baton console for pipeline {} on {}: http://{}/?token={}",
        console.pipeline.name,
        console.place,
        SocketAddr::new(shown, port),
        console.token
    );
    println!("(the token in the address is this session's key; Ctrl-C stops the console)");
    let app = Router::new()
        .route("/", get(api::page))
        .route("/api/pipeline", get(api::pipeline))
        .route("/api/executions", get(api::executions).post(actions::release))
        .route("/api/executions/{id}/stop", post(actions::stop))
        .route("/api/executions/{id}/retry", post(actions::retry))
        .route("/api/executions/{id}", get(api::execution))
        .route("/api/executions/{id}/builds/{build}/log", get(api::build_log))
        .route("/api/executions/{id}/approvals", post(api::answer_approval))
        .route("/api/artifacts/{name}/{version}", get(api::artifact))
        .route("/api/groups", get(api::groups))
        .route("/api/observability", get(api::observability))
        .route("/api/groups/{group}/rollback", post(api::roll_back))
        .route("/api/events", get(api::events))
        .layer(axum::middleware::from_fn_with_state(console.clone(), guard::check))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(console);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
        })
        .await?;
    Ok(0)
}
