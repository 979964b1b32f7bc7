//! The soak verdicts on generated traces, 1,000 of each kind, seeded: the
//! truth of each trace is known because the test draws it.
//!
//! Memory traces are sampled once per second for 30 s (the sample of
//! window k, at its end k + 1 s), judged after the default 5 s warm-up,
//! i.e. the 25 samples at 6 s … 30 s, with the default 10 MB floor:
//! * leaking: 2 MB/s, plus an allocator sawtooth (±20 MB, period drawn
//!   from 2–10 s, phase drawn) plus Gaussian noise → miss rate;
//! * flat: the same sawtooth and noise, no growth → false-positive rate;
//!
//! each at two noise levels, σ 2 MB and σ 0.25 MB (a quiet process: the
//! harder case, since the band narrows while the sawtooth still tilts a
//! single run's slope).
//!
//! p95 traces: 30 windows of 1 s, warm p95 20 ms, multiplicative noise
//! (σ 5 %), flat or drifting +30 % over the span; judged by
//! `latency_drift().below(pct(10))`'s rule (it fails when the drift
//! band's lower end reaches 10 %).
//!
//! The rates are printed (`--nocapture`) for docs/spike_testing_guide.md.

use std::time::Duration;

use spike_core::soak::{judge_drift, judge_memory, SoakCriteria};

const TRACES: usize = 1_000;
const MB: f64 = 1e6;

/// A standard normal draw (Box–Muller).
fn gauss(rng: &mut fastrand::Rng) -> f64 {
    let u1 = rng.f64().max(f64::MIN_POSITIVE);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An allocator sawtooth: climbs from −amp to +amp over `period`, then
/// drops back (memory handed back to the OS, a GC cycle).
fn sawtooth(t: f64, period: f64, phase: f64, amp: f64) -> f64 {
    let f = ((t + phase) % period) / period;
    -amp + 2.0 * amp * f
}

/// One memory trace: (second, bytes) for samples at 1 … 30 s.
fn memory_trace(rng: &mut fastrand::Rng, leak_per_s: f64, noise: f64) -> Vec<(f64, f64)> {
    let period = 2.0 + 8.0 * rng.f64();
    let phase = period * rng.f64();
    (1..=30)
        .map(|t| {
            let t = f64::from(t);
            let y = 200.0 * MB
                + leak_per_s * t
                + sawtooth(t, period, phase, 20.0 * MB)
                + noise * gauss(rng);
            (t, y)
        })
        .collect()
}

/// The samples the verdict judges: windows starting at or after the
/// warm-up, i.e. samples at (warm-up + 1 s) and later.
fn after_warm_up(points: &[(f64, f64)], warm_up: Duration) -> Vec<(f64, f64)> {
    points
        .iter()
        .copied()
        .filter(|(t, _)| t - 1.0 >= warm_up.as_secs_f64())
        .collect()
}

fn flagged_share(seed: u64, leak_per_s: f64, noise: f64) -> f64 {
    let criteria = SoakCriteria::default();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut flagged = 0;
    for _ in 0..TRACES {
        let pts = after_warm_up(&memory_trace(&mut rng, leak_per_s, noise), criteria.warm_up);
        assert_eq!(pts.len(), 25);
        let v = judge_memory("trace", &pts, 0, criteria).expect("25 samples are enough");
        flagged += usize::from(v.leaking);
    }
    flagged as f64 / TRACES as f64
}

#[test]
fn a_2mb_per_s_leak_under_a_sawtooth_is_flagged_and_a_flat_sawtooth_is_not() {
    for (seed, noise) in [(1, 2.0 * MB), (3, 0.25 * MB)] {
        let miss = 1.0 - flagged_share(0x5eed_0000 + seed, 2.0 * MB, noise);
        let false_positive = flagged_share(0x5eed_0001 + seed, 0.0, noise);
        println!(
            "soak verdicts on {TRACES} generated traces each (30 s at 1 sample/s, ±20 MB sawtooth of period 2–10 s, σ {:.2} MB noise, 5 s warm-up, 10 MB floor): miss rate {:.1}% (leak 2 MB/s), false-positive rate {:.1}% (flat)",
            noise / MB,
            miss * 100.0,
            false_positive * 100.0
        );
        // Bounds: at most 1 % each (the guide quotes the printed rates). A
        // verdict that flags everything has a 100 % false-positive rate,
        // one that flags nothing a 100 % miss rate.
        assert!(miss <= 0.01, "miss rate {miss} at σ {noise}");
        assert!(
            false_positive <= 0.01,
            "false-positive rate {false_positive} at σ {noise}"
        );
    }
}

#[test]
fn the_slope_of_a_leaking_trace_is_near_its_true_rate() {
    // The median over traces of the estimate is within 10 % of 2 MB/s: the
    // sawtooth spreads the estimates but does not bias them much.
    let criteria = SoakCriteria::default();
    let mut rng = fastrand::Rng::with_seed(42);
    let mut estimates: Vec<f64> = (0..TRACES)
        .map(|_| {
            let pts = after_warm_up(
                &memory_trace(&mut rng, 2.0 * MB, 2.0 * MB),
                criteria.warm_up,
            );
            judge_memory("trace", &pts, 0, criteria)
                .unwrap()
                .slope
                .estimate
        })
        .collect();
    estimates.sort_by(f64::total_cmp);
    let median = estimates[TRACES / 2];
    println!(
        "median Theil–Sen estimate over {TRACES} leaking traces: {:.3} MB/s (true 2 MB/s)",
        median / MB
    );
    assert!((median - 2.0 * MB).abs() < 0.2 * MB, "{median}");
}

/// One p95 trace: window middles 0.5 … 29.5 s, µs.
fn p95_trace(rng: &mut fastrand::Rng, drift_over_span: f64) -> Vec<(f64, f64)> {
    (0..30)
        .map(|k| {
            let t = f64::from(k) + 0.5;
            let trend = 1.0 + drift_over_span * (t - 0.5) / 29.0;
            (t, 20_000.0 * trend * (1.0 + 0.05 * gauss(rng)))
        })
        .collect()
}

fn drift_flagged_share(seed: u64, drift: f64) -> f64 {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut flagged = 0;
    for _ in 0..TRACES {
        let d = judge_drift(&p95_trace(&mut rng, drift), Duration::ZERO).unwrap();
        // The rule of `latency_drift().below(pct(10))`.
        flagged += usize::from(d.drift_low >= 0.10);
    }
    flagged as f64 / TRACES as f64
}

#[test]
fn a_30_percent_p95_drift_fails_below_10_percent_and_a_flat_p95_passes() {
    let missed = 1.0 - drift_flagged_share(7, 0.30);
    let false_alarm = drift_flagged_share(8, 0.0);
    println!(
        "latency drift on {TRACES} generated p95 traces each (30 windows, σ 5 % noise): +30 % drift passed below(pct(10)) in {:.1}%, flat p95 failed it in {:.1}%",
        missed * 100.0,
        false_alarm * 100.0
    );
    assert!(missed <= 0.01, "missed {missed}");
    assert!(false_alarm <= 0.01, "false alarm {false_alarm}");
}

#[test]
fn drift_estimates_recover_the_drawn_drift() {
    // With no noise the estimate is exact: the fitted line starts at the
    // warm 20 ms and ends 30 % higher.
    let pts: Vec<(f64, f64)> = (0..30)
        .map(|k| (f64::from(k), 20_000.0 * (1.0 + 0.3 * f64::from(k) / 29.0)))
        .collect();
    let d = judge_drift(&pts, Duration::ZERO).unwrap();
    assert!((d.drift - 0.3).abs() < 1e-9, "{d}");
    assert!((d.warm_p95_us - 20_000.0).abs() < 1e-6, "{d}");
}
