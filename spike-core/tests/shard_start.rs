//! The agreed start instant of a sharded run, and the shard settings'
//! typed errors (issue 14).
//!
//! Alignment is judged by the test's own clock: the workload records the
//! wall-clock time at which iteration 0 (intended at the schedule's start)
//! began, and the test compares it with the instant it asked for.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use spike_core::shard::{parse_start_at, Shard};
use spike_core::{ms, rps, Ctx, Report, Scenario, Shape, SpikeError};

/// How late a shard may start after an instant in the future and still
/// count as aligned, on a loaded 2-core machine with a debug build. Idle,
/// this machine measured offsets of 0.06–0.3 ms (see the report); the
/// margin leaves room for the runtime's wake-up under load.
const MARGIN: Duration = Duration::from_millis(20);

/// Run shard 0/2 of a 200 ms, 100 rps hold starting at `at`; the report
/// and the wall-clock time at which iteration 0 began.
fn run_at(at: SystemTime) -> (Report, SystemTime) {
    let rt = common::runtime(2);
    let first = Arc::new(Mutex::new(None));
    let sink = first.clone();
    let report = rt
        .block_on(
            Scenario::new("shard-start")
                .shape(Shape::builder().hold(rps(100), ms(200)).build().unwrap())
                .shard(Shard::new(0, 2).unwrap())
                .start_at(at)
                .run(move |ctx: Ctx| {
                    if ctx.iteration() == 0 {
                        *sink.lock().unwrap() = Some(SystemTime::now());
                    }
                    async {}
                }),
        )
        .expect("valid scenario");
    drop(rt);
    let first = first.lock().unwrap().expect("iteration 0 ran");
    (report, first)
}

fn signed_us(a: SystemTime, b: SystemTime) -> i64 {
    match a.duration_since(b) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}

#[test]
fn a_future_start_is_met_within_the_margin() {
    let _lock = common::timing_lock();
    common::until_conclusive(|| {
        let at = SystemTime::now() + Duration::from_millis(300);
        let (report, first) = run_at(at);
        let info = report.shard.expect("shard info");
        let at_us = at.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
        assert_eq!(info.start_at_unix_us, Some(at_us));
        // Measured by the test: iteration 0 began at or after the instant
        // (never early: the wait ends when the wall clock reaches it)...
        let first_late = signed_us(first, at);
        assert!(first_late >= 0, "iteration 0 began {first_late} µs early");
        // ...and the engine's own figure is never early either, nor later
        // than iteration 0 began.
        assert!(
            (0..=first_late).contains(&info.start_offset_us),
            "offset {} µs, iteration 0 began {first_late} µs after the instant",
            info.start_offset_us
        );
        eprintln!(
            "start offset {} µs; iteration 0 began {first_late} µs after the instant\n{report}",
            info.start_offset_us
        );
        let summary = report.to_string();
        assert!(
            summary.contains("shard 0/2, started +") && summary.contains("after the agreed start"),
            "{summary}"
        );
        if first_late > MARGIN.as_micros() as i64 {
            return Err(format!(
                "INCONCLUSIVE, not a wrong number: iteration 0 began {first_late} µs after the \
                 agreed start, over the {MARGIN:?} margin (the machine was busy)\n{report}"
            ));
        }
        Ok(())
    });
}

#[test]
fn a_past_start_starts_at_once_and_says_how_late() {
    let _lock = common::timing_lock();
    let at = SystemTime::now() - Duration::from_millis(500);
    let asked = SystemTime::now();
    let (report, _) = run_at(at);
    let offset = report.shard.unwrap().start_offset_us;
    assert!(
        (450_000..=550_000).contains(&offset),
        "offset {offset} µs, expected 500 ms ± 50 ms"
    );
    // It did not wait: the whole run took about the shape's 200 ms.
    let took = asked.elapsed().unwrap();
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn an_interrupt_while_waiting_for_the_start_sends_nothing() {
    let rt = common::runtime(1);
    let calls = Arc::new(Mutex::new(0u32));
    let sink = calls.clone();
    let asked = std::time::Instant::now();
    let report = rt
        .block_on(
            Scenario::new("interrupted-wait")
                .shape(Shape::builder().hold(rps(100), ms(200)).build().unwrap())
                .shard(Shard::new(0, 2).unwrap())
                .start_at(SystemTime::now() + Duration::from_secs(20))
                .max_wall_time(ms(100))
                .run(move |_ctx: Ctx| {
                    *sink.lock().unwrap() += 1;
                    async {}
                }),
        )
        .unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "it did not wait for the start"
    );
    assert!(report.interrupted.is_some(), "{report}");
    assert_eq!(*calls.lock().unwrap(), 0, "nothing sent");
    assert_eq!(report.total.scheduled, 0);
}

#[test]
fn a_start_more_than_a_day_away_is_refused_before_traffic() {
    let rt = common::runtime(1);
    for at in [
        SystemTime::now() + Duration::from_secs(25 * 3600),
        SystemTime::now() - Duration::from_secs(25 * 3600),
    ] {
        let calls = Arc::new(Mutex::new(0u32));
        let sink = calls.clone();
        let err = rt
            .block_on(
                Scenario::new("far")
                    .shape(Shape::builder().hold(rps(100), ms(100)).build().unwrap())
                    .start_at(at)
                    .run(move |_ctx: Ctx| {
                        *sink.lock().unwrap() += 1;
                        async {}
                    }),
            )
            .unwrap_err();
        match &err {
            SpikeError::BadShard {
                setting, reason, ..
            } => {
                assert_eq!(*setting, "Scenario::start_at");
                assert!(reason.contains("within 24 h"), "{err}");
            }
            other => panic!("expected BadShard, got {other}"),
        }
        assert_eq!(*calls.lock().unwrap(), 0, "nothing sent");
    }
}

fn reason(err: SpikeError) -> (String, String) {
    match err {
        SpikeError::BadShard {
            setting,
            value,
            reason,
        } => (format!("{setting}={value}"), reason),
        other => panic!("expected BadShard, got {other}"),
    }
}

#[test]
fn bad_shards_are_typed_errors_naming_the_value() {
    let (what, why) = reason("4/4".parse::<Shard>().unwrap_err());
    assert_eq!(what, "SPIKE_SHARD=4/4");
    assert!(why.contains("below the count 4"), "{why}");
    let (what, why) = reason("1/0".parse::<Shard>().unwrap_err());
    assert_eq!(what, "SPIKE_SHARD=1/0");
    assert!(why.contains("at least 1"), "{why}");
    for text in ["a/b", "-1/2", "1", "1/2/3", "", " / ", "0x1/2", "1.0/2"] {
        let (what, why) = reason(text.parse::<Shard>().unwrap_err());
        assert_eq!(what, format!("SPIKE_SHARD={text}"));
        assert!(why.contains("i/n"), "{text}: {why}");
    }
    let (what, _) = reason(Shard::new(2, 2).unwrap_err());
    assert_eq!(what, "Shard::new=2/2");
    assert_eq!(
        " 3 / 4 ".parse::<Shard>().unwrap(),
        Shard::new(3, 4).unwrap()
    );
    assert_eq!(Shard::new(0, 1).unwrap().to_string(), "0/1");
}

#[test]
fn shard_variables_must_agree() {
    let some = |i, n| Some(Shard::new(i, n).unwrap());
    // The Indexed Job wiring, and SPIKE_SHARD alone.
    assert_eq!(
        Shard::from_values(None, Some("4"), Some("3")).unwrap(),
        some(3, 4)
    );
    assert_eq!(
        Shard::from_values(Some("1/4"), None, None).unwrap(),
        some(1, 4)
    );
    assert_eq!(
        Shard::from_values(Some("1/4"), Some("4"), Some("1")).unwrap(),
        some(1, 4)
    );
    // Unset or blank: no shard; an index alone is some other Indexed Job.
    assert_eq!(Shard::from_values(None, None, None).unwrap(), None);
    assert_eq!(Shard::from_values(Some(" "), Some(""), None).unwrap(), None);
    assert_eq!(Shard::from_values(None, None, Some("2")).unwrap(), None);
    // Disagreements and gaps.
    let (what, why) = reason(Shard::from_values(Some("1/4"), Some("4"), Some("2")).unwrap_err());
    assert_eq!(what, "SPIKE_SHARD=1/4");
    assert!(why.contains("JOB_COMPLETION_INDEX=2"), "{why}");
    let (_, why) = reason(Shard::from_values(Some("1/4"), Some("3"), None).unwrap_err());
    assert!(why.contains("SPIKE_SHARD_COUNT=3"), "{why}");
    let (what, why) = reason(Shard::from_values(None, Some("4"), None).unwrap_err());
    assert_eq!(what, "SPIKE_SHARD_COUNT=4");
    assert!(why.contains("JOB_COMPLETION_INDEX is not set"), "{why}");
    let (what, _) = reason(Shard::from_values(None, Some("4"), Some("4")).unwrap_err());
    assert_eq!(what, "JOB_COMPLETION_INDEX=4/4");
    let (what, _) = reason(Shard::from_values(None, Some("four"), Some("1")).unwrap_err());
    assert_eq!(what, "SPIKE_SHARD_COUNT=four");
    let (what, _) = reason(Shard::from_values(None, Some("4"), Some("-1")).unwrap_err());
    assert_eq!(what, "JOB_COMPLETION_INDEX=-1");
}

#[test]
fn start_instants_parse_exactly() {
    // 2026-12-01T10:00:00Z is 1,796,119,200 s after the epoch (20,788 days
    // of 86,400 s, plus 10 h).
    let base = UNIX_EPOCH + Duration::from_secs(20_788 * 86_400 + 10 * 3600);
    assert_eq!(parse_start_at("2026-12-01T10:00:00Z").unwrap(), base);
    assert_eq!(
        parse_start_at(" 2026-12-01T10:00:00.000250Z ").unwrap(),
        base + Duration::from_micros(250)
    );
    assert_eq!(parse_start_at("2026-12-01T12:30:00+02:30").unwrap(), base);
    assert_eq!(parse_start_at("2026-12-01T05:00:00-05:00").unwrap(), base);
    assert_eq!(parse_start_at("1796119200").unwrap(), base);
    assert_eq!(
        parse_start_at("1796119200.000000001").unwrap(),
        base + Duration::from_nanos(1)
    );
    assert_eq!(
        parse_start_at("1796119200.5").unwrap(),
        base + Duration::from_millis(500)
    );
    for bad in [
        "",
        "tomorrow",
        "2026-12-01",
        "2026-12-01T10:00:00",
        "2026-13-01T10:00:00Z",
        "-5",
        "1.2.3",
        ".5",
        "1796119200.0000000001",
        "1969-12-31T23:59:59Z",
        "99999999999999999999999",
    ] {
        let (what, _) = reason(parse_start_at(bad).unwrap_err());
        assert_eq!(what, format!("SPIKE_START_AT={bad}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// No text makes shard parsing or start-instant parsing panic.
    #[test]
    fn no_text_panics(a in ".{0,40}", b in "[0-9/ +.-]{0,12}", c in "\\PC{0,12}") {
        let _ = a.parse::<Shard>();
        let _ = b.parse::<Shard>();
        let _ = Shard::from_values(Some(&a), Some(&b), Some(&c));
        let _ = Shard::from_values(None, Some(&b), Some(&c));
        let _ = parse_start_at(&a);
        let _ = parse_start_at(&b);
        let _ = parse_start_at(&format!("2026-12-01T{c}"));
    }

    /// Every valid i/n round-trips; users shares add up to the level.
    #[test]
    fn valid_shards_round_trip(n in 1u32..1_000, i in 0u32..1_000, level in 0.0f64..5_000.0) {
        let i = i % n;
        let shard: Shard = format!("{i}/{n}").parse().unwrap();
        prop_assert_eq!((shard.index(), shard.count()), (i, n));
        let sum: f64 = (0..n.min(64)).map(|j| Shard::new(j, n.min(64)).unwrap().users_share(level)).sum();
        prop_assert!((sum - level).abs() < 1e-6 * level.max(1.0), "{} vs {}", sum, level);
    }
}
