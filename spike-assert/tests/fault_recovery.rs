//! `recovery_from("db-cut")` against reports with known fault recoveries:
//! passes, too slow, never recovered, unknown names (with a suggestion), a
//! fault that never ran, and the run-level scope. The engine's side (which
//! windows, which recovery time) is tested end to end in
//! spike-core/tests/faults.rs; here the numbers are set by hand.

mod common;

use common::{failure, report, row};
use spike_assert::expect;
use spike_core::{ms, secs, FaultRecovery, FaultSpan, RecoveryCriteria, Report};

fn span(name: &str, started: bool) -> FaultSpan {
    FaultSpan {
        name: name.to_owned(),
        description: "reset connections".to_owned(),
        planned_start: ms(300),
        planned_end: ms(500),
        actual_start: started.then(|| ms(300)),
        actual_end: started.then(|| ms(500)),
        stopped_at_run_end: false,
    }
}

fn recovery(name: &str, time: Option<u64>, reference: Vec<u64>) -> FaultRecovery {
    FaultRecovery {
        fault: name.to_owned(),
        criteria: RecoveryCriteria::default(),
        reference_windows: reference,
        reference_p95_us: 18_000,
        reference_error_rate: 0.0,
        healthy_p95_us: 28_000,
        healthy_error_rate: 0.01,
        fault_end: ms(500),
        until: ms(1_000),
        recovery_time: time.map(ms),
        unhealthy_windows: if time.is_some() {
            vec![5]
        } else {
            vec![5, 6, 7, 8, 9]
        },
    }
}

/// The shared report with `db-cut` (recovered 300 ms after its end) and
/// `disk-full` (never recovered); `late` never started.
fn with_faults() -> Report {
    let mut r = report();
    r.faults = vec![
        span("db-cut", true),
        span("disk-full", true),
        span("late", false),
    ];
    r.fault_recovery = vec![
        recovery("db-cut", Some(300), vec![0, 1, 2]),
        recovery("disk-full", None, vec![0, 1, 2]),
    ];
    r
}

#[test]
fn a_recovery_inside_the_limit_passes() {
    let r = with_faults();
    let verified = expect(&r)
        .recovery_from("db-cut")
        .within(ms(500))
        .recovery_from("db-cut")
        .recovered()
        .verify();
    let checks = verified.checks();
    assert_eq!(
        row(&checks[0]),
        [
            "recovery from fault `db-cut`",
            "run",
            "recovered ≤ 500.0ms after `db-cut` ended",
            "recovered 300.0ms after `db-cut` ended",
        ]
    );
    assert!(checks[0].passed && checks[1].passed);
    assert_eq!(checks[1].expected, "recovered after `db-cut` ended");
    // The limit is included.
    expect(&r).recovery_from("db-cut").within(ms(300)).verify();
}

#[test]
fn a_slow_recovery_fails_with_its_time() {
    let r = with_faults();
    let f = failure(
        expect(&r)
            .recovery_from("db-cut")
            .within(ms(299))
            .try_verify(),
    );
    let failed: Vec<_> = f.failed().collect();
    assert_eq!(failed.len(), 1, "{f}");
    assert_eq!(failed[0].actual, "recovered 300.0ms after `db-cut` ended");
}

#[test]
fn no_recovery_is_a_failure_naming_the_unhealthy_windows() {
    let r = with_faults();
    let f = failure(
        expect(&r)
            .recovery_from("disk-full")
            .recovered()
            .try_verify(),
    );
    let failed: Vec<_> = f.failed().collect();
    assert_eq!(
        failed[0].actual,
        "did not recover in the 500.0ms after `disk-full` ended (unhealthy windows #5, #6, #7, #8, #9)"
    );
}

#[test]
fn unknown_names_fail_with_the_names_there_are() {
    let r = with_faults();
    let f = failure(
        expect(&r)
            .recovery_from("db-cutt")
            .within(secs(5))
            .try_verify(),
    );
    let actual = &f.failed().next().unwrap().actual;
    assert_eq!(
        actual,
        "no fault named `db-cutt` (did you mean `db-cut`?); the faults are: db-cut, disk-full, late"
    );
    let f = failure(
        expect(&r)
            .recovery_from("network")
            .within(secs(5))
            .try_verify(),
    );
    assert_eq!(
        f.failed().next().unwrap().actual,
        "no fault named `network`; the faults are: db-cut, disk-full, late"
    );
    let plain = report();
    let f = failure(
        expect(&plain)
            .recovery_from("db-cut")
            .within(secs(5))
            .try_verify(),
    );
    assert_eq!(
        f.failed().next().unwrap().actual,
        "no fault named `db-cut`: the run had no faults (`Scenario::chaos`)"
    );
}

#[test]
fn a_fault_that_never_ran_or_had_no_reference_is_not_measured() {
    let mut r = with_faults();
    let f = failure(
        expect(&r)
            .recovery_from("late")
            .within(secs(5))
            .try_verify(),
    );
    assert_eq!(
        f.failed().next().unwrap().actual,
        "not measured: the fault never started (the run ended first)"
    );
    r.fault_recovery[0].reference_windows.clear();
    let f = failure(
        expect(&r)
            .recovery_from("db-cut")
            .within(secs(5))
            .try_verify(),
    );
    assert_eq!(
        f.failed().next().unwrap().actual,
        "not measured: no window before the fault to judge health against"
    );
}

#[test]
fn it_is_run_level_whatever_the_scope() {
    let r = with_faults();
    let verified = expect(&r)
        .phase("burst")
        .recovery_from("db-cut")
        .within(secs(1))
        .verify();
    assert_eq!(verified.checks()[0].scope, "run (ignores phase burst)");
}
