//! Capacity search against targets whose capacity is known by arithmetic.
//!
//! The FIFO server below serves one request at a time, each for exactly
//! 1/C seconds, in order of arrival, with an unbounded queue: request k
//! completes at `done_k = max(arrival_k, done_{k-1}) + 1/C`. Its capacity
//! is C by construction. Arrivals are the schedule's instants (run start +
//! intended start), so the queue is the arithmetic of the offered load,
//! whatever the machine's scheduling jitter; the iteration then sleeps
//! until `done_k`, and everything the search reads (latency, served rate,
//! windows) is measured by the engine as in any run.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spike_core::stress::{CapacityReport, CapacityVerdict, FailedFirst, Slo, Stress};
use spike_core::{ms, pct, Ctx};

/// A FIFO server of capacity `c` requests per second (see the file docs).
fn fifo_server(c: f64) -> impl Fn(Ctx) -> tokio::time::Sleep + Send + Sync + 'static {
    let service = Duration::from_secs_f64(1.0 / c);
    // (run start, instant the server is free): a new step, a new run,
    // starts with an idle server, whatever backlog an aborted step left.
    let state: Arc<Mutex<Option<(Instant, Instant)>>> = Arc::default();
    move |ctx: Ctx| {
        let arrival = ctx.run_start() + ctx.intended_start();
        let done = {
            let mut state = state.lock().unwrap();
            let free = state
                .filter(|(run, _)| *run == ctx.run_start())
                .map_or(arrival, |(_, free)| free.max(arrival));
            *state = Some((ctx.run_start(), free + service));
            free + service
        };
        tokio::time::sleep_until(tokio::time::Instant::from_std(done))
    }
}

/// The search used on every FIFO server: SLO p95 ≤ 20 ms (the server's
/// own time is 1/C ≤ 4 ms; the rest is the 1 ms timer and scheduling),
/// steps of 200 ms warm-up + 1.5 s hold.
///
/// Why a step just above C fails: the queue grows by (r − C) requests per
/// second, so latency at time t into the step is t × (r/C − 1). The probe
/// above R* is at R* × 1.03 × 0.9985 ≥ C × 1.018 when R* ≥ C × 0.99; 95 %
/// into the 1.7 s step its latency is ≥ 1.6 s × 0.018 = 29 ms > 20 ms.
fn search(name: &str) -> Stress {
    Stress::new(name)
        .slo(Slo::new().p95(ms(20)).p99(ms(60)).error_rate(pct(1)))
        .start_rate(100.0)
        .step(ms(200), ms(1_500))
        .window(ms(100))
}

fn run_search(workers: usize, stress: Stress, c: f64) -> CapacityReport {
    common::runtime(workers)
        .block_on(stress.find_capacity(fifo_server(c)))
        .expect("valid settings")
}

#[test]
fn fifo_servers_of_known_capacity_are_found_within_3_percent_in_8_steps() {
    let _lock = common::timing_lock();
    for c in [250.0, 600.0, 1_100.0] {
        let cap = common::until_conclusive(|| {
            let cap = run_search(2, search(&format!("fifo-{c}")), c);
            eprintln!("{cap}");
            match cap.verdict {
                CapacityVerdict::GeneratorBound { .. } => Err(format!(
                    "INCONCLUSIVE, not a wrong number: the machine was too busy: {}",
                    cap.verdict_text()
                )),
                _ => Ok(cap),
            }
        });
        let r = cap.capacity().expect("a capacity");
        assert!(
            (r / c - 1.0).abs() <= 0.03,
            "C = {c}: R* = {r} is not within ±3 %\n{cap}"
        );
        assert!(
            cap.steps.len() <= 8,
            "C = {c}: {} steps\n{cap}",
            cap.steps.len()
        );
        let CapacityVerdict::Capacity {
            first_bad,
            failed_first,
            precise,
            ..
        } = cap.verdict
        else {
            panic!("C = {c}: {cap}")
        };
        assert!(precise, "{cap}");
        assert!(first_bad <= r * 1.03 + 1e-9, "{cap}");
        // The server never errs: its queue grows, latency breaks first.
        assert!(
            matches!(
                failed_first,
                FailedFirst::LatencyP95 | FailedFirst::LatencyP99
            ),
            "{cap}"
        );
        assert!(cap.generator.healthy, "{cap}");
        // Overloaded steps were stopped early by the SLO's abort rules.
        assert!(cap.steps.iter().any(|s| s.aborted.is_some()), "{cap}");
        // Every overloaded step's served rate is the server's capacity.
        for s in cap.steps.iter().filter(|s| s.rate > c * 1.2) {
            let served = s.estimate.expect("an estimate");
            assert!(
                (served / c - 1.0).abs() <= 0.03,
                "step {}: {served}\n{cap}",
                s.step
            );
        }
    }
}

/// One worker thread shared by the generator and a workload that holds it
/// for 2 ms of CPU per iteration: above 500 iterations/s the thread cannot
/// both start and run them, so by 800 rps the schedule cannot be kept.
#[test]
fn a_starved_generator_is_generator_bound_not_a_capacity() {
    let _lock = common::timing_lock();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let spin = |_ctx: Ctx| async {
        let until = Instant::now() + Duration::from_millis(2);
        while Instant::now() < until {
            std::hint::spin_loop();
        }
    };
    let cap = rt
        .block_on(
            Stress::new("starved")
                .slo(Slo::new().p95(ms(50)).error_rate(pct(1)))
                .start_rate(100.0)
                .max_rate(3_200.0)
                .step(ms(200), ms(1_000))
                .find_capacity(spin),
        )
        .unwrap();
    eprintln!("{cap}");
    let at = cap
        .generator_bound_at()
        .unwrap_or_else(|| panic!("expected generator-bound, got: {cap}"));
    assert!(at <= 800.0, "{cap}");
    assert_eq!(cap.capacity(), None);
    assert!(!cap.generator.healthy);
    assert!(cap
        .verdict_text()
        .starts_with(&format!("generator-bound at {at:.0} rps")));
    assert!(cap.to_string().contains("SATURATED"), "{cap}");
}

#[test]
fn bad_search_settings_are_typed_errors_before_traffic() {
    let rt = common::runtime(1);
    let calls = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = {
        let calls = calls.clone();
        move |_ctx: Ctx| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async {}
        }
    };
    let counted = Arc::new(counted);
    for (stress, setting) in [
        (Stress::new("s").start_rate(0.0), "start_rate"),
        (Stress::new("s").start_rate(f64::NAN), "start_rate"),
        (
            Stress::new("s").start_rate(200.0).max_rate(100.0),
            "max_rate",
        ),
        (Stress::new("s").precision(f64::NAN), "precision"),
        (Stress::new("s").precision(0.0), "precision"),
        (Stress::new("s").max_steps(0), "max_steps"),
        (Stress::new("s").abort_after(0), "abort_after"),
        (
            Stress::new("s").slo(Slo::new().p95(ms(0))),
            "slo latency bound",
        ),
        (
            Stress::new("s").slo(Slo::new().error_rate(pct(f64::NAN))),
            "slo error rate",
        ),
    ] {
        let c = counted.clone();
        let err = rt
            .block_on(stress.find_capacity(move |ctx: Ctx| c(ctx)))
            .expect_err(setting);
        match &err {
            spike_core::SpikeError::BadStress { setting: s, .. } => assert_eq!(*s, setting),
            other => panic!("{setting}: {other}"),
        }
        assert!(err.to_string().contains(setting), "{err}");
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 0);
}

/// Inside a test's context the search's steps are ordinary runs (a report
/// folder each) and the test writes `capacity.json` and `capacity.html`
/// into its own folder.
#[test]
fn a_search_inside_a_test_writes_capacity_json_and_html() {
    let _lock = common::timing_lock();
    let root = std::env::temp_dir().join(format!("spike-capacity-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let ctx = spike_core::TestContext::in_dir("unit", &root);
    // C = 150: 100 passes, 200 fails serving 150, 148.5 passes; the
    // 3-step budget ends the search with a bracket wider than 3 %.
    let cap = common::runtime(2)
        .block_on(
            ctx.clone().scope(
                search("fifo-150")
                    .max_steps(3)
                    .step(ms(100), ms(600))
                    .min_samples(50)
                    .find_capacity(fifo_server(150.0)),
            ),
        )
        .unwrap();
    if cap.generator_bound_at().is_some() {
        eprintln!("INCONCLUSIVE, the machine was too busy; files still checked:\n{cap}");
    }
    assert_eq!(ctx.capacities(), vec![cap.clone()]);
    let written = ctx.write_artifacts();
    assert_eq!(written.len(), cap.steps.len(), "one report per step");
    for step in &cap.steps {
        let dir = root.join(spike_core::folder_name(&step.scenario));
        assert!(dir.join("report.json").is_file(), "{}", dir.display());
    }
    let json = std::fs::read_to_string(root.join("capacity.json")).unwrap();
    let back: CapacityReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cap);
    let html = std::fs::read_to_string(root.join("capacity.html")).unwrap();
    for id in [
        "chart-capacity-latency",
        "chart-capacity-errors",
        "id=\"steps\"",
    ] {
        assert!(html.contains(id), "{id}");
    }
    assert_eq!(html.matches("<tr><td>").count(), cap.steps.len());
    assert!(html.contains("SLO p95 20.0ms"), "the SLO bound is drawn");
    if let CapacityVerdict::Capacity { precise, .. } = cap.verdict {
        assert!(!precise, "3 steps cannot reach 3 %: {cap}");
        assert!(html.contains("wider than the 3.0% precision"), "{cap}");
    }
    std::fs::remove_dir_all(&root).unwrap();
}
