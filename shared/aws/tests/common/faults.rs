//! A fault-injecting HTTP proxy on 127.0.0.1 in front of moto: the SDK talks to it as to AWS,
//! and it answers chosen requests with what AWS and networks do to a client: throttling, server
//! errors, refusals, dropped connections, hung connections, and responses cut short after the
//! service acted. Everything else is forwarded untouched.
//!
//! Errors are encoded in the protocol the request speaks (awsJson, awsQuery, restXml, rpcv2Cbor),
//! so the SDK classifies them as it would AWS's own.

#![allow(dead_code, reason = "each test binary uses part of the fixture")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The service's throttling error (retryable, with backoff).
    Throttle,
    /// HTTP 500 (retryable).
    ServerError,
    /// HTTP 403 AccessDenied (not retryable: a terminal failure).
    Deny,
    /// The connection closes before any response (retryable transport failure).
    Drop,
    /// No response for 5 s (the SDK's attempt timeout ends it; retryable).
    Hang,
    /// The request reaches the service, then the response is cut off half way: the client
    /// cannot know whether the service acted, and retries.
    CutAfterActing,
}

struct Rule {
    /// A substring of the request's signature: `METHOD /path?query target` (the target is the
    /// `X-Amz-Target` header, or an awsQuery `Action`).
    when: String,
    fault: Fault,
    times: usize,
}

#[derive(Clone, Default)]
struct Plan {
    rules: Arc<Mutex<VecDeque<Rule>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Plan {
    fn take(&self, signature: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap();
        let rule = rules.iter_mut().find(|r| r.times > 0 && signature.contains(&r.when))?;
        rule.times -= 1;
        Some(rule.fault)
    }
}

pub(crate) struct FaultProxy {
    pub endpoint: String,
    plan: Plan,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    pub(crate) async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let plan = Plan::default();
        let shared = plan.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream.clone(), shared.clone()));
            }
        });
        Self { endpoint, plan, task }
    }

    /// The next `times` requests whose signature contains `when` meet `fault`.
    pub(crate) fn inject(&self, when: &str, fault: Fault, times: usize) {
        self.plan.rules.lock().unwrap().push_back(Rule {
            when: when.to_string(),
            fault,
            times,
        });
    }

    /// Every request so far: its signature and what it met (`forwarded` or the fault).
    pub(crate) fn log(&self) -> Vec<String> {
        self.plan.log.lock().unwrap().clone()
    }

    /// How many planned faults are still to happen (0 once the test exercised them all).
    pub(crate) fn pending(&self) -> usize {
        self.plan.rules.lock().unwrap().iter().map(|r| r.times).sum()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One request read off a connection: its head and body.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn signature(&self) -> String {
        let line = self.head.lines().next().unwrap_or_default();
        let target = self.header("x-amz-target").map(str::to_string).unwrap_or_else(|| {
            let body = String::from_utf8_lossy(&self.body[..self.body.len().min(200)]).to_string();
            body.split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .unwrap_or_default()
                .to_string()
        });
        format!("{} {target}", line.rsplit_once(' ').map_or(line, |(l, _)| l))
    }
}

async fn read_request(client: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 16 * 1024];
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).to_string();
    let mut request = Request { head, body: Vec::new() };
    let length: usize = request.header("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    while buffer.len() < end + length {
        let mut chunk = [0u8; 64 * 1024];
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    request.body = buffer[end..end + length].to_vec();
    buffer.drain(..end + length);
    Some(request)
}

async fn serve(mut client: TcpStream, upstream: String, plan: Plan) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut client, &mut buffer).await {
        let signature = request.signature();
        let fault = plan.take(&signature);
        plan.log
            .lock()
            .unwrap()
            .push(format!("{signature} -> {}", fault.map_or("forwarded".into(), |f| format!("{f:?}"))));
        match fault {
            None | Some(Fault::CutAfterActing) => {
                let Some(response) = forward(&request, &upstream).await else {
                    return;
                };
                if fault.is_some() {
                    let _ = client.write_all(&response[..response.len() / 2]).await;
                    return;
                }
                if client.write_all(&response).await.is_err() {
                    return;
                }
            }
            Some(Fault::Drop) => return,
            Some(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                return;
            }
            Some(f) => {
                if client.write_all(&error_response(&request, f)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends the request to moto on a connection of its own and returns the whole response.
async fn forward(request: &Request, upstream: &str) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    // One request per upstream connection: the response ends where moto closes it.
    let head: String = request
        .head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    server.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes()).await.ok()?;
    server.write_all(&request.body).await.ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await.ok()?;
    // The client keeps its connection: say where this response ends.
    Some(keep_alive(response))
}

/// moto closes after each response; without `Connection: close` the client reuses its
/// connection to the proxy, so the response needs its length.
fn keep_alive(response: Vec<u8>) -> Vec<u8> {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response;
    };
    let head = String::from_utf8_lossy(&response[..end]).to_string();
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let has_length = head.to_ascii_lowercase().contains("content-length:");
    if chunked || has_length {
        return response;
    }
    let body = &response[end + 4..];
    let mut out = format!("{head}\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// The error `fault` stands for, in the request's protocol.
fn error_response(request: &Request, fault: Fault) -> Vec<u8> {
    let (status, code, message) = match fault {
        Fault::Throttle => (400, "ThrottlingException", "Rate exceeded"),
        Fault::ServerError => (500, "InternalFailure", "injected server error"),
        _ => (403, "AccessDeniedException", "denied by the fault proxy"),
    };
    let content_type = request.header("content-type").unwrap_or_default().to_ascii_lowercase();
    let cbor = request.header("smithy-protocol") == Some("rpc-v2-cbor");
    let (status, content_type, body): (u16, &str, Vec<u8>) = if cbor {
        (status, "application/cbor", cbor_error(code, message))
    } else if content_type.contains("x-amz-json") {
        (
            status,
            "application/x-amz-json-1.1",
            format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}").into_bytes(),
        )
    } else if content_type.contains("x-www-form-urlencoded") {
        let code = if fault == Fault::Throttle {
            "Throttling"
        } else {
            code.trim_end_matches("Exception")
        };
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        );
        (status, "text/xml", body.into_bytes())
    } else {
        // restXml (S3): throttling is 503 SlowDown there.
        let (status, code) = match fault {
            Fault::Throttle => (503, "SlowDown"),
            Fault::ServerError => (500, "InternalError"),
            _ => (403, "AccessDenied"),
        };
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>r</RequestId></Error>"
        );
        (status, "application/xml", body.into_bytes())
    };
    let protocol = if cbor { "smithy-protocol: rpc-v2-cbor\r\n" } else { "" };
    let mut out = format!(
        "HTTP/1.1 {status} Injected\r\nContent-Type: {content_type}\r\nx-amzn-ErrorType: {code}\r\n{protocol}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// `{"__type": code, "message": message}` in CBOR (definite lengths, text strings).
fn cbor_error(code: &str, message: &str) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        let n = s.len();
        if n < 24 {
            out.push(0x60 | n as u8);
        } else {
            out.push(0x78);
            out.push(n as u8);
        }
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = vec![0xA2];
    text(&mut out, "__type");
    text(&mut out, code);
    text(&mut out, "message");
    text(&mut out, message);
    out
}
