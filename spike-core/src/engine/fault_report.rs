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
