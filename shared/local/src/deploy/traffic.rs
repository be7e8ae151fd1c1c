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

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};

/// The two fleets behind the front door and how traffic is split between them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// Ports of the instances running the version that has the traffic.
    pub original: Vec<u16>,
    /// Ports of the instances the traffic is moving to.
    pub replacement: Vec<u16>,
    /// Percent of new connections sent to the replacement.
    pub weight: u32,
}

#[derive(Debug, Default)]
struct State {
    routes: Routes,
    /// Connections since the last change of routes: the split is counted from there.
    since_shift: u64,
    turn: [usize; 2],
    served: [u64; 2],
}

impl State {
    /// The port for the next connection, and whether it is the replacement's.
    fn pick(&mut self) -> Option<(u16, bool)> {
        let w = u64::from(self.routes.weight.min(100));
        let k = self.since_shift;
        self.since_shift += 1;
        let mut to_replacement = (k + 1) * w / 100 > k * w / 100;
        if self.routes.replacement.is_empty() {
            to_replacement = false;
        } else if self.routes.original.is_empty() {
            to_replacement = true;
        }
        let fleet = if to_replacement {
            &self.routes.replacement
        } else {
            &self.routes.original
        };
        if fleet.is_empty() {
            return None;
        }
        let side = usize::from(to_replacement);
        let port = fleet[self.turn[side] % fleet.len()];
        self.turn[side] = self.turn[side].wrapping_add(1);
        self.served[side] += 1;
        Some((port, to_replacement))
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

    /// Connections sent to (original, replacement) since the front door opened.
    pub fn served(&self) -> (u64, u64) {
        self.with(|s| (s.served[0], s.served[1]))
    }

    /// Sends `weight` percent of new connections to `replacement`. Connections already open
    /// stay where they are, as a load balancer's do.
    pub fn shift(&self, replacement: Vec<u16>, weight: u32) {
        self.with(|s| {
            s.routes.replacement = replacement;
            s.routes.weight = weight.min(100);
            s.since_shift = 0;
        });
        tracing::info!(port = self.port(), weight, "traffic shifted");
    }

    /// Every new connection back to the original fleet.
    pub fn roll_back(&self) {
        self.with(|s| {
            s.routes.replacement.clear();
            s.routes.weight = 0;
            s.since_shift = 0;
        });
        tracing::info!(port = self.port(), "traffic back on the original fleet");
    }

    /// The replacement becomes the original: every connection goes to it from now on.
    pub fn promote(&self) {
        self.with(|s| {
            s.routes.original = std::mem::take(&mut s.routes.replacement);
            s.routes.weight = 0;
            s.since_shift = 0;
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
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            // As many tries as there are instances: a refused connection moves on to the next.
            let tries = state
                .lock()
                .map_or(1, |s| s.routes.original.len() + s.routes.replacement.len())
                .max(1);
            for _ in 0..tries {
                let Some((port, replacement)) = state.lock().unwrap_or_else(PoisonError::into_inner).pick() else {
                    return;
                };
                match TcpStream::connect(("127.0.0.1", port)).await {
                    Ok(upstream) => {
                        relay(client, upstream).await;
                        return;
                    }
                    Err(e) => tracing::debug!(%peer, port, replacement, error = %e, "instance refused a connection"),
                }
            }
        });
    }
}

async fn relay(mut client: TcpStream, mut upstream: TcpStream) {
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
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
        assert_eq!(front.served(), (50, 5), "by side: the promoted fleet is the original");
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
