//! Standard output that outlives its reader.
//!
//! `std`'s and `anstream`'s `println!` panic when stdout is a pipe whose reader has gone
//! (`baton history | head -3`). These write through `anstream` (colour only on a terminal, never
//! with `NO_COLOR`) and, on the first failed write, stop writing for good: a listing finishes
//! quietly, a `baton run` whose output is no longer read still runs its pipeline to the end and
//! exits with its status, and followers ask [`closed`] to know when to stop.
//!
//! Import them in place of the standard macros: `use crate::out::println;`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// True once a write to stdout has failed: nobody reads what we print any more.
pub(crate) fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

#[doc(hidden)]
pub(crate) fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    if closed() {
        return;
    }
    let mut out = anstream::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            tracing::warn!(error = %e, "standard output failed; printing nothing more");
        }
    }
}

/// `println!` to stdout that never panics (see the module doc).
macro_rules! println {
    () => { $crate::out::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), true) };
}

/// `print!` to stdout that never panics (see the module doc).
macro_rules! print {
    ($($arg:tt)*) => { $crate::out::write(format_args!($($arg)*), false) };
}

pub(crate) use {print, println};
