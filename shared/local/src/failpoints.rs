//! Named fault points at the entry of each local adapter operation (`artifacts.put`,
//! `builds.start`, `deploy.start`, `pending.put`, `pending.take`, `source.snapshot`,
//! `metrics.put`), for fault-injection tests. They are the `fail` crate's: compiled in with the
//! `failpoints` feature and nothing at all without it, and set with `fail::cfg(NAME, ACTIONS)` or
//! the `FAILPOINTS` variable, e.g. `FAILPOINTS='builds.start=1*return(transient)'`. A point
//! returns a transient port error (retried by the state machine) for `return(transient)` and a
//! permanent one for any other `return`.

use baton_core::ports::PortError;

/// The error a fault point injects.
#[cfg_attr(
    not(feature = "failpoints"),
    allow(dead_code, reason = "used by the points, which the feature compiles in")
)]
pub(crate) fn injected(point: &str, kind: Option<String>) -> PortError {
    let message = format!("injected fault at {point}");
    if kind.as_deref() == Some("transient") {
        PortError::transient(message)
    } else {
        PortError::permanent(message)
    }
}

/// Returns the injected error from the enclosing `PortResult` function when the point fires.
#[cfg(feature = "failpoints")]
macro_rules! point {
    ($name:literal) => {
        fail::fail_point!($name, |kind| Err($crate::failpoints::injected($name, kind)))
    };
}

/// Without the feature a point is nothing at all.
#[cfg(not(feature = "failpoints"))]
macro_rules! point {
    ($name:literal) => {};
}

pub(crate) use point;
