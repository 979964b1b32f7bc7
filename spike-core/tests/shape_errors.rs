//! Every invalid shape and setting is refused with a typed error naming the
//! phase and the value, before any traffic (DESIGN §10).

use std::time::Duration;

use spike_core::{
    ms, rps, secs, users, Ctx, Level, Model, Scenario, Shape, ShapeError, ShapeLimits, SpikeError,
};

fn err(b: spike_core::ShapeBuilder) -> ShapeError {
    b.build().expect_err("the shape must be refused")
}

#[test]
fn empty() {
    let e = err(Shape::builder());
    assert_eq!(e, ShapeError::Empty);
    assert!(e.to_string().contains("the load shape is empty"));
}

#[test]
fn zero_negative_and_nan_rates() {
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY] {
        let e = err(Shape::builder()
            .hold(rps(100), secs(1))
            .burst(rps(bad), secs(1)));
        match &e {
            ShapeError::NonPositiveLevel { phase, level } => {
                assert_eq!(phase, "burst");
                assert_eq!(level.value().to_bits(), bad.to_bits());
            }
            other => panic!("wrong variant {other:?}"),
        }
        assert!(e.to_string().starts_with("phase `burst`: level"), "{e}");
        assert!(
            e.to_string().contains("must be a finite number above zero"),
            "{e}"
        );
    }
    let e = err(Shape::builder().ramp(users(-3), secs(1)));
    assert_eq!(
        e.to_string(),
        "phase `ramp`: level -3 users must be a finite number above zero"
    );
}

#[test]
fn zero_duration() {
    let e = err(Shape::builder()
        .hold(rps(10), secs(1))
        .named("warm")
        .hold(rps(10), Duration::ZERO));
    assert_eq!(
        e,
        ShapeError::ZeroDuration {
            phase: "hold".into(),
            duration: Duration::ZERO
        }
    );
    assert_eq!(
        e.to_string(),
        "phase `hold`: duration must be above zero, got 0ns"
    );
}

#[test]
fn mixed_models() {
    let e = err(Shape::builder()
        .hold(rps(100), secs(1))
        .burst(users(50), secs(1)));
    assert_eq!(
        e,
        ShapeError::MixedModels {
            phase: "burst".into(),
            level: Level::Users(50.0),
            expected: Model::Open,
            found: Model::Closed
        }
    );
    assert!(e.to_string().contains("uses the closed (virtual users) model but the shape started with the open (arrival rate) model"));
}

#[test]
fn recover_with_nothing_to_recover_from() {
    let e = err(Shape::builder()
        .hold(rps(100), secs(1))
        .recover(rps(50), secs(1))
        .named("cool-down"));
    assert_eq!(
        e,
        ShapeError::RecoverWithoutBurst {
            phase: "cool-down".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "phase `cool-down`: a recover phase needs a burst before it to recover from"
    );
}

#[test]
fn burst_not_above_the_level_before_it() {
    let e = err(Shape::builder()
        .ramp(rps(500), secs(1))
        .burst(rps(500), secs(1)));
    assert_eq!(
        e,
        ShapeError::BurstNotAboveBefore {
            phase: "burst".into(),
            burst: Level::Rps(500.0),
            before: Level::Rps(500.0)
        }
    );
    assert_eq!(
        e.to_string(),
        "phase `burst`: burst level 500 rps is not above the level before it (500 rps)"
    );
}

#[test]
fn fractional_users() {
    let e = err(Shape::builder().hold(users(2.5), secs(1)));
    assert!(matches!(e, ShapeError::FractionalUsers { .. }));
    assert_eq!(
        e.to_string(),
        "phase `hold`: 2.500 users is not a whole number of users"
    );
}

#[test]
fn absurd_totals() {
    let e = err(Shape::builder().hold(rps(100_000), secs(3_600)));
    assert_eq!(
        e,
        ShapeError::TooManyIterations {
            planned: 360_000_000,
            limit: 100_000_000
        }
    );
    assert!(e.to_string().contains("raise it with `ShapeLimits`"));
    let e = err(Shape::builder().hold(rps(1), secs(25 * 3_600)));
    assert!(matches!(e, ShapeError::TooLong { .. }), "{e:?}");
    let e = err(Shape::builder().hold(users(200_000), secs(1)));
    assert!(
        matches!(e, ShapeError::TooManyUsers { limit: 100_000, .. }),
        "{e:?}"
    );
    // Limits can be raised on purpose.
    let ok = Shape::builder()
        .limits(ShapeLimits {
            max_iterations: u64::MAX,
            ..ShapeLimits::default()
        })
        .hold(rps(100_000), secs(3_600))
        .build();
    assert!(ok.is_ok());
}

#[test]
fn duplicate_names_references_and_misplaced_markers() {
    let e = err(Shape::builder()
        .hold(rps(1), secs(1))
        .named("x")
        .hold(rps(1), secs(1))
        .named("x"));
    assert_eq!(e, ShapeError::DuplicatePhaseName { name: "x".into() });
    let e = err(Shape::builder()
        .hold(rps(1), secs(1))
        .reference()
        .hold(rps(1), secs(1))
        .reference());
    assert_eq!(
        e,
        ShapeError::MultipleReferences {
            first: "hold".into(),
            second: "hold-2".into()
        }
    );
    let e = err(Shape::builder().reference().hold(rps(1), secs(1)));
    assert_eq!(
        e,
        ShapeError::MarkerWithoutPhase {
            marker: "reference"
        }
    );
}

#[test]
fn bad_scenario_settings_fail_before_any_traffic() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let shape = Shape::builder().hold(rps(100), secs(1)).build().unwrap();
    let attempt = |scenario: Scenario| {
        let calls = calls.clone();
        rt.block_on(scenario.run(move |_ctx: Ctx| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async {}
        }))
        .expect_err("must be refused")
    };
    let e = attempt(Scenario::new("s"));
    assert_eq!(
        e.to_string(),
        "scenario `s` has no load shape: call `.shape(..)` before `.run(..)`"
    );
    let e = attempt(Scenario::new("s").shape(shape.clone()).window(ms(5)));
    assert!(matches!(e, SpikeError::BadWindow { .. }), "{e}");
    let e = attempt(Scenario::new("s").shape(shape.clone()).max_in_flight(0));
    assert_eq!(
        e.to_string(),
        "scenario `s`: `max_in_flight` must be above zero"
    );
    let e = attempt(Scenario::new("s").shape(shape.clone()).scale(-1.0, 1.0));
    assert_eq!(
        e.to_string(),
        "scenario `s`: invalid load shape: scale factor `rate` must be a finite number above zero, got -1"
    );
    // Scaling can also push a valid shape over a limit.
    let e = attempt(Scenario::new("s").shape(shape).scale(1.0, 100_000.0));
    assert!(
        matches!(
            e,
            SpikeError::Shape {
                source: ShapeError::TooLong { .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no traffic was sent"
    );
}

#[test]
fn run_outside_a_runtime_is_a_typed_error() {
    let shape = Shape::builder().hold(rps(1), secs(1)).build().unwrap();
    let fut = Scenario::new("s").shape(shape).run(|_ctx: Ctx| async {});
    let e = futures_executor_block_on(fut).unwrap_err();
    assert_eq!(e, SpikeError::NoRuntime);
}

/// Poll a future to completion without tokio (a minimal executor).
fn futures_executor_block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    let waker = Waker::from(std::sync::Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn scaling_multiplies_rates_and_durations() {
    let shape = Shape::builder()
        .hold(rps(100), secs(10))
        .burst(rps(1_000), secs(10))
        .recover(rps(100), secs(20))
        .build()
        .unwrap();
    let small = shape.scaled(0.1, 0.25).unwrap();
    assert_eq!(small.duration(), secs(10));
    assert_eq!(small.phase("burst").unwrap().to, Level::Rps(100.0));
    assert_eq!(
        small.phase("burst").unwrap().start,
        Duration::from_millis(2_500)
    );
    let u = Shape::builder()
        .hold(users(3), secs(1))
        .build()
        .unwrap()
        .scaled(0.1, 1.0)
        .unwrap();
    assert_eq!(u.phases()[0].to, Level::Users(1.0), "at least one user");
}

// ---- Issue 9 §7: values that used to panic are typed errors ----

#[test]
fn a_time_scale_beyond_any_duration_is_refused_not_a_panic() {
    // `Duration::mul_f64` panicked here ("value is too big").
    let shape = Shape::builder().hold(rps(10), secs(1)).build().unwrap();
    let e = shape.scaled(1.0, 1e20).unwrap_err();
    assert_eq!(
        e,
        ShapeError::ScaledTooLong {
            phase: "hold".into(),
            duration: secs(1),
            factor: 1e20
        }
    );
    assert_eq!(
        e.to_string(),
        "phase `hold`: 1s × time scale 100000000000000000000 is beyond 31536000s, the most a run can last"
    );
    // Just past the hard cap (365 days = 31,536,000 s): still refused, even
    // with limits that would allow more.
    let lenient = ShapeLimits {
        max_duration: Duration::MAX,
        max_iterations: u64::MAX,
        max_users: u64::MAX,
    };
    assert!(matches!(
        shape.scaled_with_limits(1.0, 31_536_001.0, lenient),
        Err(ShapeError::ScaledTooLong { .. })
    ));
    // Exactly at the cap: accepted.
    assert_eq!(
        shape
            .scaled_with_limits(1.0, 31_536_000.0, lenient)
            .unwrap()
            .duration(),
        spike_core::MAX_RUN_DURATION
    );
}

#[test]
fn durations_that_overflow_when_added_are_refused() {
    // `start += duration` overflowed ("overflow when adding durations").
    let lenient = ShapeLimits {
        max_duration: Duration::MAX,
        max_iterations: u64::MAX,
        max_users: u64::MAX,
    };
    let e = Shape::builder()
        .hold(users(1), Duration::MAX)
        .hold(users(1), Duration::MAX)
        .named("second")
        .limits(lenient)
        .build()
        .unwrap_err();
    assert_eq!(
        e,
        ShapeError::DurationOverflow {
            phase: "second".into()
        }
    );
    // One phase of Duration::MAX: the hard cap applies whatever the limits.
    let e = Shape::builder()
        .hold(users(1), Duration::MAX)
        .limits(lenient)
        .build()
        .unwrap_err();
    assert_eq!(
        e,
        ShapeError::TooLong {
            total: Duration::MAX,
            limit: spike_core::MAX_RUN_DURATION
        }
    );
}

#[test]
fn too_many_phases_are_refused() {
    let mut b = Shape::builder();
    for _ in 0..=spike_core::MAX_PHASES {
        b = b.hold(rps(1), ms(1));
    }
    assert_eq!(
        b.build().unwrap_err(),
        ShapeError::TooManyPhases {
            count: 10_001,
            limit: 10_000
        }
    );
}

#[test]
fn settings_that_would_overflow_the_clock_are_refused() {
    // `t0 + duration + drain_timeout` and `intended + iteration_timeout`
    // panicked on `Duration::MAX` ("overflow when adding duration to instant").
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let shape = Shape::builder().hold(rps(100), ms(100)).build().unwrap();
    let attempt = |scenario: Scenario| {
        rt.block_on(scenario.shape(shape.clone()).run(|_ctx: Ctx| async {}))
            .expect_err("must be refused")
    };
    for (setting, scenario) in [
        (
            "iteration_timeout",
            Scenario::new("s").iteration_timeout(Duration::MAX),
        ),
        (
            "drain_timeout",
            Scenario::new("s").drain_timeout(Duration::MAX),
        ),
        (
            "think_time",
            Scenario::new("s").think_time(secs(24 * 3600 + 1)),
        ),
    ] {
        let e = attempt(scenario);
        match &e {
            SpikeError::BadSetting { setting: s, .. } => assert_eq!(*s, setting),
            other => panic!("wrong variant: {other}"),
        }
        assert!(e.to_string().contains("must be at most 24h"), "{e}");
    }
    // 24 h exactly is accepted (the no-op workload ends at once).
    let report = rt
        .block_on(
            Scenario::new("s")
                .shape(shape.clone())
                .iteration_timeout(spike_core::MAX_SETTING_DURATION)
                .drain_timeout(spike_core::MAX_SETTING_DURATION)
                .run(|_ctx: Ctx| async {}),
        )
        .unwrap();
    assert_eq!(report.total.completed, 10); // 100 rps × 100 ms
    for (setting, criteria) in [
        (
            "recovery tolerance",
            spike_core::RecoveryCriteria {
                tolerance: f64::NAN,
                ..Default::default()
            },
        ),
        (
            "recovery epsilon",
            spike_core::RecoveryCriteria {
                epsilon: -0.5,
                ..Default::default()
            },
        ),
    ] {
        let e = attempt(Scenario::new("s").recovery_criteria(criteria));
        match &e {
            SpikeError::BadSetting { setting: s, .. } => assert_eq!(*s, setting),
            other => panic!("wrong variant: {other}"),
        }
    }
}

#[test]
fn env_values_are_parsed_by_pure_functions_with_typed_errors() {
    use spike_core::parse_scale_value;
    use spike_core::progress::ProgressMode;
    for bad in ["0", "-1", "abc", "", "NaN", "inf", "1e999"] {
        let e = parse_scale_value("SPIKE_TIME_SCALE", Some(bad)).unwrap_err();
        assert_eq!(
            e,
            SpikeError::BadEnv {
                var: "SPIKE_TIME_SCALE",
                value: bad.into(),
                expected: "a finite number above zero, such as 0.5 or 10"
            }
        );
    }
    // 1e20 is a number above zero: the variable is fine, the scaled shape
    // is what gets refused (above).
    assert_eq!(
        parse_scale_value("SPIKE_TIME_SCALE", Some("1e20")),
        Ok(1e20)
    );
    // SPIKE_PROGRESS_INTERVAL=1e300 panicked in `Duration::from_secs_f64`.
    for bad in ["1e300", "0", "0.05", "86401", "-3", "soon", "NaN"] {
        let e = ProgressMode::parse(None, Some(bad), false).unwrap_err();
        assert_eq!(
            e,
            SpikeError::BadEnv {
                var: "SPIKE_PROGRESS_INTERVAL",
                value: bad.into(),
                expected: "a number of seconds from 0.1 to 86400"
            }
        );
    }
    assert_eq!(
        ProgressMode::parse(None, Some(" 86400 "), false),
        Ok(ProgressMode::Plain {
            interval: secs(86_400)
        })
    );
    assert_eq!(
        ProgressMode::parse(Some("OFF"), Some("0.1"), false),
        Ok(ProgressMode::Off)
    );
    assert_eq!(
        ProgressMode::parse(Some("yes"), None, true),
        Ok(ProgressMode::Bar)
    );
    let e = ProgressMode::parse(Some("loud"), None, true).unwrap_err();
    assert!(matches!(
        e,
        SpikeError::BadEnv {
            var: "SPIKE_PROGRESS",
            ..
        }
    ));
}

#[test]
fn unwrap_shows_why_a_value_is_refused() {
    // What a test author sees when `.unwrap()` meets a bad value: the
    // sentence, not `BadEnv { var: .., value: .. }`.
    let payload = std::panic::catch_unwind(|| {
        spike_core::parse_scale_value("SPIKE_SCALE", Some("0")).unwrap()
    })
    .unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .expect("unwrap panics with a String");
    assert_eq!(
        message,
        "called `Result::unwrap()` on an `Err` value: environment variable SPIKE_SCALE=\"0\" is refused: it must be a finite number above zero, such as 0.5 or 10"
    );
    // Every error's Debug is its Display.
    let shape_error = err(Shape::builder().hold(rps(-1), secs(1)));
    assert_eq!(format!("{shape_error:?}"), shape_error.to_string());
    assert_eq!(
        format!("{shape_error:?}"),
        "phase `hold`: level -1 rps must be a finite number above zero"
    );
    let hlog = spike_core::artifacts::HlogError::Parse { offset: 7 };
    assert_eq!(
        format!("{hlog:?}"),
        "latency.hlog is not an interval log: parse error at byte 7"
    );
    let spike_error = SpikeError::from(shape_error);
    assert_eq!(
        format!("{spike_error:?}"),
        "invalid load shape: phase `hold`: level -1 rps must be a finite number above zero"
    );
}

#[test]
fn a_deserialized_shape_is_checked_again_before_it_runs() {
    // Serde bypasses the builder: an edited report's shape with no phase
    // used to reach `phase_index_at` (`len() - 1` underflow).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let shape = Shape::builder()
        .hold(rps(100), ms(100))
        .burst(rps(300), ms(100))
        .build()
        .unwrap();
    let json = serde_json::to_value(&shape).unwrap();
    let run = |value: serde_json::Value| {
        let shape: Shape = serde_json::from_value(value).expect("it deserializes");
        rt.block_on(
            Scenario::new("s")
                .shape(shape)
                .window(ms(50))
                .run(|_ctx: Ctx| async {}),
        )
    };
    let mut empty = json.clone();
    empty["phases"] = serde_json::json!([]);
    assert_eq!(
        run(empty).unwrap_err(),
        SpikeError::Shape {
            scenario: Some("s".into()),
            source: ShapeError::Empty
        }
    );
    let mut lower = json.clone();
    lower["phases"][1]["to"]["value"] = serde_json::json!(50.0);
    assert!(matches!(
        run(lower).unwrap_err(),
        SpikeError::Shape {
            source: ShapeError::BurstNotAboveBefore { .. },
            ..
        }
    ));
    // An untouched round trip runs as built: 10 + 30 iterations.
    assert_eq!(run(json).unwrap().total.completed, 40);
}
