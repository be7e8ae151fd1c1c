//! Terminal output: colour only on a terminal and never with NO_COLOR (anstream decides).

use anstyle::{AnsiColor, Style};

pub(crate) const OK: Style = AnsiColor::Green.on_default().bold();
pub(crate) const FAIL: Style = AnsiColor::Red.on_default().bold();
pub(crate) const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub(crate) const DIM: Style = Style::new().dimmed();
pub(crate) const BOLD: Style = Style::new().bold();

pub(crate) fn status(status: &str) -> Style {
    match status {
        "SUCCEEDED" | "Succeeded" | "OK" | "healthy" => OK,
        "FAILED" | "Failed" | "TIMED_OUT" | "ABORTED" | "ALARM" | "Stopped" | "unhealthy" => FAIL,
        "stopped" => DIM,
        _ => WARN,
    }
}

/// A recorded time as people read it: local time to the second, with its UTC offset
/// (`2026-12-03 22:55:01 +01:00`). `--json` keeps the RFC 3339 text; a text that is not one is
/// shown as it is.
pub(crate) fn when(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_string(),
        |t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S %:z").to_string(),
    )
}

pub(crate) fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1000 => format!("{ms}ms"),
        Some(ms) if ms < 60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        Some(ms) => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// `name@version` of an artifact JSON value.
pub(crate) fn artifact(v: &serde_json::Value) -> Option<String> {
    Some(format!("{}@{}", v.get("name")?.as_str()?, v.get("version")?))
}

/// A one-line summary of what a task reported.
pub(crate) fn result_summary(result: Option<&serde_json::Value>) -> String {
    use baton_core::stages::outputs::TaskOutput;
    let Some(r) = result else { return String::new() };
    let version = |a: &baton_core::ports::ArtifactRef| format!("{}@{}", a.name, a.version);
    let output = TaskOutput::read(r);
    let mut parts: Vec<String> = output.artifacts().into_iter().map(version).collect();
    match output {
        TaskOutput::Source(s) => {
            parts.extend(s.source.commit_id.map(|c| format!("commit {}", &c[..c.len().min(8)])));
        }
        TaskOutput::Build(b) => {
            parts.extend(b.reports.iter().map(|t| format!("tests {}/{} passed", t.passed, t.total)));
            parts.extend(
                b.coverage
                    .iter()
                    .filter_map(|c| c.line_percent())
                    .map(|p| format!("coverage {p:.1}%")),
            );
        }
        TaskOutput::Approval(a) if a.approved => {
            parts.push(format!("approved by {}", a.approver));
            parts.extend(a.comment.map(|c| format!("“{c}”")));
        }
        TaskOutput::Deploy(d) => {
            parts.push(format!("→ {}", d.group));
            if d.rolled_back {
                parts.push("rolled back".into());
            }
        }
        TaskOutput::Bake(b) => {
            parts.push(format!("→ {}", b.group));
            if b.passed {
                parts.push("alarms quiet".into());
            }
        }
        TaskOutput::RollbackSkipped(r) => {
            parts.push(format!("→ {}", r.group));
            parts.push(r.reason);
        }
        TaskOutput::Approval(_) | TaskOutput::Other => {}
    }
    parts.join(" ")
}

/// A canary analysis's decision, coloured as the status it leads to.
pub(crate) fn decision(d: baton_core::analysis::Decision) -> Style {
    use baton_core::analysis::Decision;
    match d {
        Decision::Fail => FAIL,
        Decision::Promote => OK,
        Decision::Continue => WARN,
    }
}

/// A canary analysis's effect: `+12.5%`, or `+∞` from a baseline of 0.
pub(crate) fn effect(e: f64) -> String {
    if e.is_infinite() {
        format!("{}∞", if e > 0.0 { '+' } else { '-' })
    } else {
        format!("{:+.1}%", e * 100.0)
    }
}

/// `text` cut to `max` characters, with `…` where it was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

#[cfg(test)]
mod tests {
    use super::when;

    #[test]
    fn times_read_to_the_second_with_their_offset() {
        let shown = when("2026-12-03T22:55:01.123456789+00:00");
        assert_eq!(shown.len(), "2026-12-03 22:55:01 +00:00".len(), "{shown}");
        assert!(!shown.contains('.') && !shown.contains('T'), "{shown}");
        assert_eq!(when("not a time"), "not a time");
    }
}
