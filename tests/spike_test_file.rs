//! `#[spike_test(file = "..")]`: the attribute runs a scenario file (its
//! target spike's demo service on 127.0.0.1), verifies the file's SLO
//! checks, then runs the body with the report. What the run must show
//! follows from the files: 50 requests per second for 1 s is 50 requests,
//! and no loopback HTTP round trip takes under 1 µs.
#![cfg(feature = "http")]

use spike::prelude::*;

#[spike_test(file = "tests/fixtures/file_attr/home.toml", timeout = "60s")]
async fn the_file_runs_and_its_report_reaches_the_body(report: Report) {
    assert_eq!(report.scenario, "file-attr-home");
    assert_eq!(report.total.completed, 50, "50 rps for 1 s");
    assert_eq!(report.total.errors, 0);
    expect(&report).p99().below(secs(5)).verify();
}

#[spike_test(file = "tests/fixtures/file_attr/home.toml")]
fn a_plain_fn_without_a_parameter_runs_the_file_too() {}

#[spike_test(file = "tests/fixtures/file_attr/impossible.toml")]
#[should_panic(expected = "latency p50")]
async fn a_file_check_that_cannot_hold_fails_the_test() {
    unreachable!("the file's failed check ends the test before the body");
}
