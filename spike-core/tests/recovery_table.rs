//! `recovery_time_by` and the default health rule on synthetic windows.
//!
//! Every case spells its windows out as a string, one letter per 1 s window
//! of the recover phase (which starts at 10 s, the spike end):
//! `H` healthy (p95 20 ms, no errors), `S` slow (p95 900 ms), `E` erroring
//! (p95 20 ms, 30% errors), `0` empty (iterations due, none completed).
//! The expected recovery time is written by hand from the definition
//! (DESIGN §5): spike end → start of the first run of `sustain` healthy
//! windows that no later unhealthy window in the recover phase breaks.
//! A naive "first healthy window" or "first run of `sustain`" rule fails
//! the relapse rows; a rule that trusts an empty window fails the `0` rows.

use std::time::Duration;

use spike_core::{recovery_time_by, Recovery, RecoveryCriteria, Stats, WindowStats};

const SPIKE_END: u64 = 10;

/// One window of the recover phase from its letter.
fn window(i: usize, letter: char) -> WindowStats {
    let (completed, errors, p95_ms) = match letter {
        'H' => (100, 0, 20),
        'S' => (100, 0, 900),
        'E' => (100, 30, 20),
        '0' => (0, 0, 0),
        other => panic!("unknown window letter {other:?}"),
    };
    let mut stats = Stats {
        scheduled: 100,
        started: 100,
        completed,
        errors,
        error_rate: if completed == 0 {
            0.0
        } else {
            errors as f64 / completed as f64
        },
        ..Stats::default()
    };
    stats.latency.p95_us = p95_ms * 1_000;
    let start = Duration::from_secs(SPIKE_END + i as u64);
    WindowStats {
        index: SPIKE_END + i as u64,
        start,
        end: start + Duration::from_secs(1),
        phase: "recover".to_owned(),
        stats,
        served: completed,
        faults: Vec::new(),
        resources: Default::default(),
    }
}

/// Windows of a run: 10 baseline/burst windows (slow: they must be ignored,
/// they lie before the spike end), then the recover windows of `pattern`.
fn windows(pattern: &str) -> Vec<WindowStats> {
    let before = (0..SPIKE_END).map(|i| {
        let mut w = window(0, 'S');
        w.index = i;
        w.start = Duration::from_secs(i);
        w.end = w.start + Duration::from_secs(1);
        w.phase = "burst".to_owned();
        w
    });
    before
        .chain(pattern.chars().enumerate().map(|(i, c)| window(i, c)))
        .collect()
}

/// The default health rule as a run applies it: baseline p95 20 ms, no
/// errors; healthy at p95 ≤ 30 ms (20 ms + 10 ms slack) and ≤ 1% errors.
fn rule(recover_end: Duration) -> Recovery {
    Recovery {
        criteria: RecoveryCriteria::default(),
        reference_phase: "hold".to_owned(),
        reference_p95_us: 20_000,
        reference_error_rate: 0.0,
        healthy_p95_us: 30_000,
        healthy_error_rate: 0.01,
        recover_phase: "recover".to_owned(),
        spike_end: Duration::from_secs(SPIKE_END),
        recover_end,
        recovery_time: None,
        unhealthy_windows: Vec::new(),
    }
}

struct Case {
    name: &'static str,
    pattern: &'static str,
    sustain: u32,
    /// Seconds from the spike end, `None`: did not recover.
    expected: Option<u64>,
    /// Offsets (from the spike end) of the unhealthy windows.
    unhealthy: &'static [u64],
}

const CASES: &[Case] = &[
    Case {
        name: "plain recovery after 3 slow windows",
        pattern: "SSSHHHHH",
        sustain: 3,
        expected: Some(3),
        unhealthy: &[0, 1, 2],
    },
    Case {
        name: "relapse after a healthy run longer than sustain",
        pattern: "SHHHHSHHHH",
        sustain: 3,
        expected: Some(6),
        unhealthy: &[0, 5],
    },
    Case {
        name: "relapse by errors, not latency",
        pattern: "HHHHEHHH",
        sustain: 3,
        expected: Some(5),
        unhealthy: &[4],
    },
    Case {
        name: "final healthy run shorter than sustain",
        pattern: "SHHHHSHH",
        sustain: 3,
        expected: None,
        unhealthy: &[0, 5],
    },
    Case {
        name: "final healthy run exactly sustain long",
        pattern: "SHHHHSHHH",
        sustain: 3,
        expected: Some(6),
        unhealthy: &[0, 5],
    },
    Case {
        name: "an empty window is not healthy and breaks a run",
        pattern: "SHHH0HHH",
        sustain: 3,
        expected: Some(5),
        unhealthy: &[0, 4],
    },
    Case {
        name: "an empty window at the end leaves no recovery",
        pattern: "SHHHHH0",
        sustain: 3,
        expected: None,
        unhealthy: &[0, 6],
    },
    Case {
        name: "recovered in the very first recover window",
        pattern: "HHHHHH",
        sustain: 3,
        expected: Some(0),
        unhealthy: &[],
    },
    Case {
        name: "healthy from the first window but relapsing at the end",
        pattern: "HHHHHS",
        sustain: 3,
        expected: None,
        unhealthy: &[5],
    },
    Case {
        name: "sustain 1: the window after the last unhealthy one",
        pattern: "SHSH",
        sustain: 1,
        expected: Some(3),
        unhealthy: &[0, 2],
    },
    Case {
        name: "sustain 0 counts as 1",
        pattern: "SSS",
        sustain: 0,
        expected: None,
        unhealthy: &[0, 1, 2],
    },
    Case {
        name: "never healthy",
        pattern: "SSSSS",
        sustain: 3,
        expected: None,
        unhealthy: &[0, 1, 2, 3, 4],
    },
];

#[test]
fn recovery_time_by_follows_the_definition_on_every_row() {
    let mut wrong = Vec::new();
    for case in CASES {
        let ws = windows(case.pattern);
        let recover_end = Duration::from_secs(SPIKE_END + case.pattern.len() as u64);
        let rule = rule(recover_end);
        let (time, unhealthy) = recovery_time_by(
            &ws,
            rule.spike_end,
            recover_end,
            case.sustain,
            |w: &WindowStats| rule.is_healthy(w),
        );
        let expected_time = case.expected.map(Duration::from_secs);
        let expected_unhealthy: Vec<u64> = case.unhealthy.iter().map(|o| SPIKE_END + o).collect();
        if time != expected_time || unhealthy != expected_unhealthy {
            wrong.push(format!(
                "{} ({}, sustain {}): got {time:?} unhealthy {unhealthy:?}, expected {expected_time:?} unhealthy {expected_unhealthy:?}",
                case.name, case.pattern, case.sustain
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn windows_outside_the_recover_phase_do_not_count() {
    // Healthy windows after the recover phase end must not complete a run
    // that the recover phase itself did not complete.
    let ws = windows("SSHHHHH");
    let rule = rule(Duration::from_secs(SPIKE_END + 4));
    let (time, unhealthy) = recovery_time_by(&ws, rule.spike_end, rule.recover_end, 3, |w| {
        rule.is_healthy(w)
    });
    assert_eq!(time, None, "only 2 healthy windows lie inside [10 s, 14 s)");
    assert_eq!(unhealthy, vec![10, 11]);
    // And the slow windows before the spike end are not counted as unhealthy.
    let (time, _) = recovery_time_by(&ws, rule.spike_end, Duration::from_secs(17), 3, |w| {
        rule.is_healthy(w)
    });
    assert_eq!(time, Some(Duration::from_secs(2)));
}

#[test]
fn a_window_reaching_past_the_recover_end_is_left_out() {
    // Windows of 1 s, recover phase ends at 13.5 s: window 13 (13–14 s) is
    // not wholly inside, so its relapse does not count, and only 3 windows
    // (10, 11, 12) are judged.
    let ws = windows("HHHS");
    let rule = rule(Duration::from_millis(13_500));
    let (time, unhealthy) = recovery_time_by(&ws, rule.spike_end, rule.recover_end, 3, |w| {
        rule.is_healthy(w)
    });
    assert_eq!(time, Some(Duration::ZERO));
    assert!(unhealthy.is_empty());
}
