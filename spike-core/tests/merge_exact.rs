//! The merge of shard outputs (`spike_core::merge`) is exact.
//!
//! Four real runs of one shape, marked shard i/4 with one agreed start and
//! offset 0, write their artifacts to four folders; `merge_dirs` merges
//! them. The truth comes from outside the merge: per-window counts are the
//! sum of the shards' and 4 × the integral of the rate (arithmetic here);
//! every merged percentile equals the one of a histogram this test builds
//! by adding the shards' logged histograms, read with the `hdrhistogram`
//! crate's own interval-log reader; and the values the workload recorded
//! are known by construction (each shard records different ones, so an
//! average of the shards' percentiles would be far off).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde_json::Value;
use spike_core::artifacts::write_all;
use spike_core::merge::{merge_dirs, MergeError, MergeOptions};
use spike_core::{
    ms, rps, Ctx, IterError, Outcome, Percentiles, Report, Scenario, Shape, ShardInfo,
};

use common::{kept_up, runtime, timing_lock, until_conclusive};

const SHARDS: u32 = 4;
/// The agreed start of the simulated shard set (any instant will do: the
/// runs are marked with it, offset 0).
const START_AT_US: u64 = 1_796_112_000_000_000;

/// hold 100 rps for 650 ms, burst 300 rps for 350 ms, 100 ms windows: the
/// window at 600 ms straddles both phases.
fn shape() -> Shape {
    Shape::builder()
        .hold(rps(100), ms(650))
        .burst(rps(300), ms(350))
        .build()
        .unwrap()
}

/// Shard `s` sleeps `2 + 25·s` ms per iteration: of the 680 iterations,
/// ranks 171..=340 are shard 1's (27 ms), so the union's p50 (rank 340) is
/// one of them; ranks 511..=680 are shard 3's (77 ms): p95 and p99.
fn sleep_of(shard: u32) -> Duration {
    ms(2 + 25 * u64::from(shard))
}

/// The metric value shard `s` records for iteration `k`, µs.
fn metric_us(shard: u32, k: u64) -> u64 {
    1_000 * (1 + 5 * u64::from(shard)) + 10 * k
}

/// The request latency shard `s` records for iteration `k`, µs.
fn request_us(shard: u32, k: u64) -> u64 {
    20_000 + 7_000 * u64::from(shard) + 3 * k
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("merge-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_shard(shard: u32) -> Result<Report, String> {
    let rt = runtime(2);
    let sleep = sleep_of(shard);
    let report = rt
        .block_on(
            Scenario::new("merge-exact")
                .shape(shape())
                .window(ms(100))
                .run(move |ctx: Ctx| async move {
                    let k = ctx.iteration();
                    ctx.record("wait", Duration::from_micros(metric_us(shard, k)));
                    let failed = k.is_multiple_of(10).then(|| IterError::new("not_found"));
                    ctx.record_request(
                        "step",
                        Duration::from_micros(request_us(shard, k)),
                        failed.as_ref(),
                    );
                    ctx.gauge("k", k as f64);
                    tokio::time::sleep(sleep).await;
                    Outcome::ok().tag("parity", if k.is_multiple_of(2) { "even" } else { "odd" })
                }),
        )
        .unwrap();
    kept_up(
        "schedule lag max of a shard",
        report.generator.schedule_lag.max(),
        ms(15),
        &report,
    )?;
    Ok(report)
}

/// The four shard outputs, made once for the whole file.
fn shard_set() -> &'static (Vec<PathBuf>, Vec<Report>) {
    static SET: OnceLock<(Vec<PathBuf>, Vec<Report>)> = OnceLock::new();
    SET.get_or_init(|| {
        let _lock = timing_lock();
        let root = scratch("set");
        let mut dirs = Vec::new();
        let mut reports = Vec::new();
        for s in 0..SHARDS {
            let mut report = until_conclusive(|| run_shard(s));
            report.shard = Some(ShardInfo {
                index: s,
                count: SHARDS,
                start_at_unix_us: Some(START_AT_US),
                start_offset_us: 0,
            });
            let dir = root.join(spike_core::shard::folder(s, SHARDS));
            write_all(&report, &dir).unwrap();
            dirs.push(dir);
            reports.push(report);
        }
        (dirs, reports)
    })
}

/// Every interval of a log, read with the hdrhistogram crate's own
/// reader: (tag, start, histogram).
fn logged(path: &Path) -> Vec<(String, Duration, Histogram<u64>)> {
    use base64::Engine as _;
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(i) = entry.unwrap() {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(i.encoded_histogram())
                .unwrap();
            let h: Histogram<u64> = Deserializer::new()
                .deserialize(&mut raw.as_slice())
                .unwrap();
            let tag = i.tag().map(|t| t.as_str().to_owned()).unwrap_or_default();
            out.push((tag, i.start_timestamp(), h));
        }
    }
    out
}

/// The sum of the shards' intervals of `file` that `pick` selects.
fn reference(
    dirs: &[PathBuf],
    file: &str,
    sigfig: u8,
    pick: impl Fn(&str, Duration) -> bool,
) -> Histogram<u64> {
    let mut sum = Histogram::<u64>::new_with_bounds(1, 60_000_000, sigfig).unwrap();
    for dir in dirs {
        for (tag, start, h) in logged(&dir.join(file)) {
            if pick(&tag, start) {
                sum.add(&h).unwrap();
            }
        }
    }
    sum
}

/// The percentiles the report keeps, computed by the hdrhistogram crate.
fn percentiles(h: &Histogram<u64>) -> Percentiles {
    Percentiles {
        count: h.len(),
        min_us: h.min(),
        mean_us: h.mean(),
        p50_us: h.value_at_quantile(0.5),
        p90_us: h.value_at_quantile(0.9),
        p95_us: h.value_at_quantile(0.95),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
    }
}

fn window_of(start: Duration) -> u64 {
    (start.as_secs_f64() / 0.1).round() as u64
}

/// Iterations of the shape due in [a, b) ms: 100/s before 650 ms,
/// 300/s after.
fn integral(a: f64, b: f64) -> f64 {
    let overlap = |lo: f64, hi: f64| (b.min(hi) - a.max(lo)).max(0.0) / 1000.0;
    100.0 * overlap(0.0, 650.0) + 300.0 * overlap(650.0, 1000.0)
}

/// The value at quantile `q` of `values` (HdrHistogram's rank rule: the
/// smallest value with at least `q·n` values at or below it).
fn quantile(values: &mut [u64], q: f64) -> u64 {
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).max(1);
    values[rank - 1]
}

#[test]
fn merged_counts_and_percentiles_are_exact() {
    let (dirs, shards) = shard_set();
    let merged = merge_dirs(dirs, &MergeOptions::default()).unwrap();
    assert!(
        merged.is_conclusive(),
        "{:?}",
        merged.inconclusive_reasons()
    );
    let info = merged.merged.as_ref().unwrap();
    assert_eq!((info.count, info.shards.clone()), (4, vec![0, 1, 2, 3]));
    assert!(
        merged
            .to_string()
            .contains("merged from 4 shards (0, 1, 2, 3 of 4"),
        "{merged}"
    );

    // Counts: per window the sum of the shards', and 4 × the integral.
    assert_eq!(merged.windows.len(), 10);
    for w in &merged.windows {
        let a = w.start.as_secs_f64() * 1000.0;
        let b = w.end.as_secs_f64() * 1000.0;
        let expected = (4.0 * integral(a, b)).round() as u64;
        assert_eq!(w.stats.scheduled, expected, "window {}", w.index);
        let sum: u64 = shards
            .iter()
            .map(|r| r.windows[w.index as usize].stats.completed)
            .sum();
        assert_eq!(w.stats.completed, sum, "window {}", w.index);
        let served: u64 = shards
            .iter()
            .map(|r| r.windows[w.index as usize].served)
            .sum();
        assert_eq!(w.served, served);
    }
    assert_eq!(merged.total.scheduled, 4 * 170);
    let step = merged.total.request("step").unwrap();
    assert_eq!((step.count, step.errors), (4 * 170, 4 * 17));
    assert_eq!(step.errors_by_class["not_found"], 4 * 17);
    assert!((step.error_rate - 0.1).abs() < 1e-12, "{}", step.error_rate);
    assert_eq!(merged.total.tags["parity"]["even"].count, 4 * 85);
    // Rates: recomputed from the summed counts over the span.
    assert!(
        (merged.total.achieved_rate - 680.0).abs() < 1e-9,
        "{}",
        merged.total.achieved_rate
    );
    assert!(
        (merged.total.target - 4.0 * 170.0).abs() < 1e-6,
        "{}",
        merged.total.target
    );
    // Gauges: max of max, min of min.
    assert_eq!(merged.total.gauges["k"].max, 169.0);
    assert_eq!(merged.total.gauges["k"].min, 0.0);
    // `last` is the highest shard's; started at the earliest shard's start.
    assert_eq!(
        merged.total.gauges["k"].last,
        shards[3].total.gauges["k"].last
    );
    let earliest = shards
        .iter()
        .map(|r| r.environment.started_at_unix_ms)
        .min()
        .unwrap();
    assert_eq!(merged.environment.started_at_unix_ms, earliest);

    // Latency: every window, every phase and the run, from latency.hlog.
    let iterations = |t: &str| !t.starts_with("request=");
    for w in &merged.windows {
        let h = reference(dirs, "latency.hlog", 3, |t, s| {
            iterations(t) && window_of(s) == w.index
        });
        assert_eq!(w.stats.latency, percentiles(&h), "window {}", w.index);
    }
    for (phase, tag) in [("hold", "hold"), ("burst", "burst")] {
        let h = reference(dirs, "latency.hlog", 3, |t, _| t == tag);
        assert_eq!(
            merged.phase(phase).unwrap().stats.latency,
            percentiles(&h),
            "{phase}"
        );
    }
    let all = reference(dirs, "latency.hlog", 3, |t, _| iterations(t));
    assert_eq!(merged.total.latency, percentiles(&all));

    // Service time and schedule lag, from histograms.hlog.
    for (kind, got) in [
        ("kind=service;", merged.total.service_time),
        ("kind=lag;", merged.total.schedule_lag),
        ("kind=lag;", merged.generator.schedule_lag),
    ] {
        let h = reference(dirs, "histograms.hlog", 3, |t, _| t.starts_with(kind));
        assert_eq!(got, percentiles(&h), "{kind}");
    }
    let burst_service = reference(dirs, "histograms.hlog", 3, |t, _| {
        t.starts_with("kind=service;") && t.ends_with(";phase=burst")
    });
    assert_eq!(
        merged.phase("burst").unwrap().stats.service_time,
        percentiles(&burst_service)
    );
    for w in &merged.windows {
        let prefix = format!("kind=lag;window={};", w.index);
        let h = reference(dirs, "histograms.hlog", 3, |t, _| t.starts_with(&prefix));
        assert_eq!(w.stats.schedule_lag, percentiles(&h), "window {}", w.index);
    }

    // Per request, per metric, per tag value.
    let step = reference(dirs, "histograms.hlog", 3, |t, _| {
        t.starts_with("kind=request;") && t.ends_with(";name=step")
    });
    assert_eq!(
        merged.total.request("step").unwrap().latency,
        percentiles(&step)
    );
    let wait = reference(dirs, "histograms.hlog", 2, |t, _| {
        t.starts_with("kind=metric;") && t.ends_with(";name=wait")
    });
    assert_eq!(
        merged.total.metric("wait").copied(),
        Some(percentiles(&wait))
    );
    let w6 = reference(dirs, "histograms.hlog", 2, |t, _| {
        t.starts_with("kind=metric;window=6;") && t.ends_with(";name=wait")
    });
    assert_eq!(
        merged.windows[6].stats.metric("wait").copied(),
        Some(percentiles(&w6))
    );
    let even = reference(dirs, "histograms.hlog", 2, |t, _| {
        t.ends_with(";key=parity;value=even")
    });
    let tag = merged.total.tags["parity"]["even"];
    assert_eq!(
        (tag.p50_us, tag.p95_us, tag.p99_us),
        (
            even.value_at_quantile(0.5),
            even.value_at_quantile(0.95),
            even.value_at_quantile(0.99)
        )
    );

    // The values the workload recorded, known by construction: within the
    // histograms' precision (2 significant digits: 1 %; 3: 0.1 %).
    let mut waits: Vec<u64> = (0..SHARDS)
        .flat_map(|s| (0..170).map(move |k| metric_us(s, k)))
        .collect();
    let mut steps: Vec<u64> = (0..SHARDS)
        .flat_map(|s| (0..170).map(move |k| request_us(s, k)))
        .collect();
    for (q, got_wait, got_step) in [
        (
            0.5,
            merged.total.metric("wait").unwrap().p50_us,
            merged.total.request("step").unwrap().latency.p50_us,
        ),
        (
            0.95,
            merged.total.metric("wait").unwrap().p95_us,
            merged.total.request("step").unwrap().latency.p95_us,
        ),
        (
            0.99,
            merged.total.metric("wait").unwrap().p99_us,
            merged.total.request("step").unwrap().latency.p99_us,
        ),
    ] {
        let w = quantile(&mut waits, q);
        assert!(
            got_wait >= w && got_wait <= w + w / 100 + 1,
            "wait p{q}: {got_wait} vs {w}"
        );
        let s = quantile(&mut steps, q);
        assert!(
            got_step >= s && got_step <= s + s / 1000 + 1,
            "step p{q}: {got_step} vs {s}"
        );
    }
    // The iterations' latency: the shards sleep 2, 27, 52, 77 ms, so the
    // union's p50 is a 27 ms sleep and its p95 and p99 are 77 ms ones,
    // plus the schedule lag (at most 15 ms, checked per shard) and the
    // timer's wake-up (at most 5 ms allowed): 20 ms, below the 25 ms
    // between the groups.
    let lat = merged.total.latency;
    for (what, got, sleep) in [
        ("p50", lat.p50_us, 27_000),
        ("p95", lat.p95_us, 77_000),
        ("p99", lat.p99_us, 77_000),
    ] {
        assert!(
            got >= sleep && got <= sleep + 20_000,
            "latency {what} {got}µs, sleep {sleep}µs"
        );
    }
}

#[test]
fn the_merged_artifacts_read_back_like_a_run() {
    let (dirs, _) = shard_set();
    let merged = merge_dirs(dirs, &MergeOptions::default()).unwrap();
    let out = scratch("merged-artifacts");
    let paths = write_all(&merged, &out).unwrap();
    let log = spike_core::artifacts::LatencyLog::read(paths.latency_hlog.unwrap()).unwrap();
    assert_eq!(log.percentiles(.., None).unwrap(), merged.total.latency);
    assert_eq!(
        log.request_percentiles(.., "step").unwrap(),
        merged.total.request("step").unwrap().latency
    );
    let back: Report = serde_json::from_slice(&std::fs::read(paths.report_json).unwrap()).unwrap();
    assert_eq!(back.merged, merged.merged);
}

/// A copy of shard folder `from` at `to`, its `report.json` edited.
fn copy_edited(from: &Path, to: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    std::fs::create_dir_all(to).unwrap();
    for f in ["latency.hlog", "histograms.hlog"] {
        std::fs::copy(from.join(f), to.join(f)).unwrap();
    }
    let mut json: Value =
        serde_json::from_slice(&std::fs::read(from.join("report.json")).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(to.join("report.json"), serde_json::to_vec(&json).unwrap()).unwrap();
    to.to_owned()
}

#[test]
fn a_missing_shard_makes_the_merge_inconclusive() {
    let (dirs, _) = shard_set();
    let three = [&dirs[0], &dirs[1], &dirs[3]];
    let merged = merge_dirs(&three, &MergeOptions::default()).unwrap();
    assert!(!merged.is_conclusive());
    let reasons: Vec<String> = merged
        .inconclusive_reasons()
        .into_iter()
        .map(|r| r.long)
        .collect();
    assert_eq!(reasons, ["shard 2/4 is missing"]);
    assert_eq!(merged.merged.as_ref().unwrap().missing, [2]);
    assert!(
        merged
            .to_string()
            .contains("merged from 3 shards (0, 1, 3 of 4; missing 2"),
        "{merged}"
    );
    // What is there still adds up: three shards' iterations.
    assert_eq!(merged.total.scheduled, 3 * 170);
}

#[test]
fn a_late_shard_makes_the_merge_inconclusive_with_its_offset() {
    let (dirs, _) = shard_set();
    let late = copy_edited(&dirs[3], &scratch("late").join("shard-3-of-4"), |j| {
        j["shard"]["start_offset_us"] = Value::from(500_200);
    });
    let set = [dirs[0].clone(), dirs[1].clone(), dirs[2].clone(), late];
    let merged = merge_dirs(&set, &MergeOptions::default()).unwrap();
    assert!(!merged.is_conclusive());
    let reasons: Vec<String> = merged
        .inconclusive_reasons()
        .into_iter()
        .map(|r| r.long)
        .collect();
    assert_eq!(
        reasons,
        [
            "shard 3/4 started 500.2 ms after SPIKE_START_AT; the bound is 25 ms",
            "the shards started 500.2 ms apart (shard 0/4 earliest, shard 3/4 latest); the bound is 25 ms",
        ]
    );
    // The default bound is the engine's default schedule-lag budget.
    assert_eq!(
        MergeOptions::default().max_skew,
        spike_core::DEFAULT_LAG_BUDGET
    );
    // A looser bound accepts it.
    let loose = merge_dirs(&set, &MergeOptions::default().max_skew(ms(600))).unwrap();
    assert!(loose.is_conclusive(), "{:?}", loose.inconclusive_reasons());
}

#[test]
fn outputs_that_are_not_shards_of_one_run_are_typed_errors() {
    let (dirs, _) = shard_set();
    let root = scratch("errors");
    let opts = MergeOptions::default();

    let longer = copy_edited(&dirs[1], &root.join("longer"), |j| {
        j["shape"]["phases"][1]["duration"] = Value::from(400_000);
    });
    let err = merge_dirs(&[dirs[0].clone(), longer], &opts).unwrap_err();
    assert!(
        matches!(err, MergeError::Mismatch { what: "shape", .. }),
        "{err}"
    );

    let twice = copy_edited(&dirs[1], &root.join("again"), |_| {});
    let err = merge_dirs(&[dirs[0].clone(), dirs[1].clone(), twice], &opts).unwrap_err();
    assert!(
        matches!(
            err,
            MergeError::DuplicateShard {
                index: 1,
                count: 4,
                ..
            }
        ),
        "{err}"
    );

    let plain = copy_edited(&dirs[2], &root.join("plain"), |j| {
        j.as_object_mut().unwrap().remove("shard");
    });
    let err = merge_dirs(&[dirs[0].clone(), plain.clone()], &opts).unwrap_err();
    assert_eq!(err, MergeError::NotAShard { dir: plain });

    let of_five = copy_edited(&dirs[2], &root.join("of5"), |j| {
        j["shard"]["count"] = Value::from(5);
    });
    let err = merge_dirs(&[dirs[0].clone(), of_five], &opts).unwrap_err();
    assert!(
        matches!(
            err,
            MergeError::ShardCountMismatch {
                first_count: 4,
                other_count: 5,
                ..
            }
        ),
        "{err}"
    );

    let no_hlog = copy_edited(&dirs[2], &root.join("nohlog"), |_| {});
    std::fs::remove_file(no_hlog.join("histograms.hlog")).unwrap();
    let err = merge_dirs(std::slice::from_ref(&no_hlog), &opts).unwrap_err();
    assert_eq!(
        err,
        MergeError::MissingHistograms {
            path: no_hlog.join("histograms.hlog")
        }
    );

    let not_json = root.join("notjson");
    std::fs::create_dir_all(&not_json).unwrap();
    std::fs::write(not_json.join("report.json"), "{}").unwrap();
    let err = merge_dirs(&[not_json], &opts).unwrap_err();
    assert!(matches!(err, MergeError::NotAReport { .. }), "{err}");

    let none: [PathBuf; 0] = [];
    assert!(matches!(
        merge_dirs(&none, &opts),
        Err(MergeError::NoShards { .. })
    ));
}

/// hold (the reference) 500 ms, burst 300 ms, recover 800 ms, 100 ms
/// windows. Shard 2 stalls (200 ms per iteration) for the iterations due
/// in the first 300 ms of the recover phase; every other iteration takes
/// 1 ms. A quarter of each of those windows' samples is then ≥ 200 ms, so
/// the merged windows' p95 is too, over the healthy bound (10 ms over
/// the reference p95): the merged recovery time is 300 ms, although three of the
/// four shards recovered at once. A set in which a quiet window of a
/// shard was slow (a busy machine, not the merge) is run again.
#[test]
fn the_recovery_is_recomputed_on_the_merged_windows() {
    let _lock = timing_lock();
    let recover_at = ms(800);
    let stalled = move |t: Duration| t >= recover_at && t < recover_at + ms(300);
    let run = |shard: u32| -> Report {
        let shape = Shape::builder()
            .hold(rps(100), ms(500))
            .burst(rps(200), ms(300))
            .recover(rps(100), ms(800))
            .build()
            .unwrap();
        let mut report = runtime(2)
            .block_on(
                Scenario::new("merge-recovery")
                    .shape(shape)
                    .window(ms(100))
                    .run(move |ctx: Ctx| async move {
                        let stall = shard == 2 && stalled(ctx.intended_start());
                        tokio::time::sleep(if stall { ms(200) } else { ms(1) }).await;
                    }),
            )
            .unwrap();
        report.shard = Some(ShardInfo {
            index: shard,
            count: SHARDS,
            start_at_unix_us: Some(START_AT_US),
            start_offset_us: 0,
        });
        report
    };
    let root = scratch("recovery");
    let (dirs, reports) = until_conclusive(|| {
        let reports: Vec<Report> = (0..SHARDS).map(run).collect();
        // The merged reference p95 is at least the smallest shard's, and
        // a merged quiet window's p95 at most the largest shard's: so
        // when every quiet window is within 10 ms of the smallest
        // reference p95, every merged quiet window is healthy.
        let reference = reports
            .iter()
            .map(|r| r.phase("hold").unwrap().stats.latency.p95_us)
            .min()
            .unwrap();
        for r in &reports {
            let index = r.shard.unwrap().index;
            let quiet = r
                .windows
                .iter()
                .filter(|w| !(index == 2 && stalled(w.start)));
            if let Some(w) = quiet
                .into_iter()
                .find(|w| w.stats.latency.p95_us > reference + 10_000)
            {
                return Err(format!(
                    "INCONCLUSIVE: the machine was too busy: window {} of shard {index} has p95 {}µs, \
                     the smallest reference p95 is {reference}µs\n{r}",
                    w.index, w.stats.latency.p95_us
                ));
            }
        }
        let dirs: Vec<PathBuf> = reports
            .iter()
            .map(|r| {
                let s = r.shard.unwrap();
                let dir = root.join(spike_core::shard::folder(s.index, s.count));
                write_all(r, &dir).unwrap();
                dir
            })
            .collect();
        Ok((dirs, reports))
    });
    let at_once = reports
        .iter()
        .filter(|r| r.recovery_time() == Some(Duration::ZERO))
        .count();
    assert_eq!(at_once, 3);
    assert_eq!(reports[2].recovery_time(), Some(ms(300)));
    let merged = merge_dirs(&dirs, &MergeOptions::default()).unwrap();
    let recovery = merged.recovery.as_ref().unwrap();
    assert_eq!(recovery.recovery_time, Some(ms(300)), "{merged}");
    assert_eq!(recovery.unhealthy_windows, [8, 9, 10]);
    let by_window: BTreeMap<u64, u64> = merged
        .windows
        .iter()
        .map(|w| (w.index, w.stats.latency.p95_us))
        .collect();
    for w in 8..=10 {
        assert!(
            by_window[&w] >= 200_000,
            "window {w}: p95 {}µs",
            by_window[&w]
        );
    }
}
