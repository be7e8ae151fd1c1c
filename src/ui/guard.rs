//! Who may ask the console what. Every request must name one of the console's own hosts
//! (against DNS rebinding) and carry the session cookie, set by opening the address `baton ui`
//! printed (`/?token=…`). A request that changes something must also repeat the token in the
//! `X-Baton-Token` header, which a cross-site form cannot set and a cross-site script cannot
//! read, and come from the console's own origin when the browser says where it comes from.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::Console;

const COOKIE: &str = "baton_session";
pub const TOKEN_HEADER: &str = "x-baton-token";

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

pub async fn check(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    if !console.hosts.iter().any(|h| h == host) {
        return refuse(StatusCode::MISDIRECTED_REQUEST, "this console answers only to its own address");
    }
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
    if request.method() != Method::GET {
        let repeated = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
        if !repeated.is_some_and(|t| same(t, &console.token)) {
            return refuse(StatusCode::FORBIDDEN, "a change needs the X-Baton-Token header");
        }
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
            && origin != format!("http://{host}")
        {
            return refuse(StatusCode::FORBIDDEN, "a change must come from the console's own page");
        }
    }
    next.run(request).await
}
