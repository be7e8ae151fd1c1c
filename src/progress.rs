//! Spinners for operations that take a while (a deployment, a rollback, stopping an execution).
//!
//! They draw on stderr and only when it is a terminal (indicatif hides them otherwise), so a
//! pipe, `--json` or a CI log gets exactly the lines it would without them. Whatever prints while
//! one turns goes through [`ProgressBar::suspend`], which clears it first and redraws it after.

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

const TEMPLATE: &str = "{spinner} {msg} ({elapsed})";

/// A spinner showing `message` and the time since it started. Dropped (an error returned
/// early), it clears itself rather than leave a frozen line above the error.
pub(crate) fn spinner(message: impl Into<Cow<'static, str>>) -> ProgressBar {
    let bar = ProgressBar::new_spinner()
        .with_message(message)
        .with_finish(ProgressFinish::AndClear);
    // A template that fails to parse is a bug in this file, caught by its test.
    if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
        bar.set_style(style.tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "));
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// Awaits `work` under a spinner, and clears the spinner once it is done.
pub(crate) async fn during<T>(message: impl Into<Cow<'static, str>>, work: impl Future<Output = T>) -> T {
    let bar = spinner(message);
    let out = work.await;
    bar.finish_and_clear();
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_template_parses() {
        assert!(indicatif::ProgressStyle::with_template(super::TEMPLATE).is_ok());
    }
}
