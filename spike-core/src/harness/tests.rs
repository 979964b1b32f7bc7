//! Unit tests of the harness: test names and the failure text.

use std::path::PathBuf;

use super::failure_text::{payload_text, reports_line, with_reports};
use super::*;

#[test]
fn test_name_drops_the_crate() {
    assert_eq!(test_name("svc::a::b", "t"), "a::b::t");
    assert_eq!(test_name("user_crate_tests", "t"), "t");
}

#[test]
fn reports_line_lists_every_path() {
    assert_eq!(reports_line(&[]), "No report was saved.");
    assert_eq!(
        reports_line(&[PathBuf::from("a/report.json")]),
        "report: a/report.json"
    );
    assert_eq!(
        reports_line(&[
            PathBuf::from("a/report.json"),
            PathBuf::from("b/report.json")
        ]),
        "reports:\n  a/report.json\n  b/report.json"
    );
}

#[test]
fn a_panic_gets_the_report_paths_once() {
    let reports = [PathBuf::from("target/spike/t/report.json")];
    let out = with_reports(Box::new("boom"), &reports, None);
    assert_eq!(
        payload_text(&*out),
        Some("boom\nreport: target/spike/t/report.json")
    );
    let already = "table ... target/spike/t/report.json".to_owned();
    let out = with_reports(Box::new(already.clone()), &reports, None);
    assert_eq!(payload_text(&*out), Some(already.as_str()));
    let out = with_reports(Box::new("boom"), &[], None);
    assert_eq!(payload_text(&*out), Some("boom"));
    let out = with_reports(Box::new(42_u8), &reports, None);
    assert_eq!(out.downcast_ref::<u8>(), Some(&42));
}

#[test]
fn a_panic_after_the_timeout_says_so() {
    let out = with_reports(Box::new("boom"), &[], Some("2s"));
    assert_eq!(
        payload_text(&*out),
        Some(
            "boom\n(the test had reached its timeout of 2s; its runs were interrupted)\n\
             No report was saved."
        )
    );
}
