//! The merged numbers: every window's, phase's and the run's stats from
//! the shards' counts and their summed histograms, through the engine's
//! own [`Stats::from_tally`].

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use hdrhistogram::Histogram;

use crate::recording::detail::{add_detail, add_latency, counts_tally, encode_details, DetailSpan};
use crate::recording::histogram::new_latency_histogram;
use crate::recording::shards::Tally;
use crate::recording::stats::Stats;
use crate::report::{DetailHistogram, IntervalHistogram, PhaseReport, Report, WindowStats};

/// The merged stats and histograms of a set of shard reports.
pub(super) struct Combined {
    pub(super) total: Stats,
    pub(super) phases: Vec<PhaseReport>,
    pub(super) windows: Vec<WindowStats>,
    pub(super) interval_histograms: Vec<IntervalHistogram>,
    pub(super) detail_histograms: Vec<DetailHistogram>,
}

/// A window's place: start, end, phase at its start.
type Bounds = (Duration, Duration, String);

/// The summed histograms of every (window, phase) of the shards: the
/// iterations' latency from `interval_histograms` (the per-window request
/// histograms there are sums over phases of the detail ones, so they are
/// not read), everything else from `detail_histograms`.
fn summed_histograms(shards: &[&Report]) -> BTreeMap<(u64, usize), Tally> {
    let mut out: BTreeMap<(u64, usize), Tally> = BTreeMap::new();
    let mut deserializer = Deserializer::new();
    let mut decode =
        |bytes: &[u8]| -> Option<Histogram<u64>> { deserializer.deserialize(&mut &bytes[..]).ok() };
    for r in shards {
        let phase_index = |name: &str| r.shape.phases().iter().position(|p| p.name == name);
        for i in r.interval_histograms.iter().filter(|i| i.request.is_none()) {
            if let (Some(p), Some(h)) = (phase_index(&i.phase), decode(&i.encoded)) {
                // Same configuration (checked on read): adding cannot fail.
                let _ = add_latency(out.entry((i.window, p)).or_default(), &h);
            }
        }
        for d in &r.detail_histograms {
            if let (Some(p), Some(h)) = (phase_index(&d.phase), decode(&d.encoded)) {
                let _ = add_detail(out.entry((d.window, p)).or_default(), &d.kind, &h);
            }
        }
    }
    out
}

/// Sum the counts of `stats` (one per shard, in shard order) and then the
/// histograms of `hists`, and compute the stats over `span` with `target`.
fn stats_of<'a>(
    stats: impl Iterator<Item = &'a Stats>,
    hists: impl Iterator<Item = &'a Tally>,
    span: Duration,
) -> Stats {
    let mut tally = Tally::default();
    let mut target = 0.0;
    for s in stats {
        tally.merge(&counts_tally(s));
        target += s.target;
    }
    for h in hists {
        tally.merge(h);
    }
    Stats::from_tally(&tally, span, target)
}

/// Merge the stats of `shards` (sorted by shard index; same shape and
/// window, checked before).
pub(super) fn combine(shards: &[&Report]) -> Combined {
    let first = shards[0];
    let phase_names: Vec<&str> = first
        .shape
        .phases()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let hists = summed_histograms(shards);
    // Windows: the union of the shards' (an interrupted shard has fewer).
    let mut bounds: BTreeMap<u64, Bounds> = BTreeMap::new();
    for r in shards {
        for w in &r.windows {
            bounds
                .entry(w.index)
                .or_insert_with(|| (w.start, w.end, w.phase.clone()));
        }
    }
    let windows: Vec<WindowStats> = bounds
        .iter()
        .map(|(&index, (start, end, phase))| {
            let of_shards: Vec<&WindowStats> = shards
                .iter()
                .filter_map(|r| r.windows.iter().find(|w| w.index == index))
                .collect();
            let stats = stats_of(
                of_shards.iter().map(|w| &w.stats),
                hists
                    .range((index, 0)..=(index, usize::MAX))
                    .map(|(_, t)| t),
                end.saturating_sub(*start),
            );
            let mut resources = BTreeMap::new();
            for (r, w) in shards.iter().filter_map(|r| {
                let w = r.windows.iter().find(|w| w.index == index)?;
                Some((r, w))
            }) {
                let i = r.shard.map_or(0, |s| s.index);
                for (series, sample) in &w.resources {
                    resources.insert(format!("shard-{i}/{series}"), *sample);
                }
            }
            WindowStats {
                index,
                start: *start,
                end: *end,
                phase: phase.clone(),
                stats,
                served: of_shards.iter().map(|w| w.served).sum(),
                faults: Vec::new(),
                resources,
            }
        })
        .collect();
    let phases = first
        .phases
        .iter()
        .enumerate()
        .map(|(p, phase)| {
            let span = shards
                .iter()
                .filter_map(|r| r.phases.get(p))
                .map(|ph| ph.stats.span)
                .max()
                .unwrap_or_default();
            let stats = stats_of(
                shards
                    .iter()
                    .filter_map(|r| r.phases.get(p))
                    .map(|ph| &ph.stats),
                hists.iter().filter(|((_, q), _)| *q == p).map(|(_, t)| t),
                span,
            );
            PhaseReport {
                phase: phase.phase.clone(),
                stats,
            }
        })
        .collect();
    let span = shards
        .iter()
        .map(|r| r.total.span)
        .max()
        .unwrap_or_default();
    let total = stats_of(shards.iter().map(|r| &r.total), hists.values(), span);
    let (interval_histograms, detail_histograms) = encode_all(&hists, &bounds, &phase_names);
    Combined {
        total,
        phases,
        windows,
        interval_histograms,
        detail_histograms,
    }
}

/// The merged report's encoded histograms, in the engine's order: per
/// window, each phase's latency, then each request's over the window.
fn encode_all(
    hists: &BTreeMap<(u64, usize), Tally>,
    bounds: &BTreeMap<u64, Bounds>,
    phase_names: &[&str],
) -> (Vec<IntervalHistogram>, Vec<DetailHistogram>) {
    let mut serializer = V2DeflateSerializer::new();
    let (mut intervals, mut details) = (Vec::new(), Vec::new());
    for (&index, (start, end, window_phase)) in bounds {
        let mut requests: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
        for ((_, p), tally) in hists.range((index, 0)..=(index, usize::MAX)) {
            let phase = phase_names.get(*p).copied().unwrap_or_default();
            if let Some(h) = tally.hists() {
                let mut encoded = Vec::new();
                if serializer.serialize(&h.latency, &mut encoded).is_ok() {
                    intervals.push(IntervalHistogram {
                        window: index,
                        start: *start,
                        end: *end,
                        phase: phase.to_owned(),
                        request: None,
                        encoded,
                    });
                }
            }
            for (name, r) in &tally.requests {
                let _ = requests
                    .entry(name.to_string())
                    .or_insert_with(new_latency_histogram)
                    .add(&r.latency);
            }
            let span = DetailSpan {
                window: index,
                start: *start,
                end: *end,
                phase,
            };
            encode_details(tally, &span, &mut serializer, &mut details);
        }
        for (name, h) in requests {
            let mut encoded = Vec::new();
            if serializer.serialize(&h, &mut encoded).is_ok() {
                intervals.push(IntervalHistogram {
                    window: index,
                    start: *start,
                    end: *end,
                    phase: window_phase.clone(),
                    request: Some(name),
                    encoded,
                });
            }
        }
    }
    (intervals, details)
}
