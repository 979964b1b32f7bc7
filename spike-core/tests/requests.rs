//! Named requests, mixes and sequences, checked against numbers the tests
//! know by construction: which entry each iteration ran (the workloads
//! write it down themselves), how long each request sleeps (a blocking
//! `thread::sleep` on tokio's blocking pool: the OS's high-resolution
//! timer, ~0.1 ms late, never early) and which calls fail (every n-th, by
//! the workload's own counter).

mod common;

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use spike_core::artifacts::{hlog_bytes, report_html, request_tag, timeline_csv, LatencyLog};
use spike_core::{
    ms, named, rps, secs, users, Ctx, IterError, Mix, Report, Scenario, Sequence, Shape,
    SpikeError, Workload, WorkloadExt,
};

const BROWSE: &str = "browse";
const SEARCH: &str = "search";
/// A name with the characters every artifact must escape.
const CHECKOUT: &str = "checkout <v2>, eu";

fn run<W: Workload>(scenario: Scenario, workload: W) -> Report {
    common::runtime(2)
        .block_on(scenario.run(workload))
        .expect("valid scenario")
}

/// 10,000 iterations: 5,000 at 5k rps in `hold`, 5,000 at 10k rps in
/// `burst`; 100 ms windows.
fn mix_shape() -> Shape {
    Shape::builder()
        .hold(rps(5_000), secs(1))
        .burst(rps(10_000), ms(500))
        .build()
        .unwrap()
}

const ITERATIONS: usize = 10_000;

/// A 7/2/1 mix of three named no-ops, each writing its index (1, 2, 3) at
/// its iteration number into `picks`.
fn mix_of_no_ops(picks: &Arc<Vec<AtomicU8>>) -> Mix {
    let entry = |mark: u8| {
        let picks = picks.clone();
        move |ctx: Ctx| {
            picks[ctx.iteration() as usize].store(mark, Ordering::Relaxed);
            async {}
        }
    };
    Mix::new()
        .weight(7, named(BROWSE, entry(1)))
        .weight(2, entry(2).named(SEARCH))
        .weight(1, named(CHECKOUT, entry(3)))
}

fn run_mix(seed: u64) -> (Report, Vec<u8>) {
    let picks: Arc<Vec<AtomicU8>> = Arc::new((0..ITERATIONS).map(|_| AtomicU8::new(0)).collect());
    let report = run(
        Scenario::new("mix-weights")
            .shape(mix_shape())
            .window(ms(100))
            .seed(seed),
        mix_of_no_ops(&picks),
    );
    let picks = picks.iter().map(|p| p.load(Ordering::Relaxed)).collect();
    (report, picks)
}

fn count(report: &Report, name: &str) -> u64 {
    report.total.request(name).map_or(0, |r| r.count)
}

#[test]
fn a_mix_runs_each_entry_by_weight_reproducibly_and_every_scope_adds_up() {
    let _guard = common::timing_lock();
    let (a, picks_a) = run_mix(7);
    assert_eq!(a.total.completed, ITERATIONS as u64, "{a}");
    assert!(
        picks_a.iter().all(|&p| p != 0),
        "every iteration ran an entry"
    );

    // The report's counts are the picks the workloads wrote down.
    let picked = |picks: &[u8], mark: u8| picks.iter().filter(|&&p| p == mark).count() as u64;
    for (name, mark, share) in [(BROWSE, 1, 0.7), (SEARCH, 2, 0.2), (CHECKOUT, 3, 0.1)] {
        let n = count(&a, name);
        assert_eq!(n, picked(&picks_a, mark), "{name}");
        // ±1 % of the 10,000 iterations (7,000 ± 100, ...).
        let want = share * ITERATIONS as f64;
        assert!(
            (n as f64 - want).abs() <= 100.0,
            "{name}: {n}, want {want} ± 100"
        );
        let r = a.total.request(name).unwrap();
        assert_eq!((r.errors, r.error_rate), (0, 0.0));
        assert_eq!(r.latency.count, n);
    }
    assert_eq!(
        count(&a, BROWSE) + count(&a, SEARCH) + count(&a, CHECKOUT),
        a.total.completed
    );
    let shares: Vec<u64> = [BROWSE, SEARCH, CHECKOUT].map(|n| count(&a, n)).into();
    eprintln!("mix 7/2/1 over {ITERATIONS}: {shares:?}");

    // Windows and phases add up to the run, name by name.
    assert_eq!(a.generator.late_records, 0, "{a}");
    for name in [BROWSE, SEARCH, CHECKOUT] {
        let in_windows: u64 = a
            .windows
            .iter()
            .filter_map(|w| w.stats.request(name))
            .map(|r| r.count)
            .sum();
        let in_phases: u64 = a
            .phases
            .iter()
            .filter_map(|p| p.stats.request(name))
            .map(|r| r.count)
            .sum();
        assert_eq!(in_windows, count(&a, name), "{name} over windows");
        assert_eq!(in_phases, count(&a, name), "{name} over phases");
        // Each phase's share holds within 1 % of its 5,000 iterations too.
        for p in &a.phases {
            let n = p.stats.request(name).map_or(0, |r| r.count) as f64;
            let share = [(BROWSE, 0.7), (SEARCH, 0.2), (CHECKOUT, 0.1)]
                .into_iter()
                .find_map(|(n, s)| (n == name).then_some(s))
                .unwrap();
            assert!(
                (n - share * 5_000.0).abs() <= 50.0,
                "{name} in {}: {n}",
                p.name
            );
        }
    }

    // Same seed: the very same pick for every iteration; another seed:
    // another sequence (a Weyl sequence shifted by a different offset
    // differs in a large part of the iterations), with the same shares.
    let (b, picks_b) = run_mix(7);
    assert_eq!(picks_a, picks_b);
    for name in [BROWSE, SEARCH, CHECKOUT] {
        assert_eq!(count(&a, name), count(&b, name));
    }
    let (c, picks_c) = run_mix(8);
    let differ = picks_a.iter().zip(&picks_c).filter(|(x, y)| x != y).count();
    assert!(differ > ITERATIONS / 10, "only {differ} picks differ");
    assert!((count(&c, BROWSE) as f64 - 7_000.0).abs() <= 100.0);

    artifacts_show_every_request(&a);
}

/// The report's per-request numbers in the hlog (read with the
/// `hdrhistogram` crate's own interval-log reader), timeline.csv, the
/// HTML page, report.json and the summary.
fn artifacts_show_every_request(report: &Report) {
    let bytes = hlog_bytes(report).expect("hlog");
    let mut per_tag: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(i) = entry.expect("a valid interval log") {
            use base64::Engine as _;
            let raw = base64::engine::general_purpose::STANDARD
                .decode(i.encoded_histogram())
                .expect("base64");
            let h: Histogram<u64> = deserializer.deserialize(&mut raw.as_slice()).unwrap();
            let tag = i.tag().map(|t| t.as_str().to_owned()).unwrap_or_default();
            let e = per_tag.entry(tag).or_default();
            e.0 += 1;
            e.1 += h.len();
        }
    }
    let data_windows = report
        .windows
        .iter()
        .filter(|w| w.stats.completed > 0)
        .count() as u64;
    for name in [BROWSE, SEARCH, CHECKOUT] {
        let tag = request_tag(name);
        let (intervals, samples) = per_tag.get(&tag).copied().unwrap_or_default();
        assert_eq!(samples, count(report, name), "{tag}: {per_tag:?}");
        // One interval per window it ran in: with 50+ iterations a window,
        // every entry runs in every window.
        assert_eq!(intervals, data_windows, "{tag}");
    }
    assert_eq!(request_tag(CHECKOUT), "request=checkout%20<v2>%2C%20eu");
    // spike's reader: the iterations' intervals are still the run's latency,
    // and per request, window by window, the counts of the report.
    let log = LatencyLog::parse(&bytes).unwrap();
    assert_eq!(log.percentiles(.., None).unwrap(), report.total.latency);
    let mut names = log.requests();
    names.sort();
    assert_eq!(names, vec![BROWSE, CHECKOUT, SEARCH]);
    for w in &report.windows {
        let want = w.stats.request(CHECKOUT).map_or(0, |r| r.count);
        let got = log.request_percentiles(w.start..w.end, CHECKOUT).unwrap();
        assert_eq!(got.count, want, "window {}", w.index);
    }

    // timeline.csv: the per-request count columns add up to the run's.
    let csv = timeline_csv(report);
    let mut lines = csv.lines();
    let header = split_csv(lines.next().unwrap());
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == format!("request_{name}_count"))
            .unwrap_or_else(|| panic!("no column for {name}: {header:?}"))
    };
    let rows: Vec<Vec<String>> = lines.map(split_csv).collect();
    for name in [BROWSE, SEARCH, CHECKOUT] {
        let c = col(name);
        let sum: u64 = rows.iter().map(|r| r[c].parse::<u64>().unwrap()).sum();
        assert_eq!(sum, count(report, name), "{name}");
    }

    let html = report_html(report);
    assert!(html.contains("id=\"chart-requests\""));
    assert!(html.contains("<table id=\"requests\">"));
    assert!(html.contains("checkout &lt;v2&gt;, eu"));
    assert!(!html.contains("<v2>"), "user text is escaped");

    let back: Report = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(back.total.requests, report.total.requests);
    assert_eq!(
        back.phases[1].stats.requests,
        report.phases[1].stats.requests
    );

    let summary = report.to_string();
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| l.trim_start().starts_with(CHECKOUT))
        .collect();
    // One row per phase and one for the run.
    assert_eq!(rows.len(), 3, "{summary}");
    assert!(
        rows[2].contains(&format!(" {} ", count(report, CHECKOUT))),
        "{summary}"
    );
    assert!(summary.contains("top error"), "{summary}");
}

/// RFC 4180 fields of one line (quotes as the timeline writes them).
fn split_csv(line: &str) -> Vec<String> {
    let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Sleep on the blocking pool: the OS's high-resolution timer, never
/// early (tokio's timer rounds up to the next millisecond).
async fn precise_sleep(d: Duration) {
    tokio::task::spawn_blocking(move || std::thread::sleep(d))
        .await
        .expect("sleep");
}

/// What a sleeper saw with its own clock: calls, failures, and how long
/// each call took from its first to its last instruction (µs).
#[derive(Default)]
struct Seen {
    calls: AtomicU64,
    failures: AtomicU64,
    took_us: std::sync::Mutex<Vec<u64>>,
}

impl Seen {
    /// Nearest-rank percentile of the calls' own durations.
    fn percentile_us(&self, q: f64) -> u64 {
        let mut v = self.took_us.lock().unwrap().clone();
        v.sort_unstable();
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }
}

/// A named request that sleeps `delay`; every `fail_every`-th call (if
/// any) fails with HTTP 503.
fn sleeper(
    name: &'static str,
    delay: Duration,
    fail_every: Option<u64>,
) -> (impl Workload, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    let w = named(name, move |_ctx: Ctx| {
        let s = s.clone();
        async move {
            let t = std::time::Instant::now();
            let call = s.calls.fetch_add(1, Ordering::Relaxed) + 1;
            precise_sleep(delay).await;
            let fail = fail_every.is_some_and(|n| call % n == 0);
            if fail {
                s.failures.fetch_add(1, Ordering::Relaxed);
            }
            let took = t.elapsed().as_micros() as u64;
            s.took_us.lock().unwrap().push(took);
            if fail {
                return Err(IterError::http(503).with_message("on purpose"));
            }
            Ok(())
        }
    });
    (w, seen)
}

#[test]
fn each_request_reports_its_own_latency_and_errors() {
    let _guard = common::timing_lock();
    // Closed model: every iteration starts when its user is free, so a
    // request's latency is its own time, not the pacer's lag.
    let (fast, fast_seen) = sleeper("fast", ms(5), None);
    let (mid, mid_seen) = sleeper("mid", ms(20), Some(4));
    let (slow, slow_seen) = sleeper("slow", ms(80), None);
    let mix = Mix::new().weight(1, fast).weight(1, mid).weight(1, slow);
    let report = run(
        Scenario::new("mix-latency")
            .shape(Shape::builder().hold(users(4), secs(3)).build().unwrap())
            .window(ms(500)),
        mix,
    );
    let mut busy = Vec::new();
    for (name, delay, seen) in [
        ("fast", ms(5), &fast_seen),
        ("mid", ms(20), &mid_seen),
        ("slow", ms(80), &slow_seen),
    ] {
        let r = report
            .total
            .request(name)
            .unwrap_or_else(|| panic!("{name} missing\n{report}"));
        assert_eq!(r.count, seen.calls.load(Ordering::Relaxed), "{name}");
        assert_eq!(r.errors, seen.failures.load(Ordering::Relaxed), "{name}");
        // 3 s of 4 users, ~35 ms per call on average: each entry ran often.
        assert!(r.count >= 50, "{name}: {}", r.count);
        let delay_us = delay.as_micros() as u64;
        // Nothing finishes early: the median is at least the sleep.
        assert!(r.latency.p50_us >= delay_us, "{name}: {:?}", r.latency);
        // The p95 spike reports is the p95 of what the calls took by the
        // test's own clock, within 5 % (spike's timer also spans the few µs
        // between the iteration's start and the call, and the histogram
        // rounds up by < 0.1 %). A timer from the wrong origin, or numbers
        // of another request, miss this by milliseconds.
        let own = seen.percentile_us(0.95);
        assert!(
            r.latency.p95_us >= own && r.latency.p95_us as f64 <= own as f64 * 1.05,
            "{name}: spike p95 {}µs, own clock p95 {own}µs\n{report}",
            r.latency.p95_us
        );
        // Against the delay: within 5 %, when the sleeps ended on time by the
        // test's own clock (own p95 within 4 %: 1 % left for spike's few µs
        // more); a loaded 2-core machine can keep a woken thread waiting.
        if own as f64 <= delay_us as f64 * 1.04 {
            assert!(
                r.latency.p95_us as f64 <= delay_us as f64 * 1.05,
                "{name}: p95 {}µs over {delay_us}µs + 5 %\n{report}",
                r.latency.p95_us
            );
        } else {
            busy.push(format!("{name} slept {own}µs at p95 for {delay_us}µs"));
        }
    }
    if !busy.is_empty() {
        eprintln!("note: too busy for the nominal check (own clock used): {busy:?}");
    }
    let mid = report.total.request("mid").unwrap();
    assert!(mid.errors > 0);
    assert_eq!(mid.errors_by_class.get("http_5xx"), Some(&mid.errors));
    assert_eq!(mid.top_error_class(), Some(("http_5xx", mid.errors)));
    assert_eq!(report.total.errors_of("http_5xx"), mid.errors);
    assert_eq!(
        report.total.request("fast").unwrap().errors_by_class.len(),
        0
    );
}

#[test]
fn a_sequence_gives_each_step_its_own_time_and_stops_at_a_failure() {
    let _guard = common::timing_lock();
    let (login, login_seen) = sleeper("login", ms(30), Some(5));
    let (fetch, fetch_seen) = sleeper("fetch", ms(10), None);
    let report = run(
        Scenario::new("sequence")
            .shape(Shape::builder().hold(rps(40), secs(2)).build().unwrap())
            .window(ms(500)),
        Sequence::new().then(login).then(fetch),
    );
    let login = report.total.request("login").unwrap();
    let fetch = report.total.request("fetch").unwrap();
    assert_eq!(login.count, 80, "{report}");
    assert_eq!(login.count, login_seen.calls.load(Ordering::Relaxed));
    assert_eq!(login.errors, login_seen.failures.load(Ordering::Relaxed));
    assert_eq!(login.errors, 16, "every 5th of 80 logins fails");
    // A failing login stops the sequence: fetch runs after each success.
    assert_eq!(fetch.count, login.count - login.errors);
    assert_eq!(fetch.count, fetch_seen.calls.load(Ordering::Relaxed));
    assert_eq!(report.total.errors, login.errors);
    assert_eq!(report.total.errors_of("http_5xx"), login.errors);
    // Login counts from the intended start, fetch from its own start: its
    // median is its 10 ms, not login's 30 ms plus its own (5 ms of room for
    // hand-offs on a busy machine; a fetch timed from the iteration's start
    // would be ≥ 40 ms).
    assert!(login.latency.p50_us >= 30_000, "{:?}", login.latency);
    assert!(
        (10_000..15_000).contains(&fetch.latency.p50_us),
        "{:?}",
        fetch.latency
    );
}

#[test]
fn the_first_named_request_is_charged_from_the_intended_start() {
    let _guard = common::timing_lock();
    // The iteration waits 20 ms before its first named request (a stand-in
    // for a late start): that request carries the 20 ms, the next one only
    // its own (near zero) time. A timer dropped without finish is no sample.
    let report = run(
        Scenario::new("origin").shape(Shape::builder().hold(rps(50), secs(1)).build().unwrap()),
        |ctx: Ctx| async move {
            tokio::time::sleep(ms(20)).await;
            ctx.request("first").finish(None);
            let second = ctx.clone().request("second");
            second.finish(None);
            drop(ctx.request("abandoned"));
            ctx.record_request("timed", ms(7), Some(&IterError::new("slow")));
        },
    );
    let first = report.total.request("first").unwrap();
    let second = report.total.request("second").unwrap();
    assert_eq!((first.count, second.count), (50, 50));
    assert!(first.latency.p50_us >= 20_000, "{:?}", first.latency);
    // 5 ms is far below the 20 ms a wrong origin would give.
    assert!(second.latency.p99_us < 5_000, "{:?}", second.latency);
    assert!(report.total.request("abandoned").is_none());
    let timed = report.total.request("timed").unwrap();
    assert_eq!((timed.count, timed.errors), (50, 50));
    assert_eq!(timed.errors_by_class.get("slow"), Some(&50));
    assert!((6_990..=7_010).contains(&timed.latency.p50_us));
    // Iteration errors are the workload's outcome, not its requests'.
    assert_eq!(report.total.errors, 0);
}

#[test]
fn ctx_and_the_new_workloads_cross_threads() {
    fn ok<T: Send + Sync + 'static>() {}
    fn clone_send<T: Clone + Send>() {}
    ok::<Mix>();
    ok::<Sequence>();
    ok::<Ctx>();
    clone_send::<Ctx>();
}

#[test]
fn empty_mixes_and_sequences_are_refused_before_any_traffic() {
    let rt = common::runtime(1);
    let shape = || Shape::builder().hold(rps(10), ms(100)).build().unwrap();
    let refused = |r: Result<Report, SpikeError>| match r {
        Err(SpikeError::BadWorkload { reason, .. }) => reason,
        other => panic!("expected BadWorkload, got {other:?}"),
    };
    let noop = |_ctx: Ctx| async {};
    let reason = refused(rt.block_on(Scenario::new("m").shape(shape()).run(Mix::new())));
    assert!(reason.contains("no entries"), "{reason}");
    let zero = Mix::new().weight(0, noop).weight(0, noop);
    let reason = refused(rt.block_on(Scenario::new("m").shape(shape()).run(zero)));
    assert!(reason.contains("add up to 0"), "{reason}");
    let reason = refused(rt.block_on(Scenario::new("s").shape(shape()).run(Sequence::new())));
    assert!(reason.contains("no steps"), "{reason}");
    let unnamed = Sequence::new().then(noop).then(named(" ", noop));
    let reason = refused(rt.block_on(Scenario::new("s").shape(shape()).run(unnamed)));
    assert!(
        reason.contains("step 2") && reason.contains("non-empty name"),
        "{reason}"
    );
    let nested = Mix::new().weight(1, Mix::new());
    let reason = refused(rt.block_on(Scenario::new("m").shape(shape()).run(nested)));
    assert!(
        reason.contains("entry 1") && reason.contains("no entries"),
        "{reason}"
    );
}
