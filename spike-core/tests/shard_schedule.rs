//! Shards of one schedule (issue 14): the n shards of a run, run one after
//! another in this process, start exactly the iterations of one generator.
//!
//! Truth comes from arithmetic the test does itself: the shape's rate,
//! integrated numerically, gives the iterations per window (±1) and in all
//! (2,400); `k mod n` says which shard owns iteration `k`; `u mod n` which
//! shard runs user `u`. The single-generator run is checked against that
//! arithmetic, then the shards against it, iteration for iteration.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spike_core::shard::Shard;
use spike_core::{ms, rps, users, Ctx, Report, Scenario, Shape};

/// 0 → 2,000 rps over 600 ms (600 iterations), a 4,000 rps burst for
/// 300 ms (1,200), then 1,000 rps for 600 ms (600): 2,400 in 1.5 s, in 15
/// windows of 100 ms.
fn open_shape() -> Shape {
    Shape::builder()
        .ramp(rps(2_000), ms(600))
        .burst(rps(4_000), ms(300))
        .hold(rps(1_000), ms(600))
        .build()
        .expect("valid shape")
}

const TOTAL: u64 = 2_400;
const WINDOWS: usize = 15;

/// r(t) written by hand, integrated with the midpoint rule over a window.
fn expected_in_window(w: usize) -> f64 {
    let rate = |t: f64| {
        if t < 0.6 {
            2_000.0 * t / 0.6
        } else if t < 0.9 {
            4_000.0
        } else {
            1_000.0
        }
    };
    let (a, steps) = (w as f64 * 0.1, 10_000);
    let h = 0.1 / f64::from(steps);
    (0..steps)
        .map(|i| rate(a + (f64::from(i) + 0.5) * h) * h)
        .sum()
}

/// Each iteration's (global number, intended start) as the workload saw it.
type Seen = Vec<(u64, Duration)>;

fn run_open(shard: Option<Shard>) -> (Report, Seen) {
    let rt = common::runtime(2);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut scenario = Scenario::new("shard-schedule")
        .shape(open_shape())
        .window(ms(100))
        .lag_budget(Duration::from_secs(5));
    if let Some(shard) = shard {
        scenario = scenario.shard(shard);
    }
    let report = rt
        .block_on(scenario.run(move |ctx: Ctx| {
            sink.lock()
                .unwrap()
                .push((ctx.iteration(), ctx.intended_start()));
            async {}
        }))
        .expect("valid scenario");
    drop(rt);
    let mut seen = Arc::try_unwrap(seen).unwrap().into_inner().unwrap();
    seen.sort_unstable();
    (report, seen)
}

fn per_window(report: &Report) -> Vec<u64> {
    assert_eq!(report.windows.len(), WINDOWS, "{report}");
    report.windows.iter().map(|w| w.stats.completed).collect()
}

#[test]
fn the_shards_start_exactly_the_single_generators_iterations() {
    let _lock = common::timing_lock();
    // The single generator, against arithmetic.
    let (single, all) = run_open(None);
    assert_eq!(single.shard, None);
    assert_eq!(all.len() as u64, TOTAL, "{single}");
    let numbers: Vec<u64> = all.iter().map(|&(k, _)| k).collect();
    assert_eq!(numbers, (0..TOTAL).collect::<Vec<_>>());
    assert!(
        all.windows(2).all(|p| p[0].1 <= p[1].1),
        "intended starts grow with k"
    );
    let single_windows = per_window(&single);
    for (w, &count) in single_windows.iter().enumerate() {
        let expected = expected_in_window(w);
        assert!(
            (count as f64 - expected).abs() <= 1.0,
            "window {w}: {count} iterations, the rate's integral is {expected:.2}"
        );
    }
    assert_eq!(single_windows.iter().sum::<u64>(), TOTAL);
    assert_eq!(single.generator.dropped, 0);

    for n in [1u32, 3, 4] {
        let mut union: Seen = Vec::new();
        let mut window_sums = vec![0u64; WINDOWS];
        let mut target_sums = [0.0f64; WINDOWS];
        let mut phase_targets = vec![0.0f64; single.phases.len()];
        let mut total_target = 0.0;
        for i in 0..n {
            let shard = Shard::new(i, n).unwrap();
            let (report, seen) = run_open(Some(shard));
            let info = report.shard.expect("a shard's report says so");
            assert_eq!((info.index, info.count), (i, n));
            assert_eq!((info.start_at_unix_us, info.start_offset_us), (None, 0));
            assert_eq!(report.shape, single.shape, "the global shape");
            // Exactly the k ≡ i (mod n), each once.
            let mine: Vec<u64> = seen.iter().map(|&(k, _)| k).collect();
            let expected: Vec<u64> = (0..TOTAL)
                .filter(|k| k % u64::from(n) == u64::from(i))
                .collect();
            assert_eq!(mine, expected, "shard {i}/{n}");
            assert_eq!(report.total.completed, expected.len() as u64);
            assert_eq!(report.total.scheduled, expected.len() as u64);
            for (w, count) in per_window(&report).into_iter().enumerate() {
                window_sums[w] += count;
                let global = single.windows[w].stats.target;
                let share = report.windows[w].stats.target;
                assert!(
                    (share - global / f64::from(n)).abs() <= 1e-9 * global.max(1.0),
                    "shard {i}/{n} window {w}: target {share}, global {global}"
                );
                target_sums[w] += share;
            }
            for (p, phase) in report.phases.iter().enumerate() {
                phase_targets[p] += phase.stats.target;
            }
            total_target += report.total.target;
            union.extend(seen);
        }
        union.sort_unstable();
        // The union is the single generator's schedule, iteration for
        // iteration: same numbers, same intended starts.
        assert_eq!(union, all, "n = {n}");
        assert_eq!(
            window_sums, single_windows,
            "n = {n}: per-window counts add up"
        );
        for (w, sum) in target_sums.iter().enumerate() {
            let global = single.windows[w].stats.target;
            assert!(
                (sum - global).abs() <= 1e-9 * global.max(1.0),
                "n = {n} window {w}"
            );
        }
        for (p, sum) in phase_targets.iter().enumerate() {
            let global = single.phases[p].stats.target;
            assert!(
                (sum - global).abs() <= 1e-9 * global.max(1.0),
                "n = {n} phase {p}"
            );
        }
        assert!((total_target - single.total.target).abs() <= 1e-9 * single.total.target);
    }
}

/// Closed model: 7 users for 300 ms, then 10 for 300 ms. Shard i of 3 runs
/// users {u < 10 : u ≡ i (mod 3)}: 4, 3 and 3 of them (3, 2, 2 of the
/// first 7).
#[test]
fn closed_model_users_split_by_user_number() {
    let _lock = common::timing_lock();
    let shape = Shape::builder()
        .hold(users(7), ms(300))
        .burst(users(10), ms(300))
        .build()
        .unwrap();
    let n = 3u32;
    let mut all_iterations = Vec::new();
    let mut target_sums = vec![0.0; 2];
    for i in 0..n {
        let rt = common::runtime(2);
        let seen = Arc::new(Mutex::new(BTreeMap::<u32, u64>::new()));
        let iterations = Arc::new(Mutex::new(Vec::new()));
        let (sink, its) = (seen.clone(), iterations.clone());
        let report = rt
            .block_on(
                Scenario::new("shard-closed")
                    .shape(shape.clone())
                    .window(ms(100))
                    .think_time(ms(20))
                    .shard(Shard::new(i, n).unwrap())
                    .run(move |ctx: Ctx| {
                        *sink.lock().unwrap().entry(ctx.user().unwrap()).or_default() += 1;
                        its.lock().unwrap().push(ctx.iteration());
                        async {}
                    }),
            )
            .unwrap();
        drop(rt);
        let seen = seen.lock().unwrap().clone();
        let users_seen: Vec<u32> = seen.keys().copied().collect();
        let expected: Vec<u32> = (0..10).filter(|u| u % n == i).collect();
        assert_eq!(users_seen, expected, "shard {i}/{n}");
        let first_level = (0..7).filter(|u| u % n == i).count() as f64;
        let second_level = expected.len() as f64;
        let targets: Vec<f64> = report.phases.iter().map(|p| p.stats.target).collect();
        assert_eq!(targets, [first_level, second_level], "shard {i}/{n}");
        for (p, t) in targets.iter().enumerate() {
            target_sums[p] += t;
        }
        let iterations = iterations.lock().unwrap().clone();
        assert_eq!(iterations.len() as u64, report.total.completed);
        assert!(
            iterations.iter().all(|k| k % u64::from(n) == u64::from(i)),
            "shard {i}: iteration numbers are c·n + i"
        );
        all_iterations.extend(iterations);
    }
    assert_eq!(target_sums, [7.0, 10.0]);
    let count = all_iterations.len();
    all_iterations.sort_unstable();
    all_iterations.dedup();
    assert_eq!(
        all_iterations.len(),
        count,
        "iteration numbers unique across shards"
    );
}
