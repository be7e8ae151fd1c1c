//! Running git, in one place: sources snapshot commits and `baton watch` reads refs with it.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use crate::error::LocalError;

/// Runs `git -C dir args…`: `Err` when git cannot be started, `Ok(Err(stderr))` when it fails,
/// `Ok(Ok(stdout))` when it succeeds.
pub(crate) async fn run(dir: &Path, args: &[&str]) -> Result<Result<String, String>, LocalError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| LocalError::Command {
            command: format!("git {}", args.join(" ")),
            message: e.to_string(),
        })?;
    Ok(if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    })
}

/// [`run`], with git's failure as an error naming the command.
pub(crate) async fn output(dir: &Path, args: &[&str]) -> Result<String, LocalError> {
    run(dir, args).await?.map_err(|message| LocalError::Command {
        command: format!("git {}", args.join(" ")),
        message,
    })
}
