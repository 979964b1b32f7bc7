//! The soak checks on a report with known resource samples and window
//! p95s: what each says, passing and failing, with the numbers worked out
//! here by hand.

mod common;

use std::time::Duration;

use spike_assert::expect;
use spike_core::soak::ResourceSample;
use spike_core::{mb, pct, Report};

use common::{failure, report, row};

/// The common report (10 windows of 100 ms), series `pid:7` at
/// 100 MB + 3 MB × k in window k, series `spike` flat at 50 MB with a
/// ±1 MB wobble, and window p95 at 10 ms + 1 ms × k.
fn soak_report() -> Report {
    let mut r = report();
    for (k, w) in r.windows.iter_mut().enumerate() {
        let k64 = k as u64;
        w.resources.insert(
            "pid:7".to_owned(),
            ResourceSample {
                rss_bytes: 100_000_000 + 3_000_000 * k64,
                fds: Some(12),
                threads: Some(4),
            },
        );
        w.resources.insert(
            "spike".to_owned(),
            ResourceSample {
                rss_bytes: if k % 2 == 0 { 51_000_000 } else { 49_000_000 },
                fds: Some(9),
                threads: Some(3),
            },
        );
        w.stats.latency.p95_us = 10_000 + 1_000 * k64;
    }
    r
}

#[test]
fn growth_is_last_minus_first_and_names_the_series() {
    let r = soak_report();
    // 10 samples, 100 MB → 127 MB: growth 27 MB.
    let f = failure(
        expect(&r)
            .allow_inconclusive()
            .memory_of(7)
            .warm_up(Duration::ZERO)
            .growth()
            .below(mb(30))
            .memory_of(7)
            .warm_up(Duration::ZERO)
            .growth()
            .below(mb(20))
            .try_verify(),
    );
    let checks = f.checks();
    assert_eq!(row(&checks[0])[0], "memory growth of `pid:7`");
    assert!(checks[0].passed, "{:?}", checks[0]);
    assert!(!checks[1].passed);
    assert_eq!(checks[1].expected, "growth < 20.0 MB");
    let actual = &checks[1].actual;
    assert!(
        actual.starts_with("growth 27.0 MB (`pid:7`: 100.0 MB → 127.0 MB"),
        "{actual}"
    );
    // 3 MB per 100 ms window = 30 MB/s, exactly, band included.
    assert!(
        actual.contains("slope 30.0 MB/s [95% band 30.0 MB/s … 30.0 MB/s]"),
        "{actual}"
    );
}

#[test]
fn a_steady_climb_is_leaking_and_a_wobble_is_not() {
    let r = soak_report();
    let f = failure(
        expect(&r)
            .allow_inconclusive()
            .memory_of(7)
            .warm_up(Duration::ZERO)
            .not_leaking()
            .memory_of_self()
            .warm_up(Duration::ZERO)
            .not_leaking()
            .memory_of(7)
            .warm_up(Duration::ZERO)
            .leak_rate()
            .below(mb(31))
            .try_verify(),
    );
    let c = f.checks();
    // 30 MB/s over the 0.9 s from the first sample to the last = 27 MB,
    // above the 10 MB floor.
    assert!(!c[0].passed);
    assert_eq!(c[0].expected, "not leaking (band low end × span ≤ 10.0 MB)");
    assert!(
        c[0].actual
            .starts_with("leaking: band low end × 1s = 27.0 MB"),
        "{}",
        c[0].actual
    );
    // ±1 MB alternating: the pair slopes straddle zero.
    assert!(c[1].passed, "{:?}", c[1]);
    assert_eq!(c[1].check, "memory leak of `spike`");
    // 30 MB/s is below 31 MB/s.
    assert!(c[2].passed, "{:?}", c[2]);
    assert_eq!(c[2].expected, "leak rate < 31.0 MB/s (95% band low end)");
}

#[test]
fn an_unknown_series_and_too_few_samples_fail_saying_why() {
    let r = soak_report();
    let f = failure(
        expect(&r)
            .allow_inconclusive()
            .memory_of(8)
            .growth()
            .below(mb(1))
            .memory_of(7)
            .growth()
            .below(mb(1))
            .try_verify(),
    );
    let c = f.checks();
    assert_eq!(
        c[0].actual,
        "not judged: no resource series `pid:8` in the report (it has: pid:7, spike)"
    );
    // The default 5 s warm-up leaves none of the 1 s run.
    assert!(
        c[1].actual
            .starts_with("not judged: `pid:7`: 0 samples after the 5s warm-up"),
        "{}",
        c[1].actual
    );
}

#[test]
fn drift_is_the_p95_slope_over_the_span_against_the_warm_level() {
    let r = soak_report();
    // p95 = 10 ms + 1 ms per 100 ms window: 10 ms/s over the 0.9 s between
    // the first and last window middles = 9 ms on a warm 10 ms: +90 %.
    let f = failure(
        expect(&r)
            .allow_inconclusive()
            .latency_drift()
            .warm_up(Duration::ZERO)
            .below(pct(95))
            .latency_drift()
            .warm_up(Duration::ZERO)
            .below(pct(10))
            .try_verify(),
    );
    let c = f.checks();
    assert!(c[0].passed, "{:?}", c[0]);
    assert!(!c[1].passed);
    assert_eq!(c[1].check, "latency drift");
    assert_eq!(c[1].expected, "p95 drift < 10.00% (95% band low end)");
    assert_eq!(
        c[1].actual,
        "p95 drift +90.0% [95% band +90.0% … +90.0%] over 1s from a warm p95 of 10.0ms"
    );
}
