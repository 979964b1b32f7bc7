//! The console summary (`Report`'s `Display`) on the fixture of `common`:
//! offered and served per phase, scale factors, a generator-bound debug
//! build.

mod common;

use common::report;

#[test]
fn offered_and_served_per_phase() {
    let s = report().to_string();
    // Served by completion time, from the fixture's per-window counts:
    // baseline (10+10+10)/0.3 s, burst (30+30)/0.2 s, recover
    // (30+10+10+10+10)/0.5 s, total 160/1 s.
    let row = |name: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no row {name} in\n{s}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(s.contains(" offered ") && s.contains(" served "), "{s}");
    assert_eq!(row("baseline")[3..5], ["100.0/s", "100.0/s"]);
    assert_eq!(row("burst")[3..5], ["400.0/s", "300.0/s"]);
    assert_eq!(row("recover")[3..5], ["100.0/s", "140.0/s"]);
    assert_eq!(row("total")[3..5], ["160.0/s", "160.0/s"]);
}

#[test]
fn scale_factors_are_named_only_when_not_one() {
    let mut r = report();
    assert!(!r.to_string().contains("scaled"), "{r}");
    r.environment.rate_scale = 0.1;
    assert!(
        r.to_string().contains(
            "  scaled: rates ×0.1 (SPIKE_SCALE), durations ×1 (SPIKE_TIME_SCALE); the shape \
             above is the scaled one"
        ),
        "{r}"
    );
    r.environment.rate_scale = 1.0;
    r.environment.time_scale = 2.0;
    assert!(
        r.to_string()
            .contains("scaled: rates ×1 (SPIKE_SCALE), durations ×2 (SPIKE_TIME_SCALE)"),
        "{r}"
    );
}

#[test]
fn a_generator_bound_debug_build_is_named() {
    let mut r = report();
    r.generator.saturated = true;
    r.generator.schedule_lag.p99_us = 40_000;
    r.generator.lag_budget_us = 25_000;
    let debug = r.to_string();
    assert!(
        debug.contains(
            "  generator-bound: schedule lag p99 40.0ms over the 25.0ms budget (debug build: an \
             unoptimised generator drives a fraction of the load; see the guide, CI section)"
        ),
        "{debug}"
    );
    r.environment.build_profile = "release".to_owned();
    let release = r.to_string();
    assert!(
        release.contains("generator-bound: schedule lag p99 40.0ms over the 25.0ms budget\n")
            || release.ends_with("generator-bound: schedule lag p99 40.0ms over the 25.0ms budget"),
        "{release}"
    );
    assert!(!release.contains("debug build"), "{release}");
    // Saturated by drops at the in-flight cap (lag within budget): the
    // target, not the generator, was the limit.
    r.environment.build_profile = "debug".to_owned();
    r.generator.schedule_lag.p99_us = 1_000;
    r.generator.dropped = 12;
    assert!(!r.to_string().contains("generator-bound"), "{r}");
}
