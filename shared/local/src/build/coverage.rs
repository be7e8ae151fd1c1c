//! Code coverage reports, summed as CodeBuild's `CodeCoverageReportSummary`: Cobertura XML
//! (`COBERTURAXML`) and JaCoCo XML (`JACOCOXML`).

use baton_core::events::CoverageReport;
use quick_xml::events::{BytesStart, Event as Xml};
use quick_xml::{Reader, XmlVersion};

use crate::error::LocalError;

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().into_inner() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn number(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    attr(e, name).and_then(|v| v.trim().parse().ok())
}

fn invalid(reader: &Reader<&[u8]>, e: impl std::fmt::Display) -> LocalError {
    LocalError::Action(format!("XML at byte {}: {e}", reader.buffer_position()))
}

/// Adds a Cobertura document. The root's `lines-covered`/`lines-valid` (and branch) totals are
/// used when present, as coverage.py and most tools write them; otherwise each class's `<line>`
/// elements are counted (method-level lines repeat them and are skipped).
pub(crate) fn add_cobertura(summary: &mut CoverageReport, xml: &str) -> Result<(), LocalError> {
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut totals = false;
    loop {
        let event = reader.read_event().map_err(|e| invalid(&reader, e))?;
        match &event {
            Xml::Start(e) | Xml::Empty(e) => {
                let name = e.name().local_name().into_inner().to_string();
                if name == "coverage" && path.is_empty() {
                    if let (Some(covered), Some(valid)) = (number(e, "lines-covered"), number(e, "lines-valid")) {
                        totals = true;
                        summary.lines_covered += covered;
                        summary.lines_missed += valid.saturating_sub(covered);
                        let (bc, bv) = (number(e, "branches-covered").unwrap_or(0), number(e, "branches-valid").unwrap_or(0));
                        summary.branches_covered += bc;
                        summary.branches_missed += bv.saturating_sub(bc);
                    }
                } else if name == "line" && !totals && !path.iter().any(|p| p == "method") {
                    if number(e, "hits").unwrap_or(0) > 0 {
                        summary.lines_covered += 1;
                    } else {
                        summary.lines_missed += 1;
                    }
                    // condition-coverage="50% (1/2)"
                    if let Some((hit, all)) = attr(e, "condition-coverage").as_deref().and_then(branch_fraction) {
                        summary.branches_covered += hit;
                        summary.branches_missed += all.saturating_sub(hit);
                    }
                }
                if matches!(event, Xml::Start(_)) {
                    path.push(name);
                }
            }
            Xml::End(_) => {
                path.pop();
            }
            Xml::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn branch_fraction(text: &str) -> Option<(u64, u64)> {
    let inner = text.split_once('(')?.1.trim_end_matches(')');
    let (hit, all) = inner.split_once('/')?;
    Some((hit.trim().parse().ok()?, all.trim().parse().ok()?))
}

/// Adds a JaCoCo document: the report-level `LINE` and `BRANCH` counters (the direct children
/// of `<report>`; nested counters are per package, class and method).
pub(crate) fn add_jacoco(summary: &mut CoverageReport, xml: &str) -> Result<(), LocalError> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| invalid(&reader, e))?;
        match &event {
            Xml::Start(e) | Xml::Empty(e) => {
                if depth == 1 && e.name().local_name().into_inner() == "counter" {
                    let (missed, covered) = (number(e, "missed").unwrap_or(0), number(e, "covered").unwrap_or(0));
                    match attr(e, "type").as_deref() {
                        Some("LINE") => {
                            summary.lines_covered += covered;
                            summary.lines_missed += missed;
                        }
                        Some("BRANCH") => {
                            summary.branches_covered += covered;
                            summary.branches_missed += missed;
                        }
                        _ => {}
                    }
                }
                if matches!(event, Xml::Start(_)) {
                    depth += 1;
                }
            }
            Xml::End(_) => depth = depth.saturating_sub(1),
            Xml::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cobertura_uses_root_totals() {
        let xml = r#"<?xml version="1.0" ?>
<coverage version="7.4" line-rate="0.75" branch-rate="0.5" lines-covered="3" lines-valid="4" branches-covered="1" branches-valid="2">
  <packages><package name="hello"><classes><class name="app.py" filename="hello/app.py">
    <lines><line number="1" hits="1"/></lines>
  </class></classes></package></packages>
</coverage>"#;
        let mut c = CoverageReport::default();
        add_cobertura(&mut c, xml).unwrap();
        assert_eq!(
            (c.lines_covered, c.lines_missed, c.branches_covered, c.branches_missed),
            (3, 1, 1, 1)
        );
        assert_eq!(c.line_percent(), Some(75.0));
    }

    #[test]
    fn cobertura_without_totals_counts_class_lines_once() {
        let xml = r#"<coverage><packages><package><classes><class name="A">
  <methods><method name="m"><lines><line number="1" hits="1"/></lines></method></methods>
  <lines>
    <line number="1" hits="1"/>
    <line number="2" hits="0"/>
    <line number="3" hits="2" branch="true" condition-coverage="50% (1/2)"/>
  </lines>
</class></classes></package></packages></coverage>"#;
        let mut c = CoverageReport::default();
        add_cobertura(&mut c, xml).unwrap();
        assert_eq!(
            (c.lines_covered, c.lines_missed, c.branches_covered, c.branches_missed),
            (2, 1, 1, 1)
        );
    }

    #[test]
    fn jacoco_reads_report_level_counters_only() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<report name="app">
  <package name="a"><class name="a/B"><counter type="LINE" missed="100" covered="100"/></class>
    <counter type="LINE" missed="100" covered="100"/></package>
  <counter type="INSTRUCTION" missed="7" covered="93"/>
  <counter type="BRANCH" missed="2" covered="6"/>
  <counter type="LINE" missed="5" covered="45"/>
</report>"#;
        let mut c = CoverageReport::default();
        add_jacoco(&mut c, xml).unwrap();
        assert_eq!(
            (c.lines_covered, c.lines_missed, c.branches_covered, c.branches_missed),
            (45, 5, 6, 2)
        );
        assert_eq!(c.line_percent(), Some(90.0));
        assert!(add_jacoco(&mut CoverageReport::default(), "<report><counter").is_err());
    }
}
