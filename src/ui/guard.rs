//! Who may ask the console what. Every request must name one of the console's own hosts
//! (against DNS rebinding) and carry the session cookie, set by opening the address `baton ui`
//! printed (`/?token=…`). A request that changes something must also repeat the token in the
//! `X-Baton-Token` header, which a cross-site form cannot set and a cross-site script cannot
//! read, and come from the console's own origin when the browser says where it comes from.
//! Every answer forbids framing and lets the page run only its own script and style.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::Console;

const COOKIE: &str = "baton_session";
pub(super) const TOKEN_HEADER: &str = "x-baton-token";

/// Compares without stopping at the first difference, so timing does not tell how much matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, format!("{why}\n")).into_response()
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// A token given by hand (`--token`) must survive an address and a cookie as it is, and be
/// hard to guess: 16+ characters of `A-Z a-z 0-9 - . _ ~` holding at least [`TOKEN_BITS`] bits
/// by the frequencies of its own characters (16 spaces, or `abababab…`, hold almost none).
pub(super) fn check_token(token: &str) -> Result<(), String> {
    if token.chars().count() < 16 {
        return Err("must be at least 16 characters".into());
    }
    if let Some(c) = token.chars().find(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c))) {
        return Err(format!(
            "may hold only A-Z, a-z, 0-9, '-', '.', '_' and '~' (it holds {:?}), so it survives an address and a cookie as it is",
            c
        ));
    }
    let mut counts = std::collections::HashMap::new();
    for b in token.bytes() {
        *counts.entry(b).or_insert(0u32) += 1;
    }
    let n = token.len() as f64;
    let bits: f64 = counts.values().map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum::<f64>() * n;
    if bits < TOKEN_BITS {
        return Err(format!(
            "is too easy to guess ({bits:.0} bits; at least {TOKEN_BITS:.0}): use a random one, e.g. `openssl rand -hex 16`"
        ));
    }
    Ok(())
}

/// What a hand-chosen token must hold: 16 random hex digits hold about 60.
const TOKEN_BITS: f64 = 48.0;

/// Whether `host` (a `Host` header) names this console. Host names are case-insensitive.
fn ours(console: &Console, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    console.hosts.contains(&host) || (console.any_address && host.parse::<std::net::SocketAddr>().is_ok_and(|a| a.port() == console.port))
}

/// The page runs its one inline script and style, by hash, and talks only to its own origin;
/// no other page may frame it (clickjacking an Approve button).
fn secure(mut response: Response) -> Response {
    static POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let page = include_str!("console.html");
        let hash = |open: &str, close: &str| {
            let body = page
                .split_once(open)
                .and_then(|(_, rest)| rest.split_once(close))
                .map_or("", |(b, _)| b);
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()))
            )
        };
        format!(
            "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            hash("<script>", "</script>"),
            hash("<style>", "</style>")
        )
    });
    let headers = response.headers_mut();
    if let Ok(policy) = POLICY.parse() {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    response
}

pub(super) async fn check(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    secure(admit(&console, request, next).await)
}

async fn admit(console: &Console, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !ours(console, host) {
        return refuse(StatusCode::MISDIRECTED_REQUEST, "this console answers only to its own address");
    }
    // Reading: GET, and HEAD (a GET without its body).
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    // Opening the printed address: the token becomes a cookie, and leaves the address bar.
    if request.method() == Method::GET && request.uri().path() == "/" {
        let offered = request
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
        if let Some(offered) = offered {
            if !same(offered, &console.token) {
                return refuse(StatusCode::UNAUTHORIZED, "that token is not this console's");
            }
            let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", console.token);
            return ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response();
        }
    }
    if !cookie_token(headers).is_some_and(|t| same(t, &console.token)) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no session: open the address `baton ui` printed (it carries the session token)",
        );
    }
    if !reads {
        let repeated = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
        if !repeated.is_some_and(|t| same(t, &console.token)) {
            return refuse(StatusCode::FORBIDDEN, "a change needs the X-Baton-Token header");
        }
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
            && !origin.eq_ignore_ascii_case(&format!("http://{host}"))
        {
            return refuse(StatusCode::FORBIDDEN, "a change must come from the console's own page");
        }
    }
    next.run(request).await
}
