//! Scenario files round-trip both ways: a scenario built in code, written
//! as a file and read back, has the same settings (shape, model, window,
//! criteria, scale, seed, timeouts, ...); a file read, written and read
//! again gives the same text. Generated shapes and settings (proptest),
//! and the example files of `examples/spikes/`.

use std::time::Duration;

use proptest::prelude::*;
use spike_core::scenario_file::ScenarioFile;
use spike_core::{rps, users, Level, RecoveryCriteria, Scenario, Shape};

#[derive(Debug, Clone, Copy)]
enum Kind {
    Ramp,
    Hold,
    Burst,
    Recover,
}

/// Durations with nanosecond digits, up to about 2 h.
fn duration() -> impl Strategy<Value = Duration> {
    (1u64..7_200_000_000_000).prop_map(Duration::from_nanos)
}

fn setting_duration() -> impl Strategy<Value = Duration> {
    (1u64..86_400_000_000_000).prop_map(Duration::from_nanos)
}

/// A shape the builder accepts: bursts above the level before, recovers
/// after a burst, one model.
fn shape() -> impl Strategy<Value = Shape> {
    let phase = (
        prop_oneof![
            Just(Kind::Ramp),
            Just(Kind::Hold),
            Just(Kind::Burst),
            Just(Kind::Recover)
        ],
        1u32..5_000,
        0u32..1000,
        duration(),
        any::<bool>(),
    );
    (
        any::<bool>(),
        prop::collection::vec(phase, 1..8),
        any::<Option<u8>>(),
    )
        .prop_filter_map(
            "a shape the builder accepts",
            |(open, phases, reference)| {
                let level = |whole: u32, frac: u32| -> Level {
                    if open {
                        rps(f64::from(whole) + f64::from(frac) / 1000.0)
                    } else {
                        users(whole)
                    }
                };
                let mut b = Shape::builder();
                for (i, &(kind, whole, frac, d, named)) in phases.iter().enumerate() {
                    let l = level(whole, frac);
                    b = match kind {
                        Kind::Ramp => b.ramp(l, d),
                        Kind::Hold => b.hold(l, d),
                        Kind::Burst => b.burst(l, d),
                        Kind::Recover => b.recover(l, d),
                    };
                    if named {
                        b = b.named(format!("p \"{i}\" ü"));
                    }
                    if reference.map(usize::from) == Some(i) {
                        b = b.reference();
                    }
                }
                b.build().ok()
            },
        )
}

fn factor() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1.0), 0.001f64..1000.0]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        ("[a-z][a-z0-9 _\"'\\\\-]{0,20}", shape()),
        (
            proptest::option::of(10u64..100_000),
            proptest::option::of(any::<u64>()),
            1u64..=u64::MAX,
        ),
        (
            setting_duration(),
            setting_duration(),
            prop_oneof![Just(Duration::ZERO), setting_duration()],
            duration(),
        ),
        (0.0f64..10.0, duration(), 0.0f64..1.0, 1u32..100),
        (factor(), factor()),
    )
        .prop_map(
            |(
                (name, shape),
                (window, seed, cap),
                (it, drain, think, lag),
                (tol, slack, eps, sustain),
                (rate, time),
            )| {
                // A window must fit in the (time-scaled) shape: files refuse others.
                let length = shape.duration().as_secs_f64() * time;
                let window = window.filter(|&w| w as f64 / 1000.0 <= length);
                let mut s = Scenario::new(name)
                    .shape(shape)
                    .max_in_flight(cap)
                    .iteration_timeout(it)
                    .drain_timeout(drain)
                    .think_time(think)
                    .lag_budget(lag)
                    .recovery_criteria(RecoveryCriteria {
                        tolerance: tol,
                        slack,
                        epsilon: eps,
                        sustain,
                    })
                    .scale(rate, time);
                if let Some(w) = window {
                    s = s.window(Duration::from_millis(w));
                }
                if let Some(seed) = seed {
                    s = s.seed(seed);
                }
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Builder → file → parsed: the same settings.
    #[test]
    fn builder_to_file_to_builder(s in scenario()) {
        let text = ScenarioFile::from_scenario(&s).unwrap().to_toml().unwrap();
        let back = ScenarioFile::parse(&text, "generated.toml")
            .and_then(|p| p.scenario())
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        prop_assert_eq!(back.settings(), s.settings(), "{}", text);
    }

    /// File → builder → file: the same text.
    #[test]
    fn file_to_builder_to_file(s in scenario()) {
        let first = ScenarioFile::from_scenario(&s).unwrap().to_toml().unwrap();
        let read = ScenarioFile::parse(&first, "first.toml").unwrap().scenario().unwrap();
        let second = ScenarioFile::from_scenario(&read).unwrap().to_toml().unwrap();
        prop_assert_eq!(first, second);
    }
}

#[test]
fn the_example_files_round_trip() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/spikes");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("examples/spikes") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let s = Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = ScenarioFile::from_scenario(&s).unwrap().to_toml().unwrap();
        let back = ScenarioFile::parse(&text, "written")
            .unwrap()
            .scenario()
            .unwrap();
        assert_eq!(back.settings(), s.settings(), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 1);
}

/// The whole file, requests and SLOs included, written and read back.
#[test]
fn the_example_files_read_written_and_read_are_the_same_file() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/spikes");
    for entry in std::fs::read_dir(dir).expect("examples/spikes") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let first = ScenarioFile::load(&path).unwrap().file;
        let text = first.to_toml().unwrap();
        let again = ScenarioFile::parse(&text, "written").unwrap().file;
        assert_eq!(again, first, "{}:\n{text}", path.display());
        assert!(!first.request.is_empty() && !first.slo.is_empty());
    }
}

#[test]
fn a_hand_written_file_reads_as_the_builder_writes_it() {
    let text = r#"
name = "checkout"
model = "closed"
window = "250ms"
seed = 18446744073709551615
max_in_flight = 500
iteration_timeout = "2s"
drain_timeout = "1s 500ms"
think_time = "100ms"
lag_budget = "40ms"
scale = { rate = 2.0, time = 0.5 }
recovery = { tolerance = 0.5, slack = "20ms", epsilon = 0.02, sustain = 4 }

[[phase]]
kind = "ramp"
users = 10
duration = "1s"

[[phase]]
kind = "hold"
users = 10
duration = "2s"
name = "steady"
reference = true

[[phase]]
kind = "burst"
users = 40
duration = "1s"

[[phase]]
kind = "recover"
users = 10
duration = "3s"
"#;
    let from_file = ScenarioFile::parse(text, "checkout.toml")
        .unwrap()
        .scenario()
        .unwrap();
    let shape = Shape::builder()
        .ramp(users(10), Duration::from_secs(1))
        .hold(users(10), Duration::from_secs(2))
        .named("steady")
        .reference()
        .burst(users(40), Duration::from_secs(1))
        .recover(users(10), Duration::from_secs(3))
        .build()
        .unwrap();
    let from_code = Scenario::new("checkout")
        .shape(shape)
        .window(Duration::from_millis(250))
        .seed(u64::MAX)
        .max_in_flight(500)
        .iteration_timeout(Duration::from_secs(2))
        .drain_timeout(Duration::from_millis(1500))
        .think_time(Duration::from_millis(100))
        .lag_budget(Duration::from_millis(40))
        .scale(2.0, 0.5)
        .recovery_criteria(RecoveryCriteria {
            tolerance: 0.5,
            slack: Duration::from_millis(20),
            epsilon: 0.02,
            sustain: 4,
        });
    assert_eq!(from_file.settings(), from_code.settings());
}
