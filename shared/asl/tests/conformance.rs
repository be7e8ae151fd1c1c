//! The conformance suite: every case in `tests/conformance/*.json` runs through the interpreter
//! under virtual time and must end as the case says. Each case names the section of the Amazon
//! States Language specification or the Step Functions developer guide it is written from.

#![allow(clippy::unwrap_used, reason = "test fixtures: a panic is the failure report")]

mod common;

#[test]
fn conformance_suite() {
    let cases = common::cases();
    assert!(cases.len() >= 100, "the suite has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = common::run_case(case) {
            failures.push(format!("{}/{} [{}]: {why}", case.file, case.name, case.source));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{} conformance cases passed", cases.len());
}
