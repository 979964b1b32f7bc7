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

use spike_assert::{Failure, Verified};

use spike_core::{
    ms, rps, secs, Check, Ctx, Environment, GeneratorHealth, Percentiles, Recovery,
    RecoveryCriteria, Report, RequestStats, Scenario, Shape, Stats, WindowStats,
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
                faults: Vec::new(),
                resources: Default::default(),
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

// Named requests: a mix of browse 70 %, search 20 %, checkout 10 % (of the
// completed iterations), with its numbers per window, phase and run.
//
// | scope            | browse | search | checkout                 |
// | ---------------- | ------ | ------ | ------------------------ |
// | windows #0–#2    | 7      | 2      | 1                        |
// | window #3        | 28     | 8      | 4 (CHECKOUT_W3)          |
// | window #4        | 28     | 8      | 4 (CHECKOUT_W4), 1 http_5xx |
// | windows #5–#9    | 7      | 3      | none                     |
// | phase baseline   | 21     | 6      | 3 (CHECKOUT_BASELINE)    |
// | phase burst      | 56     | 16     | 8 (CHECKOUT_BURST), 1 http_5xx |
// | phase recover    | 35     | 15     | none                     |
// | run              | 112    | 37     | 11 (CHECKOUT_TOTAL), 1 http_5xx |
//
// Browse and search have the same latencies everywhere.

pub const BROWSE: Lat = [5, 8, 9, 10, 12, 15];
pub const SEARCH: Lat = [20, 30, 35, 40, 45, 50];
pub const CHECKOUT_BASELINE: Lat = [100, 150, 180, 200, 220, 250];
pub const CHECKOUT_W3: Lat = [250, 300, 320, 330, 340, 350];
pub const CHECKOUT_W4: Lat = [260, 330, 380, 400, 420, 450];
pub const CHECKOUT_BURST: Lat = [255, 320, 350, 400, 420, 450];
pub const CHECKOUT_TOTAL: Lat = [200, 320, 350, 400, 420, 450];

/// The numbers of `count` finished requests, `http_5xx` of them errors.
pub fn request(count: u64, http_5xx: u64, lat: Lat) -> RequestStats {
    let mut r = RequestStats {
        count,
        errors: http_5xx,
        error_rate: http_5xx as f64 / count as f64,
        latency: percentiles(count, lat, 1),
        ..RequestStats::default()
    };
    if http_5xx > 0 {
        r.errors_by_class.insert("http_5xx".to_owned(), http_5xx);
    }
    r
}

fn set_requests(s: &mut Stats, requests: [Option<(u64, u64, Lat)>; 3]) {
    s.requests = ["browse", "search", "checkout"]
        .into_iter()
        .zip(requests)
        .filter_map(|(name, r)| r.map(|(n, e, lat)| (name.to_owned(), request(n, e, lat))))
        .collect();
}

/// [`report`] with the named requests of the table above.
pub fn report_with_requests() -> Report {
    let mut r = report();
    let browse = |n| Some((n, 0, BROWSE));
    let search = |n| Some((n, 0, SEARCH));
    for w in &mut r.windows {
        let checkout = match w.index {
            0..=2 => Some((1, 0, CHECKOUT_BASELINE)),
            3 => Some((4, 0, CHECKOUT_W3)),
            4 => Some((4, 1, CHECKOUT_W4)),
            _ => None,
        };
        let (b, s) = match w.index {
            0..=2 => (7, 2),
            3..=4 => (28, 8),
            _ => (7, 3),
        };
        set_requests(&mut w.stats, [browse(b), search(s), checkout]);
    }
    set_requests(
        &mut r.phases[0].stats,
        [browse(21), search(6), Some((3, 0, CHECKOUT_BASELINE))],
    );
    set_requests(
        &mut r.phases[1].stats,
        [browse(56), search(16), Some((8, 1, CHECKOUT_BURST))],
    );
    set_requests(&mut r.phases[2].stats, [browse(35), search(15), None]);
    set_requests(
        &mut r.total,
        [browse(112), search(37), Some((11, 1, CHECKOUT_TOTAL))],
    );
    // The table adds up: a mix makes one request per iteration, and
    // windows add up to phases, phases to the run.
    let all = std::iter::once(&r.total)
        .chain(r.phases.iter().map(|p| &p.stats))
        .chain(r.windows.iter().map(|w| &w.stats));
    for s in all {
        assert_eq!(
            s.requests.values().map(|q| q.count).sum::<u64>(),
            s.completed
        );
    }
    for name in ["browse", "search", "checkout"] {
        let count = |s: &Stats| s.requests.get(name).map_or(0, |q| q.count);
        let windows: u64 = r.windows.iter().map(|w| count(&w.stats)).sum();
        let phases: u64 = r.phases.iter().map(|p| count(&p.stats)).sum();
        assert_eq!(
            (windows, phases),
            (count(&r.total), count(&r.total)),
            "{name}"
        );
        for p in &r.phases {
            let of_phase: u64 = r
                .windows
                .iter()
                .filter(|w| w.phase == p.name)
                .map(|w| count(&w.stats))
                .sum();
            assert_eq!(of_phase, count(&p.stats), "{name} in {}", p.name);
        }
    }
    r
}

/// The failure of a chain expected to fail.
pub fn failure(r: Result<Verified, Failure>) -> Failure {
    match r {
        Ok(v) => panic!("expected a failure, all passed: {:#?}", v.checks()),
        Err(f) => f,
    }
}

/// [check, scope, expected, actual] of a check.
pub fn row(c: &Check) -> [&str; 4] {
    [
        c.check.as_str(),
        c.scope.as_str(),
        c.expected.as_str(),
        c.actual.as_str(),
    ]
}

/// (scope, actual, passed) of the checks, the load guard left out.
pub fn outcomes(checks: &[Check]) -> Vec<(&str, &str, bool)> {
    assert_eq!(
        checks.last().map(|c| c.check.as_str()),
        Some("load applied as planned")
    );
    checks[..checks.len() - 1]
        .iter()
        .map(|c| (c.scope.as_str(), c.actual.as_str(), c.passed))
        .collect()
}
