//! Checks scoped to one named request (`expect(..).request(name)`) against
//! a report whose per-request numbers are known by construction (see
//! `common::report_with_requests`): every metric a request has, the scope
//! column, composition with the time scopes, unknown names, requests
//! without samples, and the verdict's location. Per window:
//! `request_windows.rs`.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{failure, outcomes, report, report_with_requests, row, settings};
use spike_assert::expect;
use spike_core::{ms, pct, secs};

#[test]
fn a_passing_request_chain_checks_what_a_request_has() {
    let r = report_with_requests();
    let verified = expect(&r)
        .request("checkout")
        .p50()
        .below(ms(201))
        .p90()
        .at_most(ms(320))
        .p95()
        .below(ms(400))
        .p99()
        .at_most(ms(400))
        .p999()
        .between(ms(420), ms(420))
        .max()
        .at_most(ms(450))
        .error_rate()
        .below(pct(10))
        .errors("http_5xx")
        .at_most(1)
        .count()
        .at_least(11)
        .verify();
    let checks = verified.checks();
    assert_eq!(checks.len(), 10, "{checks:#?}");
    assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
    let rows: Vec<[&str; 4]> = checks[..9].iter().map(row).collect();
    assert_eq!(
        rows,
        [
            ["latency p50", "request checkout", "< 201.0ms", "200.0ms"],
            ["latency p90", "request checkout", "≤ 320.0ms", "320.0ms"],
            ["latency p95", "request checkout", "< 400.0ms", "350.0ms"],
            ["latency p99", "request checkout", "≤ 400.0ms", "400.0ms"],
            [
                "latency p99.9",
                "request checkout",
                "≥ 420.0ms and ≤ 420.0ms",
                "420.0ms"
            ],
            ["latency max", "request checkout", "≤ 450.0ms", "450.0ms"],
            // 1 error of 11 checkouts.
            ["error rate", "request checkout", "< 10.00%", "9.09%"],
            ["errors http_5xx", "request checkout", "≤ 1", "1"],
            ["count", "request checkout", "≥ 11", "11"],
        ]
    );
}

#[test]
fn each_request_has_its_own_numbers() {
    let r = report_with_requests();
    // The same check, three requests and the whole iterations: four values.
    let f = failure(
        expect(&r)
            .request("browse")
            .p95()
            .below(ms(100))
            .request("search")
            .p95()
            .below(ms(100))
            .request("checkout")
            .p95()
            .below(ms(100))
            .all_requests()
            .p95()
            .below(ms(100))
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [
            ("request browse", "9.0ms", true),
            ("request search", "35.0ms", true),
            ("request checkout", "350.0ms", false),
            ("run", "110.0ms", false),
        ]
    );
}

#[test]
fn a_failing_request_check_in_a_phase_shows_in_the_table() {
    let r = report_with_requests();
    let f = failure(
        expect(&r)
            .request("checkout")
            .phase("burst")
            .p95()
            .below(ms(300))
            .error_rate()
            .at_most(pct(5))
            .request("browse")
            .p95()
            .below(ms(50))
            .all_requests()
            .p95()
            .below(ms(250))
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [
            ("request checkout, phase burst", "350.0ms", false),
            // 1 error of 8 checkouts in the burst.
            ("request checkout, phase burst", "12.50%", false),
            ("request browse, phase burst", "9.0ms", true),
            ("phase burst", "140.0ms", true),
        ]
    );
    settings().bind(|| insta::assert_snapshot!(f.message()));
}

#[test]
fn request_and_phase_compose_in_either_order() {
    let r = report_with_requests();
    let first = expect(&r)
        .request("checkout")
        .phase("burst")
        .p95()
        .below(ms(400))
        .verify();
    let second = expect(&r)
        .phase("burst")
        .request("checkout")
        .p95()
        .below(ms(400))
        .verify();
    assert_eq!(first.checks(), second.checks());
    assert_eq!(
        row(&first.checks()[0]),
        [
            "latency p95",
            "request checkout, phase burst",
            "< 400.0ms",
            "350.0ms"
        ]
    );
}

#[test]
fn scope_methods_keep_the_request_until_all_requests() {
    let r = report_with_requests();
    let verified = expect(&r)
        .min_samples(4)
        .request("checkout")
        .phase("baseline")
        .p95()
        .below(secs(1))
        .window(3)
        .p95()
        .below(secs(1))
        .run()
        .p95()
        .below(secs(1))
        .phase("burst")
        .every_window()
        .p95()
        .below(secs(1))
        .all_requests()
        .p95()
        .below(secs(1))
        .request("search")
        .p95()
        .below(secs(1))
        .verify();
    let scopes: Vec<&str> = outcomes(verified.checks())
        .into_iter()
        .map(|(scope, _, _)| scope)
        .collect();
    assert_eq!(
        scopes,
        [
            "request checkout, phase baseline",
            "request checkout, window #3",
            "request checkout",
            "request checkout, every window of burst",
            "every window of burst",
            "request search, every window of burst",
        ]
    );
}

#[test]
fn an_unknown_request_fails_with_the_names_and_a_guess() {
    let r = report_with_requests();
    let f = failure(
        expect(&r)
            .request("checkot")
            .phase("burst")
            .p95()
            .below(ms(300))
            // A count of 0 or no errors would hold of a request that never
            // ran: a misspelled name must not pass that way.
            .count()
            .at_most(0)
            .errors("timeout")
            .at_most(0)
            .every_window()
            .error_rate()
            .at_most(pct(100))
            .request("login")
            .count()
            .at_most(0)
            .try_verify(),
    );
    let guess = "no request named `checkot` (did you mean `checkout`?); the requests are: browse, \
                 checkout, search";
    assert_eq!(
        outcomes(f.checks()),
        [
            ("request checkot, phase burst", guess, false),
            ("request checkot, phase burst", guess, false),
            ("request checkot, phase burst", guess, false),
            ("request checkot, every window of burst", guess, false),
            (
                "request login, every window of burst",
                "no request named `login`; the requests are: browse, checkout, search",
                false
            ),
        ]
    );
    let message = f.message();
    assert!(
        message.starts_with("spike: 5 of 6 checks failed"),
        "{message}"
    );
}

#[test]
fn a_report_without_named_requests_says_so() {
    let r = report();
    assert!(r.total.requests.is_empty());
    let f = failure(
        expect(&r)
            .request("checkout")
            .count()
            .at_most(0)
            .try_verify(),
    );
    assert_eq!(
        outcomes(f.checks()),
        [(
            "request checkout",
            "no request named `checkout`; the run recorded no named request",
            false
        )]
    );
}

#[test]
fn a_request_that_never_ran_in_a_phase_has_no_latency_there() {
    let r = report_with_requests();
    // No checkout finished in the recover phase: like a phase where no
    // iteration completed, its latency and error rate fail; its count and
    // its errors are a true 0.
    let f = failure(
        expect(&r)
            .request("checkout")
            .phase("recover")
            .p95()
            .below(secs(1))
            .error_rate()
            .at_most(pct(100))
            .count()
            .at_most(0)
            .errors("http_5xx")
            .at_most(0)
            .try_verify(),
    );
    let none = "no `checkout` request completed";
    assert_eq!(
        outcomes(f.checks()),
        [
            ("request checkout, phase recover", none, false),
            ("request checkout, phase recover", none, false),
            ("request checkout, phase recover", "0", true),
            ("request checkout, phase recover", "0", true),
        ]
    );
    // Failed, not inconclusive.
    assert!(!f.message().contains("INCONCLUSIVE"), "{f}");
    assert!(f.message().contains("FAILED"), "{f}");
}

#[test]
fn errors_of_a_request_hint_at_its_other_classes() {
    let r = report_with_requests();
    let verified = expect(&r)
        .request("checkout")
        .errors("timeout")
        .at_most(0)
        .request("browse")
        .errors("timeout")
        .at_most(0)
        .verify();
    let actual: Vec<&str> = verified.checks()[..2]
        .iter()
        .map(|c| c.actual.as_str())
        .collect();
    assert_eq!(actual, ["0 (classes seen: http_5xx 1)", "0"]);
}

#[test]
fn a_request_chain_fails_at_the_callers_line() {
    let r = report_with_requests();
    let chain = expect(&r).request("checkout").p95().below(ms(1));
    let line = line!() + 1;
    let f = failure(chain.try_verify());
    assert_eq!((f.location().file(), f.location().line()), (file!(), line));

    let chain = expect(&r).request("checkout").p95().below(ms(1));
    let line = line!() + 1;
    let outcome = catch_unwind(AssertUnwindSafe(|| chain.verify()));
    let payload = outcome.expect_err("a failing chain panics");
    let message = payload
        .downcast_ref::<String>()
        .expect("the panic carries the message");
    assert!(
        message.contains(&format!("  at {}:{line}:", file!())),
        "{message}"
    );
}
