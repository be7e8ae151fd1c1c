//! Report groups: the files a buildspec's `reports` section names, summed per group as CodeBuild
//! does — JUnit XML as a `TestReportSummary` (total, passed, failed, skipped, duration) with the
//! names of the tests that failed; coverage formats through [`crate::build::coverage`].

use std::collections::BTreeMap;
use std::path::Path;

use baton_core::events::{CoverageReport, TestReport};
use baton_core::spec::buildspec::Report;
use quick_xml::events::Event as Xml;
use quick_xml::{Reader, XmlVersion};
use walkdir::WalkDir;

use crate::build::coverage;
use crate::error::LocalError;
use crate::sys::tree;

/// Adds one JUnit XML document to a summary.
pub(crate) fn add_junit(summary: &mut TestReport, xml: &str) -> Result<(), LocalError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    // The test case being read: (name, failed, skipped).
    let mut case: Option<(String, bool, bool)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| LocalError::Action(format!("JUnit XML at byte {}: {e}", reader.buffer_position())))?;
        match &event {
            Xml::Start(e) | Xml::Empty(e) => {
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().into_inner() == name)
                        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
                };
                match e.name().local_name().into_inner() {
                    "testcase" => {
                        let name = attr("name").unwrap_or_default();
                        let full = match attr("classname") {
                            Some(c) if !c.is_empty() => format!("{c}.{name}"),
                            _ => name,
                        };
                        summary.duration_ms += attr("time")
                            .and_then(|t| t.parse::<f64>().ok())
                            .map_or(0, |s| (s * 1000.0).round() as u64);
                        if matches!(event, Xml::Empty(_)) {
                            summary.total += 1;
                            summary.passed += 1;
                        } else {
                            case = Some((full, false, false));
                        }
                    }
                    "failure" | "error" => {
                        if let Some(c) = case.as_mut() {
                            c.1 = true;
                        }
                    }
                    "skipped" => {
                        if let Some(c) = case.as_mut() {
                            c.2 = true;
                        }
                    }
                    _ => {}
                }
            }
            Xml::End(e) if e.name().local_name().into_inner() == "testcase" => {
                if let Some((name, failed, skipped)) = case.take() {
                    summary.total += 1;
                    if failed {
                        summary.failed += 1;
                        summary.failing.push(name);
                    } else if skipped {
                        summary.skipped += 1;
                    } else {
                        summary.passed += 1;
                    }
                }
            }
            Xml::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// What a build's report groups found: test results and code coverage.
#[derive(Debug, Default)]
pub(crate) struct Reports {
    pub tests: Vec<TestReport>,
    pub coverage: Vec<CoverageReport>,
}

/// How a report group's files are read, from its `file-format` (CodeBuild's default: JUnit).
#[derive(Clone, Copy)]
enum Format {
    JUnit,
    Cobertura,
    JaCoCo,
}

impl Format {
    fn of(group: &str, report: &Report) -> Result<Self, LocalError> {
        match report.file_format.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("JUNITXML") => Ok(Self::JUnit),
            Some("COBERTURAXML") => Ok(Self::Cobertura),
            Some("JACOCOXML") => Ok(Self::JaCoCo),
            Some(other) => Err(LocalError::Action(format!(
                "report group `{group}`: file-format {other} is not read locally (JUNITXML, COBERTURAXML and JACOCOXML are)"
            ))),
        }
    }
}

/// Every report group of a buildspec that found files, read from the build's workspace.
pub(crate) fn collect(src: &Path, groups: &BTreeMap<String, Report>) -> Result<Reports, LocalError> {
    let mut out = Reports::default();
    for (group, report) in groups {
        let format = Format::of(group, report)?;
        let base = match &report.base_directory {
            Some(b) => tree::contained(src, &b.value)?,
            None => src.to_path_buf(),
        };
        let globs = crate::build::outputs::glob_set(&report.files)?;
        let mut tests = TestReport {
            group: group.clone(),
            ..TestReport::default()
        };
        let mut coverage = CoverageReport {
            group: group.clone(),
            ..CoverageReport::default()
        };
        let mut files = 0;
        for entry in WalkDir::new(&base)
            .follow_links(false)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let Ok(rel) = entry.path().strip_prefix(&base) else { continue };
            if !globs.is_match(rel) {
                continue;
            }
            let xml = std::fs::read_to_string(entry.path()).map_err(LocalError::io(entry.path()))?;
            match format {
                Format::JUnit => add_junit(&mut tests, &xml),
                Format::Cobertura => coverage::add_cobertura(&mut coverage, &xml),
                Format::JaCoCo => coverage::add_jacoco(&mut coverage, &xml),
            }
            .map_err(|e| LocalError::Action(format!("report group `{group}`, {}: {e}", rel.display())))?;
            files += 1;
        }
        // Like CodeBuild, a group whose files were never written (the tests did not run) has
        // no report rather than an empty one.
        match format {
            _ if files == 0 => {}
            Format::JUnit => out.tests.push(tests),
            Format::Cobertura | Format::JaCoCo => out.coverage.push(coverage),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_junit_suites() {
        let xml = r#"<?xml version="1.0"?>
<testsuites><testsuite name="s" tests="4">
  <testcase classname="app.Tests" name="ok" time="0.5"/>
  <testcase classname="app.Tests" name="broken" time="0.25"><failure message="boom">trace</failure></testcase>
  <testcase classname="app.Tests" name="crashed"><error message="x"/></testcase>
  <testcase classname="app.Tests" name="later"><skipped/></testcase>
</testsuite></testsuites>"#;
        let mut s = TestReport::default();
        add_junit(&mut s, xml).unwrap();
        assert_eq!((s.total, s.passed, s.failed, s.skipped, s.duration_ms), (4, 1, 2, 1, 750));
        assert_eq!(s.failing, ["app.Tests.broken", "app.Tests.crashed"]);
        assert!(add_junit(&mut TestReport::default(), "<testsuite><testcase").is_err());
    }
}
