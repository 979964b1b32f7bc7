//! No user value makes spike panic (issue 9 §7): arbitrary shapes, limits,
//! scales, scenario settings and environment values get a typed error or a
//! run, never a panic.
//!
//! Environment variables are process-global, so their parsers are tested
//! as the pure functions the env readers call (`parse_scale_value`,
//! `ProgressMode::parse`); one test goes through the real variables.
//! Real runs use 1–50 ms phases and a no-op workload, with a wall-clock cap,
//! so every case stops by itself within about a second.

use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use spike_core::progress::ProgressMode;
use spike_core::{
    ms, parse_scale_value, pct, rps, users, Ctx, Level, RateProfile, RecoveryCriteria, Scenario,
    Shape, ShapeBuilder, ShapeError, ShapeLimits, SpikeError, MAX_RUN_DURATION,
    MAX_SETTING_DURATION,
};

// ---------- strategies ----------

/// Any f64 at all: NaN, ±inf, ±0, subnormals, huge, tiny.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(0.0),
        Just(1e20),
        -1e3..1e6f64,
        (1u32..5_000).prop_map(f64::from),
    ]
}

/// Any duration: zero, nanoseconds, the everyday range, `Duration::MAX`.
fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::MAX),
        (0u64..100_000_000).prop_map(Duration::from_nanos),
        (0u64..100_000).prop_map(Duration::from_millis),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

fn any_level() -> impl Strategy<Value = Level> {
    prop_oneof![any_f64().prop_map(rps), any_f64().prop_map(users)]
}

fn any_limits() -> impl Strategy<Value = ShapeLimits> {
    (
        any_duration(),
        prop_oneof![any::<u64>(), Just(u64::MAX), 0u64..1_000_000],
        prop_oneof![any::<u64>(), Just(u64::MAX), 0u64..1_000],
    )
        .prop_map(|(max_duration, max_iterations, max_users)| ShapeLimits {
            max_duration,
            max_iterations,
            max_users,
        })
}

/// One call on a `ShapeBuilder`, in any order (markers before phases too).
#[derive(Debug, Clone)]
enum Op {
    Phase(u8, Level, Duration),
    Named(String),
    Reference,
    Limits(ShapeLimits),
}

fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, any_level(), any_duration()).prop_map(|(k, l, d)| Op::Phase(k, l, d)),
        1 => "[a-c-]{0,3}".prop_map(Op::Named),
        1 => Just(Op::Reference),
        1 => any_limits().prop_map(Op::Limits),
    ]
}

fn apply(ops: &[Op]) -> (ShapeBuilder, ShapeLimits) {
    let mut b = Shape::builder();
    let mut limits = ShapeLimits::default();
    for op in ops {
        b = match op.clone() {
            Op::Phase(0, l, d) => b.ramp(l, d),
            Op::Phase(1, l, d) => b.hold(l, d),
            Op::Phase(2, l, d) => b.burst(l, d),
            Op::Phase(_, l, d) => b.recover(l, d),
            Op::Named(n) => b.named(n),
            Op::Reference => b.reference(),
            Op::Limits(l) => {
                limits = l;
                b.limits(l)
            }
        };
    }
    (b, limits)
}

/// Everything a caller may do with a built shape, at arbitrary offsets.
fn exercise(shape: &Shape, offsets: &[Duration]) {
    let _ = (shape.reference_index(), shape.recover_index());
    let _ = shape.planned_iterations();
    for &at in offsets {
        let _ = shape.phase_index_at(at);
        let _ = shape.level_at(at).to_string();
    }
    if shape.model() == spike_core::Model::Open {
        let profile = RateProfile::new(shape);
        let mut last = Duration::ZERO;
        for at in profile.arrivals().take(64) {
            assert!(at >= last, "arrivals go forward: {at:?} after {last:?}");
            assert!(at <= shape.duration(), "{at:?} inside the shape");
            last = at;
        }
    }
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

// ---------- pure properties ----------

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_builder_calls_give_a_shape_or_a_typed_error(
        ops in prop::collection::vec(any_op(), 0..8),
        offsets in prop::collection::vec(any_duration(), 0..4),
    ) {
        let (builder, limits) = apply(&ops);
        match builder.build() {
            Ok(shape) => {
                prop_assert!(!shape.phases().is_empty());
                let limit = limits.max_duration.min(MAX_RUN_DURATION);
                prop_assert!(shape.duration() <= limit);
                // Phases follow each other with no gap (the test's own sum).
                let mut start = Duration::ZERO;
                for p in shape.phases() {
                    prop_assert_eq!(p.start, start);
                    prop_assert!(positive(p.to.value()), "{}", p.to);
                    prop_assert!(!p.duration.is_zero());
                    start += p.duration;
                }
                prop_assert_eq!(shape.duration(), start);
                prop_assert!(shape.planned_iterations() <= limits.max_iterations);
                exercise(&shape, &offsets);
            }
            Err(e) => {
                // Message and Debug are the same sentence, never empty.
                prop_assert!(!e.to_string().is_empty());
                prop_assert_eq!(format!("{:?}", e), e.to_string());
            }
        }
    }

    #[test]
    fn any_scale_of_a_valid_shape_gives_a_shape_or_a_typed_error(
        ops in prop::collection::vec(
            (0u8..4, 1u32..10_000, 1u64..600_000)
                .prop_map(|(k, r, d)| Op::Phase(k, rps(r), Duration::from_millis(d))),
            1..5,
        ),
        closed in any::<bool>(),
        rate in any_f64(),
        time in any_f64(),
        offsets in prop::collection::vec(any_duration(), 0..4),
    ) {
        let ops: Vec<Op> = ops
            .into_iter()
            .map(|op| match op {
                Op::Phase(k, l, d) if closed => Op::Phase(k, users(l.value().min(500.0).round()), d),
                other => other,
            })
            .collect();
        let Ok(shape) = apply(&ops).0.build() else {
            return Ok(()); // e.g. a burst not above the level before it
        };
        match shape.scaled(rate, time) {
            Ok(scaled) => {
                prop_assert!(positive(rate) && positive(time));
                prop_assert!(scaled.duration() <= ShapeLimits::default().max_duration);
                prop_assert_eq!(scaled.phases().len(), shape.phases().len());
                exercise(&scaled, &offsets);
            }
            Err(e) => {
                if !positive(rate) || !positive(time) {
                    let is_bad_scale = matches!(e, ShapeError::BadScale { .. });
                    prop_assert!(is_bad_scale, "{}", e);
                }
                prop_assert_eq!(format!("{:?}", e), e.to_string());
            }
        }
    }

    #[test]
    fn scale_variables_parse_like_std_or_are_refused(
        text in prop_oneof![
            any::<String>(),
            "[-+ 0-9.eE]{0,8}",
            any_f64().prop_map(|f| f.to_string()),
            any_f64().prop_map(|f| format!(" {f:e} ")),
        ],
        var in prop_oneof![Just("SPIKE_SCALE"), Just("SPIKE_TIME_SCALE")],
    ) {
        let std_parse = text.trim().parse::<f64>().ok().filter(|x| positive(*x));
        match parse_scale_value(var, Some(&text)) {
            Ok(x) => prop_assert_eq!(Some(x), std_parse),
            Err(e) => {
                prop_assert_eq!(std_parse, None);
                let is_bad_env = matches!(&e, SpikeError::BadEnv { var: v, value, .. } if *v == var && *value == text);
                prop_assert!(is_bad_env, "{:?}", e);
                let shown = format!("{:?}", e);
                prop_assert!(shown.contains("is refused: it must be"), "{}", shown);
            }
        }
    }

    #[test]
    fn progress_variables_give_a_mode_or_a_typed_error(
        setting in prop::option::of(prop_oneof![
            any::<String>(),
            prop::sample::select(vec!["0", "off", "Plain", "yes", "auto", " 1 ", "bar"])
                .prop_map(str::to_owned),
        ]),
        interval in prop::option::of(prop_oneof![
            any::<String>(),
            any_f64().prop_map(|f| f.to_string()),
            any_f64().prop_map(|f| format!("{f:e}")),
        ]),
        terminal in any::<bool>(),
    ) {
        match ProgressMode::parse(setting.as_deref(), interval.as_deref(), terminal) {
            Ok(ProgressMode::Plain { interval: i }) => {
                prop_assert!(i >= Duration::from_millis(100) && i <= Duration::from_secs(86_400));
            }
            Ok(_) => {}
            Err(e) => {
                let is_bad_env = matches!(e, SpikeError::BadEnv { .. });
                prop_assert!(is_bad_env, "{:?}", e);
            }
        }
    }

    #[test]
    fn units_and_levels_format_any_number(x in any_f64(), n in any::<u64>()) {
        let _ = pct(x).to_string();
        let _ = spike_core::Percent::from_fraction(x).fraction();
        let _ = (rps(x).to_string(), users(x).to_string());
        let _ = (spike_core::secs(n), ms(n));
    }
}

// ---------- real runs ----------

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .expect("a runtime")
    })
}

/// A scale factor: one a run can honour quickly (`true`), or one it must
/// refuse: not a number above zero, or at least `refused`.
fn scale(sane: std::ops::Range<f64>, refused: f64) -> impl Strategy<Value = (f64, bool)> {
    prop_oneof![
        4 => sane.prop_map(|x| (x, true)),
        1 => any_f64().prop_filter("not a run", move |x| !positive(*x) || *x >= refused).prop_map(|x| (x, false)),
        1 => (refused..f64::MAX).prop_map(|x| (x, false)),
    ]
}

/// A factor a run honours but that plans more than the wall-clock cap
/// lets it run: the run is interrupted.
fn long_scale(
    sane: std::ops::Range<f64>,
    long: std::ops::Range<f64>,
    refused: f64,
) -> impl Strategy<Value = (f64, bool)> {
    prop_oneof![
        3 => scale(sane, refused),
        1 => long.prop_map(|x| (x, true)),
    ]
}

/// A recovery tolerance or epsilon: a usual value, or anything at all.
fn criterion(sane: std::ops::Range<f64>) -> impl Strategy<Value = (f64, bool)> {
    prop_oneof![
        3 => sane.prop_map(|x| (x, true)),
        1 => any_f64().prop_map(|x| (x, false)),
    ]
}

/// A duration setting: a usual value, or anything at all.
fn setting(sane: std::ops::Range<u64>) -> impl Strategy<Value = (Duration, bool)> {
    prop_oneof![
        3 => sane.prop_map(|m| (Duration::from_millis(m), true)),
        1 => any_duration().prop_map(|d| (d, false)),
    ]
}

#[derive(Debug, Clone)]
struct Settings {
    closed: bool,
    phases: Vec<(u32, u64)>,
    rate: (f64, bool),
    time: (f64, bool),
    window: Option<(Duration, bool)>,
    max_in_flight: (u64, bool),
    iteration_timeout: (Duration, bool),
    drain_timeout: (Duration, bool),
    think_time: (Duration, bool),
    tolerance: (f64, bool),
    epsilon: (f64, bool),
    slack: Duration,
    sustain: u32,
    lag_budget: Duration,
    seed: u64,
    wall: Duration,
    /// What the workload hands to `ctx.count`, `ctx.gauge`, `ctx.record`.
    recorded: (u64, f64, Duration),
}

fn settings() -> impl Strategy<Value = Settings> {
    (
        (
            any::<bool>(),
            prop::collection::vec((1u32..2_000, 10u64..=50), 1..=3),
            // Rates: 1e13 × the smallest level over the shortest scaled
            // phase is above the 100-million-iteration limit.
            long_scale(0.05..4.0, 4.0..40.0, 1e13),
            // Times: 1e11 × 1 ms is beyond 365 days. Times from 2 to 100
            // plan up to 15 s, cut at 300 ms. (Between 100 and 1e11 a run
            // is valid but long, and an interrupted run still closes every
            // planned window, which takes seconds: left out here.)
            long_scale(1.0..2.0, 2.0..100.0, 1e11),
            prop::option::of(setting(10..11)),
            prop_oneof![
                (1u64..100_000).prop_map(|n| (n, true)),
                any::<u64>().prop_map(|n| (n, n > 0))
            ],
        ),
        (
            setting(1_000..5_000),
            setting(0..1_000),
            setting(1..5),
            criterion(0.0..1.0),
            criterion(0.0..0.1),
            any_duration(),
            any::<u32>(),
        ),
        (
            any_duration(),
            any::<u64>(),
            any_duration(),
            (any::<u64>(), any_f64(), any_duration()),
        ),
    )
        .prop_map(
            |(
                (closed, phases, rate, time, window, max_in_flight),
                (iteration_timeout, drain_timeout, think_time, tolerance, epsilon, slack, sustain),
                (lag_budget, seed, wall, recorded),
            )| Settings {
                closed,
                phases,
                rate,
                time,
                window,
                max_in_flight,
                iteration_timeout,
                drain_timeout,
                think_time,
                tolerance,
                epsilon,
                slack,
                sustain,
                lag_budget,
                seed,
                wall,
                recorded,
            },
        )
}

proptest! {
    // Each case is one short run; 32 keep the test to a few seconds, and
    // shrinking a failure is capped too.
    #![proptest_config(ProptestConfig {
        cases: 32,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_settings_give_a_report_or_a_typed_error(s in settings()) {
        // Rising levels, so the holds-then-bursts shape is valid as built;
        // phases of 10–50 ms, so a 10 ms window fits any sane time scale.
        let mut b = Shape::builder();
        for (i, &(level, d)) in s.phases.iter().enumerate() {
            let level = if s.closed {
                users(f64::from(level % 3 + 1) + i as f64 * 3.0)
            } else {
                rps(f64::from(level) + i as f64 * 2_000.0)
            };
            b = if i == 0 { b.hold(level, ms(d)) } else { b.burst(level, ms(d)) };
        }
        let shape = b.build().expect("rising holds and bursts are valid");
        let mut scenario = Scenario::new("no-panic")
            .shape(shape.clone())
            .scale(s.rate.0, s.time.0)
            .max_in_flight(s.max_in_flight.0)
            .iteration_timeout(s.iteration_timeout.0)
            .drain_timeout(s.drain_timeout.0)
            .think_time(s.think_time.0)
            .recovery_criteria(RecoveryCriteria {
                tolerance: s.tolerance.0,
                slack: s.slack,
                epsilon: s.epsilon.0,
                sustain: s.sustain,
            })
            .lag_budget(s.lag_budget)
            .seed(s.seed)
            .max_wall_time(s.wall)
            // A wild but valid time scale may plan a long run: stop it.
            .max_wall_time(ms(300));
        if let Some((w, _)) = s.window {
            scenario = scenario.window(w);
        }
        let started = std::time::Instant::now();
        let (n, gauge, duration) = s.recorded;
        let result = runtime().block_on(scenario.run(move |ctx: Ctx| async move {
            ctx.count("count", n);
            ctx.gauge("gauge", gauge);
            ctx.record("duration", duration);
        }));
        // Bounded: 300 ms, then 1 s grace for iterations in flight, plus slack
        // for a loaded machine.
        prop_assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
        // Scaling users down rounds them together (a burst of 1 user after
        // a hold of 1 user is refused, rightly): closed shapes stay rising
        // only for rate factors of 1 or more.
        let sane = s.rate.1
            && (!s.closed || s.rate.0 >= 1.0)
            && s.time.1
            && s.window.is_some_and(|w| w.1)
            && s.max_in_flight.1
            && s.iteration_timeout.1
            && s.drain_timeout.1
            && s.think_time.1
            && s.tolerance.1
            && s.epsilon.1
            && s.sustain > 0;
        match result {
            Ok(report) => {
                // Only values the run may accept got this far (the test's own
                // reading of the rules).
                prop_assert!(positive(s.rate.0) && positive(s.time.0));
                prop_assert!(s.max_in_flight.0 > 0 && s.sustain > 0);
                prop_assert!(!s.iteration_timeout.0.is_zero());
                for d in [s.iteration_timeout.0, s.drain_timeout.0, s.think_time.0] {
                    prop_assert!(d <= MAX_SETTING_DURATION);
                }
                prop_assert!(s.tolerance.0 >= 0.0 && s.epsilon.0 >= 0.0);
                if !s.closed {
                    // Open model, not interrupted: every planned iteration
                    // started or was dropped.
                    if report.interrupted.is_none() {
                        let planned = shape.scaled(s.rate.0, s.time.0).map_or_else(
                            |_| shape.planned_iterations(),
                            |sc| sc.planned_iterations(),
                        );
                        prop_assert_eq!(report.total.completed + report.total.dropped, planned);
                    }
                }
            }
            Err(e) => {
                prop_assert!(!sane, "sane settings were refused: {}", e);
                prop_assert_eq!(format!("{:?}", e), e.to_string());
            }
        }
    }
}

/// The one test that sets spike's variables in this process: the env
/// readers give what the pure parsers give.
#[test]
fn env_readers_use_the_pure_parsers() {
    let shape = Shape::builder().hold(rps(100), ms(40)).build().unwrap();
    for (scale, time) in [
        ("2", "0.5"),
        ("0", "1"),
        ("1", "1e20"),
        ("abc", "1"),
        ("1", "-0"),
        (" 3 ", "1"),
    ] {
        std::env::set_var("SPIKE_SCALE", scale);
        std::env::set_var("SPIKE_TIME_SCALE", time);
        let from_env = Scenario::new("env").shape(shape.clone()).scale_from_env();
        let expected = parse_scale_value("SPIKE_SCALE", Some(scale))
            .and_then(|_| parse_scale_value("SPIKE_TIME_SCALE", Some(time)));
        match (from_env, expected) {
            (Ok(scenario), Ok(_)) => {
                let result = runtime().block_on(
                    scenario
                        .max_wall_time(ms(300))
                        .window(ms(10))
                        .run(|_ctx: Ctx| async {}),
                );
                if time == "1e20" {
                    let e = result.unwrap_err();
                    assert!(
                        matches!(
                            e,
                            SpikeError::Shape {
                                source: ShapeError::ScaledTooLong { .. },
                                ..
                            }
                        ),
                        "{e}"
                    );
                } else {
                    let report = result.unwrap();
                    let (r, t) = (
                        scale.trim().parse::<f64>().unwrap(),
                        time.parse::<f64>().unwrap(),
                    );
                    // 100 rps × 40 ms, scaled by the test's own arithmetic.
                    let want = (100.0 * r * 0.040 * t).round() as u64;
                    assert_eq!(report.total.completed, want, "{scale} {time}");
                }
            }
            (Err(got), Err(want)) => assert_eq!(got, want),
            (got, want) => panic!("env reader {got:?} but parser {want:?}"),
        }
    }
    std::env::set_var("SPIKE_PROGRESS_INTERVAL", "1e300");
    let e = ProgressMode::try_from_env().unwrap_err();
    assert!(
        matches!(
            e,
            SpikeError::BadEnv {
                var: "SPIKE_PROGRESS_INTERVAL",
                ..
            }
        ),
        "{e}"
    );
    // The infallible reader falls back to the default instead of panicking.
    let _ = ProgressMode::from_env();
    for var in ["SPIKE_SCALE", "SPIKE_TIME_SCALE", "SPIKE_PROGRESS_INTERVAL"] {
        std::env::remove_var(var);
    }
}

#[test]
fn a_user_counter_saturates_instead_of_overflowing() {
    // `ctx.count(name, u64::MAX)` twice overflowed (a panic in debug builds,
    // inside the workload, so every iteration became a `panic` error).
    let shape = Shape::builder().hold(rps(100), ms(100)).build().unwrap();
    let report =
        runtime()
            .block_on(Scenario::new("counter").shape(shape).window(ms(50)).run(
                |ctx: Ctx| async move {
                    ctx.count("big", u64::MAX);
                    ctx.count("big", 1);
                },
            ))
            .unwrap();
    assert_eq!(report.total.completed, 10);
    assert_eq!(report.total.errors, 0, "no iteration panicked");
    assert_eq!(report.total.counter("big"), u64::MAX);
}
