//! From the fault clock's edges to the report: which windows each fault
//! was active in, and the recovery from each fault's end (definition in
//! [`crate::recovery`]).

use std::time::Duration;

use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use crate::recording::histogram::{new_latency_histogram, Percentiles};
use crate::recovery::{evaluate_fault, FaultRecovery, FaultReference, RecoveryCriteria};
use crate::report::{FaultSpan, IntervalHistogram, WindowStats};

/// Mark every window with the faults active during any part of it.
pub(crate) fn tag_windows(windows: &mut [WindowStats], faults: &[FaultSpan]) {
    for w in windows {
        w.faults = faults
            .iter()
            .filter(|f| f.active_during(w.start, w.end))
            .map(|f| f.name.clone())
            .collect();
    }
}

/// The recovery from each fault that started and ended, in plan order.
pub(crate) fn recoveries(
    criteria: RecoveryCriteria,
    faults: &[FaultSpan],
    windows: &[WindowStats],
    histograms: &[IntervalHistogram],
) -> Vec<FaultRecovery> {
    let run_end = windows.last().map_or(Duration::ZERO, |w| w.end);
    faults
        .iter()
        .filter_map(|f| {
            let (start, end) = (f.actual_start?, f.actual_end?);
            // Reference: after the latest end of the faults over by this
            // one's start, up to its start, in windows no fault touched.
            let from = faults
                .iter()
                .filter_map(|g| g.actual_end)
                .filter(|&e| e <= start)
                .max()
                .unwrap_or(Duration::ZERO);
            let reference = reference(
                windows
                    .iter()
                    .filter(|w| w.start >= from && w.end <= start && w.faults.is_empty()),
                histograms,
            );
            let until = faults
                .iter()
                .filter_map(|g| g.actual_start)
                .filter(|&s| s >= end)
                .min()
                .unwrap_or(run_end)
                .min(run_end);
            Some(evaluate_fault(
                criteria, &f.name, reference, end, until, windows,
            ))
        })
        .collect()
}

/// Merged latency and summed errors of `windows`; `None` when they hold no
/// completed iteration.
fn reference<'a>(
    windows: impl Iterator<Item = &'a WindowStats>,
    histograms: &[IntervalHistogram],
) -> Option<FaultReference> {
    let (mut indexes, mut completed, mut errors) = (Vec::new(), 0u64, 0u64);
    for w in windows {
        indexes.push(w.index);
        completed += w.stats.completed;
        errors += w.stats.errors;
    }
    if completed == 0 {
        return None;
    }
    let mut merged = new_latency_histogram();
    let mut deserializer = Deserializer::new();
    for h in histograms
        .iter()
        .filter(|h| h.request.is_none() && indexes.contains(&h.window))
    {
        let decoded: Option<Histogram<u64>> =
            deserializer.deserialize(&mut h.encoded.as_slice()).ok();
        if let Some(decoded) = decoded {
            // Same bounds as every histogram of the run: cannot fail.
            let _ = merged.add(decoded);
        }
    }
    Some(FaultReference {
        windows: indexes,
        p95_us: Percentiles::of(&merged).p95_us,
        error_rate: errors as f64 / completed as f64,
    })
}

#[cfg(test)]
mod tests {
    use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};

    use super::*;
    use crate::recording::stats::Stats;

    const SEC: Duration = Duration::from_secs(1);

    /// Ten 1 s windows; `p95_ms[i]` is window i's latency (every one of its
    /// 100 iterations took that long), `errors[i]` its errors.
    fn run(p95_ms: [u64; 10], errors: [u64; 10]) -> (Vec<WindowStats>, Vec<IntervalHistogram>) {
        let mut windows = Vec::new();
        let mut histograms = Vec::new();
        for i in 0..10u64 {
            let mut h = new_latency_histogram();
            h.record_n(p95_ms[i as usize] * 1_000, 100).unwrap();
            let mut encoded = Vec::new();
            V2DeflateSerializer::new()
                .serialize(&h, &mut encoded)
                .unwrap();
            let e = errors[i as usize];
            let mut stats = Stats {
                completed: 100,
                errors: e,
                error_rate: e as f64 / 100.0,
                ..Stats::default()
            };
            stats.latency = Percentiles::of(&h);
            let (start, end) = (SEC * i as u32, SEC * (i as u32 + 1));
            windows.push(WindowStats {
                index: i,
                start,
                end,
                phase: "hold".to_owned(),
                stats,
                served: 100,
                faults: Vec::new(),
                resources: Default::default(),
            });
            histograms.push(IntervalHistogram {
                window: i,
                start,
                end,
                phase: "hold".to_owned(),
                request: None,
                encoded,
            });
        }
        (windows, histograms)
    }

    fn span(name: &str, on_ms: u64, off_ms: u64) -> FaultSpan {
        FaultSpan {
            name: name.to_owned(),
            description: String::new(),
            planned_start: Duration::from_millis(on_ms),
            planned_end: Duration::from_millis(off_ms),
            actual_start: Some(Duration::from_millis(on_ms)),
            actual_end: Some(Duration::from_millis(off_ms)),
            stopped_at_run_end: false,
        }
    }

    #[test]
    fn references_and_spans_follow_the_faults_edges() {
        // a: 2.5–3.5 s; b: 3.2–4.5 s (overlaps a); c: 7.0–8.0 s.
        // Latency 10 ms healthy, 100 ms while faulty and 1 s after each.
        let p95 = [10, 10, 10, 100, 100, 100, 10, 100, 100, 10];
        let errors = [0, 2, 0, 50, 50, 0, 0, 0, 0, 0];
        let (mut windows, histograms) = run(p95, errors);
        let faults = [
            span("a", 2_500, 3_500),
            span("b", 3_200, 4_500),
            span("c", 7_000, 8_000),
        ];
        tag_windows(&mut windows, &faults);
        let tags: Vec<Vec<String>> = windows.iter().map(|w| w.faults.clone()).collect();
        assert_eq!(tags[2], ["a"]);
        assert_eq!(tags[3], ["a", "b"]);
        assert_eq!(tags[4], ["b"]);
        assert!(tags[5].is_empty() && tags[6].is_empty());
        assert_eq!(tags[7], ["c"]);

        let criteria = RecoveryCriteria {
            sustain: 1,
            ..RecoveryCriteria::default()
        };
        let r = recoveries(criteria, &faults, &windows, &histograms);
        assert_eq!(r.len(), 3);
        // a: reference = windows 0 and 1 (2 lies partly in a), merged:
        // p95 10 ms, 2 errors in 200. b started before a ended, so the span
        // runs to the next start after a's end, c's (7 s). Windows wholly
        // in [3.5, 7): 4 and 5 slow, 6 healthy → 6 s − 3.5 s.
        assert_eq!(r[0].reference_windows, [0, 1]);
        assert_eq!(
            r[0].reference_p95_us,
            Percentiles::of(&{
                let mut h = new_latency_histogram();
                h.record_n(10_000, 200).unwrap();
                h
            })
            .p95_us
        );
        assert!((r[0].reference_error_rate - 0.01).abs() < 1e-12);
        assert_eq!(r[0].until, SEC * 7);
        assert_eq!(r[0].unhealthy_windows, [4, 5]);
        assert_eq!(r[0].recovery_time, Some(Duration::from_millis(2_500)));
        // b: no fault ended before b started, so from the run start:
        // windows 0 and 1 (2 and 3 carry a fault). 5 slow, 6 healthy.
        assert_eq!(r[1].reference_windows, [0, 1]);
        assert_eq!(r[1].recovery_time, Some(Duration::from_millis(1_500)));
        // c: after b's end (4.5 s), windows 5 and 6: 5 was slow, so the
        // merged p95 is 100 ms and the slow window 8 counts as healthy.
        assert_eq!(r[2].reference_windows, [5, 6]);
        assert_eq!(r[2].until, SEC * 10);
        assert_eq!(r[2].recovery_time, Some(Duration::ZERO));
    }

    #[test]
    fn no_reference_window_means_not_measured() {
        let (mut windows, histograms) = run([10; 10], [0; 10]);
        let faults = [span("early", 0, 1_500)];
        tag_windows(&mut windows, &faults);
        let r = recoveries(RecoveryCriteria::default(), &faults, &windows, &histograms);
        assert!(!r[0].measured());
        assert_eq!(r[0].recovery_time, None);
    }
}
