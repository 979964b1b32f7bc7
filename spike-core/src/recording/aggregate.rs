//! Merges what the shards recorded into per-window, per-phase and whole-run
//! metrics, and closes windows once every iteration due in them finished.
//!
//! A closed window keeps only its summary ([`WindowStats`]); its histograms
//! are added into the phase and run histograms and dropped, so memory does
//! not grow with the length of the run.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::recorded::{Recorded, RecordedFn, RecordedRequest};
use crate::recording::detail::{encode_details, DetailSpan};
use crate::recording::shards::{Drained, Tally, TallyKey};
use crate::recording::stats::Stats;
use crate::report::{DetailHistogram, IntervalHistogram, WindowStats};
use crate::shape::level::Model;
use crate::shape::schedule::RateProfile;
use crate::shape::Shape;

/// A closed-window observer.
pub type WindowFn = Box<dyn FnMut(&WindowStats) + Send>;

/// What [`Aggregator::finish`] returns.
pub(crate) struct RunTotals {
    pub(crate) phases: Vec<Stats>,
    pub(crate) total: Stats,
    pub(crate) windows: Vec<WindowStats>,
    pub(crate) drain_timeouts: u64,
    pub(crate) late_records: u64,
    pub(crate) interval_histograms: Vec<IntervalHistogram>,
    pub(crate) detail_histograms: Vec<DetailHistogram>,
}

pub(crate) struct Aggregator {
    shape: Shape,
    profile: Option<RateProfile>,
    window: Duration,
    windows_total: u64,
    open: BTreeMap<TallyKey, Tally>,
    /// Windows below this index are closed.
    next_window: u64,
    phases: Vec<Tally>,
    total: Tally,
    windows: Vec<WindowStats>,
    late_records: u64,
    /// Completions per window of completion instant (served throughput).
    /// Counted apart from the window's latency stats: a completion may land
    /// in a window that already closed (its iteration was due earlier), so
    /// a window's served count is final only at the end of the run.
    /// Completions past the planned end (the drain) are in no window: the
    /// run's `completed` minus the windows' served counts.
    served: Vec<u64>,
    /// Observer of each closed window (live progress, artifacts).
    on_window: Option<WindowFn>,
    /// Encoded latency histogram of each closed (window, phase).
    interval_histograms: Vec<IntervalHistogram>,
    /// Every other encoded histogram of each closed (window, phase).
    detail_histograms: Vec<DetailHistogram>,
    serializer: hdrhistogram::serialization::V2DeflateSerializer,
    /// A sharded run's shard: targets are its share (see [`crate::shard`]).
    shard: Option<crate::shard::Shard>,
    /// Observer of every batch the run totals take in (histogram sinks).
    on_recorded: Option<RecordedFn>,
}

/// `acc` as a sink sees it.
fn recorded<'a>(acc: &'a Tally, window: u64, phase: &'a str, late: bool) -> Recorded<'a> {
    let mut requests: Vec<RecordedRequest<'a>> = acc
        .requests
        .iter()
        .map(|(name, r)| RecordedRequest {
            name,
            count: r.count,
            errors: r.errors,
            errors_by_class: &r.errors_by_class,
            latency: &r.latency,
        })
        .collect();
    requests.sort_unstable_by(|a, b| a.name.cmp(b.name));
    Recorded {
        window,
        phase,
        late,
        completed: acc.completed,
        errors: acc.errors,
        errors_by_class: &acc.errors_by_class,
        latency: acc.hists().map(|h| &h.latency),
        schedule_lag: acc.hists().map(|h| &h.lag),
        requests,
    }
}

impl Aggregator {
    pub(crate) fn new(shape: &Shape, window: Duration, on_window: Option<WindowFn>) -> Self {
        let windows_total = (shape.duration().as_nanos().div_ceil(window.as_nanos())).max(1) as u64;
        Aggregator {
            profile: (shape.model() == Model::Open).then(|| RateProfile::new(shape)),
            shape: shape.clone(),
            window,
            windows_total,
            open: BTreeMap::new(),
            next_window: 0,
            phases: vec![Tally::default(); shape.phases().len()],
            total: Tally::default(),
            windows: Vec::new(),
            late_records: 0,
            served: Vec::new(),
            on_window,
            interval_histograms: Vec::new(),
            detail_histograms: Vec::new(),
            serializer: hdrhistogram::serialization::V2DeflateSerializer::new(),
            shard: None,
            on_recorded: None,
        }
    }

    /// Hand every batch the run totals take in to `observer`.
    pub(crate) fn with_recorded(mut self, observer: Option<RecordedFn>) -> Self {
        self.on_recorded = observer;
        self
    }

    /// Hand `acc` (of window `key.0`, phase `key.1`) to the observer.
    fn hand(&mut self, key: TallyKey, acc: &Tally, late: bool) {
        if let Some(observer) = &mut self.on_recorded {
            let phase = &self.shape.phases()[usize::from(key.1)].name;
            observer(&recorded(acc, key.0, phase, late));
        }
    }

    /// Plan targets as `shard`'s share of the shape's levels.
    pub(crate) fn with_shard(mut self, shard: Option<crate::shard::Shard>) -> Self {
        self.shard = shard;
        self
    }

    /// The planned level `level` as this run's share of it.
    fn share(&self, level: f64) -> f64 {
        match (self.shard, &self.profile) {
            (None, _) => level,
            (Some(s), Some(_)) => s.rate_share(level),
            (Some(s), None) => s.users_share(level),
        }
    }

    pub(crate) fn windows_total(&self) -> u64 {
        self.windows_total
    }

    fn window_bounds(&self, w: u64) -> (Duration, Duration) {
        let start = self.window * u32::try_from(w).unwrap_or(u32::MAX);
        let end = (start + self.window).min(self.shape.duration());
        (start, end)
    }

    /// Planned level over a span: average rate (open) or users (closed).
    fn target(&self, start: Duration, end: Duration) -> f64 {
        let len = (end - start).as_secs_f64();
        if len <= 0.0 {
            return 0.0;
        }
        match &self.profile {
            Some(p) => self.share(p.integral(start.as_secs_f64(), end.as_secs_f64()) / len),
            None => {
                // Piecewise linear: average of samples at phase-aligned points.
                let steps = 64;
                (0..steps)
                    .map(|i| {
                        let t =
                            start + (end - start).mul_f64((f64::from(i) + 0.5) / f64::from(steps));
                        self.share(self.shape.level_at(t).value())
                    })
                    .sum::<f64>()
                    / f64::from(steps)
            }
        }
    }

    /// Take in what the shards recorded since the last call.
    pub(crate) fn absorb(&mut self, drained: Drained) {
        for (w, n) in drained.served {
            // Grown as completions arrive (never past the planned windows),
            // so a long planned shape allocates nothing up front.
            if w >= self.windows_total {
                continue;
            }
            let Ok(w) = usize::try_from(w) else { continue };
            if w >= self.served.len() {
                self.served.resize(w + 1, 0);
            }
            self.served[w] += n;
        }
        for (key, acc) in drained.tallies {
            if key.0 < self.next_window {
                // The window already closed: keep the data in phase and run.
                self.late_records += acc.completed + acc.scheduled;
                self.hand(key, &acc, true);
                self.phases[usize::from(key.1)].merge(&acc);
                self.total.merge(&acc);
                continue;
            }
            match self.open.get_mut(&key) {
                Some(mine) => mine.merge(&acc),
                None => {
                    self.open.insert(key, acc);
                }
            }
        }
    }

    /// Close every window that ends at or before `position` (all iterations
    /// due by then are scheduled) and whose iterations all finished.
    pub(crate) fn close_ready(&mut self, position: Duration) {
        while self.next_window < self.windows_total {
            let w = self.next_window;
            let (_, end) = self.window_bounds(w);
            if end > position {
                break;
            }
            let (mut scheduled, mut finished) = (0, 0);
            for (_, acc) in self.open.range((w, 0)..=(w, u16::MAX)) {
                scheduled += acc.scheduled;
                finished += acc.completed + acc.dropped;
            }
            if finished < scheduled {
                break;
            }
            self.close(w);
        }
    }

    fn close(&mut self, w: u64) {
        let keys: Vec<TallyKey> = self
            .open
            .range((w, 0)..=(w, u16::MAX))
            .map(|(k, _)| *k)
            .collect();
        let mut merged = Tally::default();
        let (start, end) = self.window_bounds(w);
        for key in keys {
            let acc = self.open.remove(&key).expect("key just listed");
            self.hand(key, &acc, false);
            let phase = &self.shape.phases()[usize::from(key.1)].name;
            if let Some(h) = acc.hists() {
                use hdrhistogram::serialization::Serializer as _;
                let mut encoded = Vec::new();
                if self.serializer.serialize(&h.latency, &mut encoded).is_ok() {
                    self.interval_histograms.push(IntervalHistogram {
                        window: w,
                        start,
                        end,
                        phase: phase.clone(),
                        request: None,
                        encoded,
                    });
                }
            }
            let span = DetailSpan {
                window: w,
                start,
                end,
                phase,
            };
            encode_details(
                &acc,
                &span,
                &mut self.serializer,
                &mut self.detail_histograms,
            );
            self.phases[usize::from(key.1)].merge(&acc);
            self.total.merge(&acc);
            merged.merge(&acc);
        }
        let phase = self.shape.phases()[self.shape.phase_index_at(start)]
            .name
            .clone();
        self.encode_requests(&merged, w, (start, end), &phase);
        let stats = Stats::from_tally(&merged, end - start, self.target(start, end));
        let ws = WindowStats {
            index: w,
            start,
            end,
            phase,
            stats,
            served: self.served_count(w),
            faults: Vec::new(),
            resources: Default::default(),
        };
        if let Some(observer) = &mut self.on_window {
            observer(&ws);
        }
        self.windows.push(ws);
        self.next_window = w + 1;
    }

    /// One encoded histogram per named request of the closed window, in
    /// name order, after the window's iteration histograms.
    fn encode_requests(&mut self, merged: &Tally, w: u64, span: (Duration, Duration), phase: &str) {
        use hdrhistogram::serialization::Serializer as _;
        let mut names: Vec<_> = merged.requests.iter().collect();
        names.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (name, r) in names {
            let mut encoded = Vec::new();
            if self.serializer.serialize(&r.latency, &mut encoded).is_ok() {
                self.interval_histograms.push(IntervalHistogram {
                    window: w,
                    start: span.0,
                    end: span.1,
                    phase: phase.to_owned(),
                    request: Some(name.to_string()),
                    encoded,
                });
            }
        }
    }

    fn served_count(&self, w: u64) -> u64 {
        usize::try_from(w)
            .ok()
            .and_then(|w| self.served.get(w))
            .copied()
            .unwrap_or(0)
    }

    /// Close every remaining window of the part of the shape that ran and
    /// return (phases, total, windows). `span` is how much of the shape
    /// actually ran: a run interrupted early does not close (and keep) the
    /// empty windows it never reached, which for a long planned shape
    /// would take time and memory in proportion to the plan.
    pub(crate) fn finish(mut self, span: Duration) -> RunTotals {
        let reached = u64::try_from(span.as_nanos().div_ceil(self.window.as_nanos()))
            .unwrap_or(u64::MAX)
            .max(1);
        let with_data = self.open.keys().next_back().map_or(0, |key| key.0 + 1);
        let last = reached.max(with_data).min(self.windows_total);
        while self.next_window < last {
            self.close(self.next_window);
        }
        // Anything keyed past the last window (cannot happen with clamped
        // keys, but never lose data).
        let rest: Vec<(TallyKey, Tally)> = std::mem::take(&mut self.open).into_iter().collect();
        for (key, acc) in rest {
            self.late_records += acc.completed;
            self.hand(key, &acc, true);
            self.phases[usize::from(key.1)].merge(&acc);
            self.total.merge(&acc);
        }
        // Served counts grew after their windows closed: the final ones.
        for i in 0..self.windows.len() {
            self.windows[i].served = self.served_count(self.windows[i].index);
        }
        let phases = self
            .shape
            .phases()
            .iter()
            .zip(&self.phases)
            .map(|(p, acc)| {
                let ran = span.saturating_sub(p.start).min(p.duration);
                Stats::from_tally(acc, ran, self.target(p.start, p.end()))
            })
            .collect();
        let total = Stats::from_tally(
            &self.total,
            span.min(self.shape.duration()),
            self.target(Duration::ZERO, self.shape.duration()),
        );
        RunTotals {
            phases,
            total,
            windows: self.windows,
            drain_timeouts: self.total.drain_timeouts,
            late_records: self.late_records,
            interval_histograms: self.interval_histograms,
            detail_histograms: self.detail_histograms,
        }
    }

    /// Completed and errors so far (closed windows and open ones).
    pub(crate) fn progress_counts(&self) -> (u64, u64) {
        let open = self
            .open
            .values()
            .fold((0, 0), |(c, e), a| (c + a.completed, e + a.errors));
        (self.total.completed + open.0, self.total.errors + open.1)
    }

    pub(crate) fn last_window(&self) -> Option<&WindowStats> {
        self.windows.last()
    }
}
