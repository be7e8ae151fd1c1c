//! A deployment group's front door for canary and linear deployments: a loopback TCP proxy that
//! sends each new connection to the instances running the original version or to those running
//! the replacement, by weight, as CodeDeploy's traffic shifting does with a load balancer's
//! target groups or a Lambda alias.
//!
//! The split is exact rather than random: of every 100 connections after a shift, `weight` go
//! to the replacement, spread evenly (connection k goes there when ⌊(k+1)·w/100⌋ > ⌊k·w/100⌋),
//! so a 10 % canary sees one connection in ten from the first ten on. Within a fleet,
//! connections go round-robin; an instance that refuses a connection is passed over for the
//! next one of the same fleet.
//!
//! A canary analysed against a fresh baseline has a third fleet beside the two: new instances of
//! the original version that take as many connections as the replacement, from what the
//! replacement leaves (of every 100 − w such connections, w), so each has exactly w %.
//!
//! Every connection is also a sample for canary analysis: the time from its arrival to the
//! first byte of its answer, and whether it failed (an HTTP status of 500 or more, or no answer
//! at all). A connection carries one request as most probes and `HTTP/1.0` clients send it; on a
//! kept-alive connection only the first request is measured.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The most samples kept per fleet between two reads: a bound on memory, far above what an
/// analysis interval of a local group sees.
const MAX_KEPT: usize = 100_000;

/// One request through the front door.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// From the connection's arrival to its answer's first byte.
    pub latency_ms: f64,
    /// A 5xx answer, or none.
    pub failed: bool,
}

/// The fleets behind the front door and how traffic is split between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// Ports of the instances running the version that has the traffic.
    pub original: Vec<u16>,
    /// Ports of the instances the traffic is moving to.
    pub replacement: Vec<u16>,
    /// Percent of new connections sent to the replacement (and as many to the baseline).
    pub weight: u32,
    /// Ports of a fresh baseline's instances, while a canary analysis has one.
    pub baseline: Vec<u16>,
}

/// Which fleet a connection went to; the index of its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fleet {
    Original = 0,
    Replacement = 1,
    Baseline = 2,
}

/// Samples of each fleet, indexed by [`Fleet`].
pub type FleetSamples = [Vec<Sample>; 3];

#[derive(Debug, Default)]
struct State {
    routes: Routes,
    /// Connections since the last change of routes: the split is counted from there.
    since_shift: u64,
    /// Of those, the ones the replacement did not take: the baseline's share is counted there.
    left_over: u64,
    turn: [usize; 3],
    served: [u64; 3],
    /// Samples since they were last taken.
    samples: FleetSamples,
}

/// Whether connection `k` of a run is one of the `w` in every `of`, spread evenly.
fn takes(k: u64, w: u64, of: u64) -> bool {
    of > 0 && (k + 1) * w / of > k * w / of
}

impl State {
    /// The port for the next connection, and its fleet.
    fn pick(&mut self) -> Option<(u16, Fleet)> {
        let routes = &self.routes;
        let w = u64::from(routes.weight.min(100));
        let k = self.since_shift;
        self.since_shift += 1;
        let mut fleet = if takes(k, w, 100) { Fleet::Replacement } else { Fleet::Original };
        if fleet == Fleet::Original && !routes.baseline.is_empty() {
            let j = self.left_over;
            self.left_over += 1;
            if takes(j, w, 100 - w) {
                fleet = Fleet::Baseline;
            }
        }
        if routes.replacement.is_empty() && fleet == Fleet::Replacement {
            fleet = Fleet::Original;
        } else if routes.original.is_empty() && fleet == Fleet::Original {
            fleet = Fleet::Replacement;
        }
        let ports = match fleet {
            Fleet::Original => &routes.original,
            Fleet::Replacement => &routes.replacement,
            Fleet::Baseline => &routes.baseline,
        };
        if ports.is_empty() {
            return None;
        }
        let side = fleet as usize;
        let port = ports[self.turn[side] % ports.len()];
        self.turn[side] = self.turn[side].wrapping_add(1);
        self.served[side] += 1;
        Some((port, fleet))
    }

    /// A change of routes: the split is counted anew.
    fn reroute(&mut self, change: impl FnOnce(&mut Routes)) {
        change(&mut self.routes);
        self.since_shift = 0;
        self.left_over = 0;
    }
}

/// A running front door; it closes when dropped.
#[derive(Debug)]
pub struct TrafficSplit {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl TrafficSplit {
    /// Listens on 127.0.0.1:`port` (0 for any free port) in front of `original`.
    pub async fn bind(port: u16, original: Vec<u16>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            routes: Routes {
                original,
                ..Routes::default()
            },
            ..State::default()
        }));
        let accept = tokio::spawn(serve(listener, Arc::clone(&state)));
        tracing::info!(%addr, "traffic front door listening");
        Ok(Self { addr, state, accept })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn routes(&self) -> Routes {
        self.with(|s| s.routes.clone())
    }

    /// The samples of each fleet since the last call, emptied.
    pub fn take_samples(&self) -> FleetSamples {
        self.with(|s| std::mem::take(&mut s.samples))
    }

    /// Connections sent to each fleet since the front door opened, indexed by [`Fleet`].
    pub fn served(&self) -> [u64; 3] {
        self.with(|s| s.served)
    }

    /// Sends `weight` percent of new connections to `replacement`. Connections already open
    /// stay where they are, as a load balancer's do.
    pub fn shift(&self, replacement: Vec<u16>, weight: u32) {
        self.with(|s| {
            s.reroute(|r| {
                r.replacement = replacement;
                r.weight = weight.min(100);
            });
        });
        tracing::info!(port = self.port(), weight, "traffic shifted");
    }

    /// Gives a fresh baseline (or, empty, takes from it) the replacement's share of traffic.
    pub fn set_baseline(&self, baseline: Vec<u16>) {
        let fresh = baseline.len();
        self.with(|s| s.reroute(|r| r.baseline = baseline));
        tracing::info!(port = self.port(), instances = fresh, "fresh baseline routed");
    }

    /// Every new connection back to the original fleet.
    pub fn roll_back(&self) {
        self.with(|s| {
            s.reroute(|r| {
                r.replacement.clear();
                r.baseline.clear();
                r.weight = 0;
            });
        });
        tracing::info!(port = self.port(), "traffic back on the original fleet");
    }

    /// The replacement becomes the original: every connection goes to it from now on.
    pub fn promote(&self) {
        self.with(|s| {
            s.reroute(|r| {
                r.original = std::mem::take(&mut r.replacement);
                r.baseline.clear();
                r.weight = 0;
            });
        });
    }
}

impl Drop for TrafficSplit {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    loop {
        let Ok((client, peer)) = listener.accept().await else { continue };
        let arrived = Instant::now();
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            // As many tries as there are instances: a refused connection moves on to the next.
            let tries = state
                .lock()
                .map_or(1, |s| {
                    s.routes.original.len() + s.routes.replacement.len() + s.routes.baseline.len()
                })
                .max(1);
            let mut side = None;
            for _ in 0..tries {
                let Some((port, fleet)) = state.lock().unwrap_or_else(PoisonError::into_inner).pick() else {
                    return;
                };
                side = Some(fleet);
                match TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(upstream) => {
                        let sample = |latency_ms, failed| record(&state, fleet, Sample { latency_ms, failed });
                        relay(client, upstream, arrived, sample).await;
                        return;
                    }
                    Err(e) => tracing::debug!(%peer, port, ?fleet, error = %e, "instance refused a connection"),
                }
            }
            // Nobody took it: a failed request of the fleet tried last.
            if let Some(fleet) = side {
                let latency_ms = arrived.elapsed().as_secs_f64() * 1000.0;
                record(&state, fleet, Sample { latency_ms, failed: true });
            }
        });
    }
}

fn record(state: &Mutex<State>, fleet: Fleet, sample: Sample) {
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    let kept = &mut s.samples[fleet as usize];
    if kept.len() < MAX_KEPT {
        kept.push(sample);
    }
}

/// Relays both ways until both sides are done, calling `sample` once with the time to the
/// answer's first byte and whether the request failed.
async fn relay(client: TcpStream, upstream: TcpStream, arrived: Instant, sample: impl FnOnce(f64, bool)) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_upstream, mut to_upstream) = upstream.into_split();
    let ask = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_client, &mut to_upstream).await;
        let _ = to_upstream.shutdown().await;
    });
    let mut first = [0u8; 1024];
    let n = from_upstream.read(&mut first).await.unwrap_or(0);
    let latency_ms = arrived.elapsed().as_secs_f64() * 1000.0;
    sample(latency_ms, n == 0 || http_status(&first[..n]).is_some_and(|s| s >= 500));
    if n > 0 && to_client.write_all(&first[..n]).await.is_ok() {
        let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
    }
    let _ = to_client.shutdown().await;
    ask.abort();
}

/// The status code of an HTTP/1.x answer that starts with `head`.
fn http_status(head: &[u8]) -> Option<u16> {
    let rest = head.strip_prefix(b"HTTP/1.")?;
    let code = rest.get(2..5)?;
    std::str::from_utf8(code).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server that answers every connection with its name.
    async fn named(name: &'static str) -> (u16, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let _ = s.write_all(name.as_bytes()).await;
            }
        });
        (port, task)
    }

    async fn ask(port: u16) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    async fn count(front: &TrafficSplit, n: usize) -> std::collections::BTreeMap<String, usize> {
        let mut seen = std::collections::BTreeMap::new();
        for _ in 0..n {
            *seen.entry(ask(front.port()).await).or_default() += 1;
        }
        seen
    }

    #[tokio::test]
    async fn connections_follow_the_weight_exactly() {
        let (blue_a, _a) = named("blue-a").await;
        let (blue_b, _b) = named("blue-b").await;
        let (green, _g) = named("green").await;
        let front = TrafficSplit::bind(0, vec![blue_a, blue_b]).await.unwrap();
        let seen = count(&front, 10).await;
        assert_eq!((seen["blue-a"], seen["blue-b"], seen.get("green")), (5, 5, None), "{seen:?}");

        front.shift(vec![green], 10);
        let seen = count(&front, 20).await;
        assert_eq!(seen["green"], 2, "10 % of 20: {seen:?}");
        front.shift(vec![green], 30);
        let seen = count(&front, 10).await;
        assert_eq!(seen["green"], 3, "30 % of 10: {seen:?}");

        front.roll_back();
        let seen = count(&front, 10).await;
        assert_eq!(seen.get("green"), None, "all back on the original fleet: {seen:?}");

        front.shift(vec![green], 100);
        front.promote();
        assert_eq!(front.routes().original, vec![green]);
        assert_eq!(count(&front, 5).await["green"], 5);
        assert_eq!(front.served(), [50, 5, 0], "by side: the promoted fleet is the original");
    }

    #[tokio::test]
    async fn a_fresh_baseline_takes_as_much_as_the_canary() {
        let (blue, _b) = named("blue").await;
        let (green, _g) = named("green").await;
        let (fresh, _f) = named("fresh").await;
        let front = TrafficSplit::bind(0, vec![blue]).await.unwrap();
        front.shift(vec![green], 10);
        front.set_baseline(vec![fresh]);
        let seen = count(&front, 20).await;
        assert_eq!(
            (seen["green"], seen["fresh"], seen["blue"]),
            (2, 2, 16),
            "10 % each of 20: {seen:?}"
        );
        let seen = count(&front, 80).await;
        assert_eq!(
            (seen["green"], seen["fresh"], seen["blue"]),
            (8, 8, 64),
            "of 100 in all, 10 each: {seen:?}"
        );
        let [original, replacement, baseline] = front.take_samples();
        assert_eq!(
            (original.len(), replacement.len(), baseline.len()),
            (80, 10, 10),
            "sampled by fleet"
        );

        front.set_baseline(vec![]);
        let seen = count(&front, 10).await;
        assert_eq!((seen["green"], seen.get("fresh")), (1, None), "the baseline retired: {seen:?}");
        front.set_baseline(vec![fresh]);
        front.roll_back();
        assert_eq!(
            count(&front, 10).await["blue"],
            10,
            "a rollback takes the baseline's share back too"
        );
    }

    /// A server that answers HTTP with `status` after `delay_ms`.
    async fn http(status: u16, delay_ms: u64) -> (u16, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 256];
                    let _ = s.read(&mut request).await;
                    tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                    let _ = s.write_all(format!("HTTP/1.0 {status} X\r\n\r\nbody").as_bytes()).await;
                });
            }
        });
        (port, task)
    }

    async fn get(port: u16) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn each_request_is_a_sample_of_its_fleet_with_its_latency_and_failure() {
        let (fast, _f) = http(200, 0).await;
        let (slow_broken, _s) = http(503, 60).await;
        let front = TrafficSplit::bind(0, vec![fast]).await.unwrap();
        front.shift(vec![slow_broken], 50);
        for _ in 0..4 {
            assert!(get(front.port()).await.starts_with("HTTP/1.0"), "the answer is relayed whole");
        }
        let [original, replacement, _] = front.take_samples();
        assert_eq!((original.len(), replacement.len()), (2, 2));
        assert!(original.iter().all(|s| !s.failed && s.latency_ms < 50.0), "{original:?}");
        assert!(replacement.iter().all(|s| s.failed && s.latency_ms >= 60.0), "{replacement:?}");
        assert_eq!(front.take_samples(), [vec![], vec![], vec![]], "taken once");
    }

    #[test]
    fn status_codes_are_read_from_the_status_line() {
        assert_eq!(http_status(b"HTTP/1.1 502 Bad Gateway\r\n"), Some(502));
        assert_eq!(http_status(b"HTTP/1.0 200 OK"), Some(200));
        assert_eq!(http_status(b"SSH-2.0"), None);
    }

    #[tokio::test]
    async fn a_refusing_instance_is_passed_over() {
        let (alive, _a) = named("alive").await;
        let dead = {
            let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
            l.local_addr().unwrap().port()
        };
        let front = TrafficSplit::bind(0, vec![dead, alive]).await.unwrap();
        let seen = count(&front, 6).await;
        assert_eq!(seen["alive"], 6, "{seen:?}");
    }
}
