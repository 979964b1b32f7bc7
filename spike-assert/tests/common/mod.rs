//! A report with exact, known numbers for the assertion tests.
//!
//! The shape, phases and scenario come from one real tiny run (so the report
//! is what the engine produces); every measured number is then replaced by a
//! fixed one so each test can pin what a check must say.
//!
//! Shape: `baseline` hold 100 rps 300 ms, `burst` 400 rps 200 ms, `recover`
//! 100 rps 500 ms; windows of 100 ms: #0–#2 baseline, #3–#4 burst, #5–#9
//! recover.
//!
//! Served (completions by completion instant) per window: 10 in the
//! baseline windows, 30 in each burst window (the target gets 300/s through
//! while 400/s are offered), 30 in #5 (the backlog drains), then 10.

#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;
use std::time::Duration;

use spike_core::{
    ms, rps, secs, Ctx, Environment, GeneratorHealth, Percentiles, Recovery, RecoveryCriteria,
    Report, Scenario, Shape, Stats, WindowStats,
};

/// Latency percentiles in ms: p50, p90, p95, p99, p99.9, max.
pub type Lat = [u64; 6];

pub const BASELINE: Lat = [10, 15, 18, 20, 22, 25];
pub const BURST_WINDOW: Lat = [60, 100, 120, 200, 250, 300];
pub const BURST: Lat = [60, 110, 140, 220, 260, 300];
pub const SLOW_RECOVER_WINDOW: Lat = [20, 35, 40, 50, 55, 60];
/// Completions per window by completion instant (sum 160 = completed).
pub const SERVED: [u64; 10] = [10, 10, 10, 30, 30, 30, 10, 10, 10, 10];
pub const TOTAL: Lat = [12, 60, 110, 200, 250, 300];

fn percentiles(count: u64, lat: Lat, divide: u64) -> Percentiles {
    let us = |i: usize| lat[i] * 1_000 / divide;
    Percentiles {
        count,
        min_us: us(0) / 2,
        mean_us: us(0) as f64,
        p50_us: us(0),
        p90_us: us(1),
        p95_us: us(2),
        p99_us: us(3),
        p999_us: us(4),
        max_us: us(5),
    }
}

/// Stats of `completed` iterations (all started, none dropped) over `span`,
/// `errors` of them errors; service time is half the latency.
pub fn stats(completed: u64, errors: u64, span: Duration, target: f64, lat: Lat) -> Stats {
    let per_sec = |n: u64| n as f64 / span.as_secs_f64();
    Stats {
        scheduled: completed,
        started: completed,
        dropped: 0,
        completed,
        errors,
        error_rate: if completed == 0 {
            0.0
        } else {
            errors as f64 / completed as f64
        },
        target,
        achieved_rate: per_sec(completed),
        throughput: per_sec(completed - errors),
        span,
        latency: percentiles(completed, lat, 1),
        service_time: percentiles(completed, lat, 2),
        schedule_lag: percentiles(completed, [1, 1, 1, 1, 1, 1], 1),
        ..Stats::default()
    }
}

/// Set `errors` errors of class `class` in `s`, keeping the rates right.
pub fn set_errors(s: &mut Stats, class: &str, errors: u64) {
    let others: u64 = s
        .errors_by_class
        .iter()
        .filter(|(k, _)| *k != class)
        .map(|(_, n)| n)
        .sum();
    s.errors_by_class.insert(class.to_owned(), errors);
    s.errors = others + errors;
    s.error_rate = s.errors as f64 / s.completed as f64;
    s.throughput = (s.completed - s.errors) as f64 / s.span.as_secs_f64();
}

fn real_run() -> Report {
    static RUN: OnceLock<Report> = OnceLock::new();
    RUN.get_or_init(|| {
        let shape = Shape::builder()
            .hold(rps(100), ms(300))
            .named("baseline")
            .burst(rps(400), ms(200))
            .recover(rps(100), ms(500))
            .build()
            .expect("a valid shape");
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("a runtime")
            .block_on(
                Scenario::new("checkout_spike")
                    .shape(shape)
                    .window(ms(100))
                    .lag_budget(secs(10))
                    .run(|_ctx: Ctx| async {}),
            )
            .expect("a valid scenario")
    })
    .clone()
}

/// The known report (see the module docs for its numbers).
pub fn report() -> Report {
    let mut r = real_run();
    assert_eq!(
        r.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["baseline", "burst", "recover"]
    );
    r.environment = Environment {
        cores: 2,
        build_profile: "debug".to_owned(),
        spike_version: "0.1.0".to_owned(),
        os: "linux-x86_64".to_owned(),
        rate_scale: 1.0,
        time_scale: 1.0,
        started_at_unix_ms: 1_700_000_000_000,
    };
    r.elapsed = ms(1_002);
    r.phases[0].stats = stats(30, 0, ms(300), 100.0, BASELINE);
    r.phases[1].stats = stats(80, 0, ms(200), 400.0, BURST);
    r.phases[2].stats = stats(50, 0, ms(500), 100.0, BASELINE);
    let mut total = stats(160, 0, secs(1), 160.0, TOTAL);
    total.counters.insert("cache_lookup".to_owned(), 160);
    total.counters.insert("cache_hit".to_owned(), 150);
    r.total = total;
    r.windows = (0..10u64)
        .map(|i| {
            let (phase, s) = match i {
                0..=2 => ("baseline", stats(10, 0, ms(100), 100.0, BASELINE)),
                3..=4 => ("burst", stats(40, 0, ms(100), 400.0, BURST_WINDOW)),
                5 => ("recover", stats(10, 0, ms(100), 100.0, SLOW_RECOVER_WINDOW)),
                _ => ("recover", stats(10, 0, ms(100), 100.0, BASELINE)),
            };
            WindowStats {
                index: i,
                start: ms(100 * i),
                end: ms(100 * (i + 1)),
                phase: phase.to_owned(),
                stats: s,
                served: SERVED[i as usize],
            }
        })
        .collect();
    r.recovery = Some(Recovery {
        criteria: RecoveryCriteria::default(),
        reference_phase: "baseline".to_owned(),
        reference_p95_us: 18_000,
        reference_error_rate: 0.0,
        healthy_p95_us: 28_000,
        healthy_error_rate: 0.01,
        recover_phase: "recover".to_owned(),
        spike_end: ms(500),
        recover_end: ms(1_000),
        recovery_time: Some(ms(100)),
        unhealthy_windows: vec![5],
    });
    r.generator = GeneratorHealth {
        schedule_lag: percentiles(160, [1, 1, 1, 1, 1, 2], 1),
        dropped: 0,
        max_in_flight: 12,
        in_flight_cap: 10_000,
        drain_timeouts: 0,
        abandoned: 0,
        late_records: 0,
        lag_budget_us: 25_000,
        saturated: false,
        pacer_cpu: 0.0,
    };
    r.interrupted = None;
    r.checks = Vec::new();
    r.artifacts = None;
    r
}

/// Snapshot settings: the source line and column of a call are not part of
/// the message being pinned.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\.rs:\d+:\d+", ".rs:[line]:[col]");
    s
}
