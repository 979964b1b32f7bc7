//! Recording without a global lock.
//!
//! Every worker thread records into its own shard (a `Mutex` only that
//! thread takes on the hot path; the aggregator takes it briefly once per
//! tick to swap the contents out). A shard holds one accumulator per
//! (window, phase) pair that saw data since the last tick; the aggregator
//! merges them into per-window, per-phase and whole-run totals.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use hdrhistogram::Histogram;

use crate::recording::histogram::{new_latency_histogram, new_tag_histogram, HIGHEST_TRACKABLE_US};
use crate::recording::outcome::IterError;
use crate::recording::request_tally::RequestTally;

/// Key of an accumulator: window index (by intended start) and phase index.
pub(crate) type TallyKey = (u64, u16);

/// Most distinct values kept per tag key; further values count as `(other)`.
pub(crate) const MAX_TAG_VALUES: usize = 100;

/// Most distinct request names kept per accumulator; the samples of
/// further names are kept under [`OTHER_REQUESTS`].
pub(crate) const MAX_REQUEST_NAMES: usize = 100;

/// The name the samples of request names past [`MAX_REQUEST_NAMES`] get.
pub(crate) const OTHER_REQUESTS: &str = "(other)";

/// The histograms of one accumulator, allocated on first completion.
#[derive(Debug, Clone)]
pub(crate) struct TimingHistograms {
    pub(crate) latency: Histogram<u64>,
    pub(crate) service: Histogram<u64>,
    pub(crate) lag: Histogram<u64>,
}

impl TimingHistograms {
    fn new() -> Self {
        TimingHistograms {
            latency: new_latency_histogram(),
            service: new_latency_histogram(),
            lag: new_latency_histogram(),
        }
    }
}

/// Per tag value: count, errors and latency.
#[derive(Debug, Clone)]
pub(crate) struct TagTally {
    pub(crate) count: u64,
    pub(crate) errors: u64,
    pub(crate) latency: Histogram<u64>,
}

/// A user gauge: last, smallest and largest value seen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GaugeTally {
    pub(crate) last: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl GaugeTally {
    fn merge(&mut self, other: &GaugeTally) {
        self.last = other.last;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Everything recorded for one (window, phase), or merged over many.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    /// Iterations due (open) or started (closed), including dropped ones.
    pub(crate) scheduled: u64,
    /// Iterations not started because the in-flight cap was reached.
    pub(crate) dropped: u64,
    /// Iterations that finished (success or error).
    pub(crate) completed: u64,
    /// Of those, errors.
    pub(crate) errors: u64,
    /// Samples above the histogram range (clamped).
    pub(crate) out_of_range: u64,
    /// Iterations ended by the drain timeout at the end of the run.
    pub(crate) drain_timeouts: u64,
    pub(crate) hists: Option<Box<TimingHistograms>>,
    pub(crate) errors_by_class: BTreeMap<String, u64>,
    pub(crate) http_statuses: BTreeMap<u16, u64>,
    pub(crate) error_samples: BTreeMap<String, String>,
    pub(crate) counters: HashMap<Cow<'static, str>, u64>,
    pub(crate) gauges: HashMap<Cow<'static, str>, GaugeTally>,
    pub(crate) tags: HashMap<Cow<'static, str>, HashMap<String, TagTally>>,
    /// User-recorded durations (`ctx.record(..)`), µs, 2 significant digits.
    pub(crate) metrics: HashMap<Cow<'static, str>, Histogram<u64>>,
    /// Named requests (`ctx.request(..)`): count, errors, latency.
    pub(crate) requests: HashMap<Cow<'static, str>, RequestTally>,
}

/// One finished iteration, as the engine hands it to the recorder.
pub(crate) struct Sample<'a> {
    pub(crate) latency_us: u64,
    pub(crate) service_us: u64,
    pub(crate) lag_us: u64,
    pub(crate) error: Option<&'a IterError>,
    pub(crate) tags: &'a [(Cow<'static, str>, String)],
    pub(crate) drain_timeout: bool,
}

fn record_clamped(h: &mut Histogram<u64>, v: u64) -> bool {
    h.saturating_record(v);
    v > HIGHEST_TRACKABLE_US
}

impl Tally {
    pub(crate) fn hists(&self) -> Option<&TimingHistograms> {
        self.hists.as_deref()
    }

    pub(crate) fn record(&mut self, s: &Sample<'_>) {
        self.completed += 1;
        let hists = self
            .hists
            .get_or_insert_with(|| Box::new(TimingHistograms::new()));
        let mut oor = record_clamped(&mut hists.latency, s.latency_us);
        oor |= record_clamped(&mut hists.service, s.service_us);
        oor |= record_clamped(&mut hists.lag, s.lag_us);
        self.out_of_range += u64::from(oor);
        self.drain_timeouts += u64::from(s.drain_timeout);
        if let Some(err) = s.error {
            self.errors += 1;
            let key = err.class().key();
            match self.errors_by_class.get_mut(key.as_ref()) {
                Some(n) => *n += 1,
                None => {
                    self.errors_by_class.insert(key.clone().into_owned(), 1);
                }
            }
            if let Some(status) = err.class().http_status() {
                *self.http_statuses.entry(status).or_insert(0) += 1;
            }
            if !self.error_samples.contains_key(key.as_ref()) {
                let msg = err.message().map_or_else(|| err.to_string(), str::to_owned);
                self.error_samples.insert(key.into_owned(), msg);
            }
        }
        for (key, value) in s.tags {
            let values = self.tags.entry(key.clone()).or_default();
            let value = if values.contains_key(value) || values.len() < MAX_TAG_VALUES {
                value.as_str()
            } else {
                "(other)"
            };
            let tag = match values.get_mut(value) {
                Some(t) => t,
                None => values.entry(value.to_owned()).or_insert_with(|| TagTally {
                    count: 0,
                    errors: 0,
                    latency: new_tag_histogram(),
                }),
            };
            tag.count += 1;
            tag.errors += u64::from(s.error.is_some());
            tag.latency.saturating_record(s.latency_us);
        }
    }

    pub(crate) fn count(&mut self, name: Cow<'static, str>, n: u64) {
        match self.counters.get_mut(name.as_ref()) {
            // A user's counter saturates rather than overflow (a panic in
            // debug builds).
            Some(c) => *c = c.saturating_add(n),
            None => {
                self.counters.insert(name, n);
            }
        }
    }

    pub(crate) fn record_metric(&mut self, name: Cow<'static, str>, us: u64) {
        match self.metrics.get_mut(name.as_ref()) {
            Some(h) => h.saturating_record(us),
            None => {
                let mut h = new_tag_histogram();
                h.saturating_record(us);
                self.metrics.insert(name, h);
            }
        }
    }

    /// One named-request sample: a map lookup and a histogram record.
    pub(crate) fn record_request(
        &mut self,
        name: Cow<'static, str>,
        latency_us: u64,
        error: Option<&IterError>,
    ) {
        match self.requests.get_mut(name.as_ref()) {
            Some(r) => r.record(latency_us, error),
            None => {
                // Names are user text (a URL with an id in it would make
                // one per call): past the cap they share one entry.
                let name = if self.requests.len() < MAX_REQUEST_NAMES {
                    name
                } else {
                    Cow::Borrowed(OTHER_REQUESTS)
                };
                self.requests
                    .entry(name)
                    .or_insert_with(RequestTally::new)
                    .record(latency_us, error);
            }
        }
    }

    pub(crate) fn gauge(&mut self, name: Cow<'static, str>, value: f64) {
        let g = GaugeTally {
            last: value,
            min: value,
            max: value,
        };
        match self.gauges.get_mut(name.as_ref()) {
            Some(old) => old.merge(&g),
            None => {
                self.gauges.insert(name, g);
            }
        }
    }

    /// Add everything in `other` to `self`.
    pub(crate) fn merge(&mut self, other: &Tally) {
        self.scheduled += other.scheduled;
        self.dropped += other.dropped;
        self.completed += other.completed;
        self.errors += other.errors;
        self.out_of_range += other.out_of_range;
        self.drain_timeouts += other.drain_timeouts;
        if let Some(o) = &other.hists {
            match &mut self.hists {
                Some(h) => {
                    // Same bounds on both sides: `add` cannot fail.
                    let _ = h.latency.add(&o.latency);
                    let _ = h.service.add(&o.service);
                    let _ = h.lag.add(&o.lag);
                }
                None => self.hists = Some(o.clone()),
            }
        }
        for (k, v) in &other.errors_by_class {
            *self.errors_by_class.entry(k.clone()).or_insert(0) += v;
        }
        for (k, v) in &other.http_statuses {
            *self.http_statuses.entry(*k).or_insert(0) += v;
        }
        for (k, v) in &other.error_samples {
            self.error_samples
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        for (k, v) in &other.counters {
            let c = self.counters.entry(k.clone()).or_insert(0);
            *c = c.saturating_add(*v);
        }
        for (k, g) in &other.gauges {
            self.gauges
                .entry(k.clone())
                .and_modify(|old| old.merge(g))
                .or_insert(*g);
        }
        for (k, h) in &other.metrics {
            match self.metrics.get_mut(k) {
                // Same bounds on both sides: `add` cannot fail.
                Some(mine) => {
                    let _ = mine.add(h);
                }
                None => {
                    self.metrics.insert(k.clone(), h.clone());
                }
            }
        }
        for (k, r) in &other.requests {
            match self.requests.get_mut(k) {
                Some(mine) => mine.merge(r),
                None => {
                    self.requests.insert(k.clone(), r.clone());
                }
            }
        }
        for (k, values) in &other.tags {
            let mine = self.tags.entry(k.clone()).or_default();
            for (v, t) in values {
                match mine.get_mut(v) {
                    Some(m) => {
                        m.count += t.count;
                        m.errors += t.errors;
                        let _ = m.latency.add(&t.latency);
                    }
                    None => {
                        mine.insert(v.clone(), t.clone());
                    }
                }
            }
        }
    }
}

/// The accumulators one shard collected since the last drain. Few keys are
/// live at once, so a vector searched from the back beats a map.
#[derive(Debug, Default)]
pub(crate) struct ShardData {
    tallies: Vec<(TallyKey, Tally)>,
    /// Completions counted by the window their completion instant falls
    /// in (not their intended start): (window, count).
    served: Vec<(u64, u64)>,
}

/// What one drain of every shard took out.
#[derive(Debug, Default)]
pub(crate) struct Drained {
    /// Accumulators keyed by (window of intended start, phase).
    pub(crate) tallies: Vec<(TallyKey, Tally)>,
    /// Completions by window of completion instant: (window, count).
    pub(crate) served: Vec<(u64, u64)>,
}

impl ShardData {
    /// Record a finished iteration: its sample under `key` (window of its
    /// intended start, phase), and one completion in `done_window`, the
    /// window its completion instant falls in.
    pub(crate) fn record(&mut self, key: TallyKey, done_window: u64, sample: &Sample<'_>) {
        self.tally(key).record(sample);
        match self.served.last_mut() {
            Some((w, n)) if *w == done_window => *n += 1,
            _ => match self
                .served
                .iter_mut()
                .rev()
                .find(|(w, _)| *w == done_window)
            {
                Some((_, n)) => *n += 1,
                None => self.served.push((done_window, 1)),
            },
        }
    }

    pub(crate) fn tally(&mut self, key: TallyKey) -> &mut Tally {
        let pos = match self.tallies.iter().rposition(|(k, _)| *k == key) {
            Some(p) => p,
            None => {
                self.tallies.push((key, Tally::default()));
                self.tallies.len() - 1
            }
        };
        &mut self.tallies[pos].1
    }
}

/// Number of shards: more than the worker threads of any sane runtime, so
/// two threads rarely share one.
const SHARDS: usize = 64;

static NEXT_THREAD_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn thread_slot() -> usize {
    THREAD_SLOT.with(|slot| {
        let mut s = slot.get();
        if s == usize::MAX {
            s = NEXT_THREAD_SLOT.fetch_add(1, Ordering::Relaxed);
            slot.set(s);
        }
        s % SHARDS
    })
}

/// The shards of one run.
#[derive(Debug)]
pub(crate) struct Shards {
    shards: Box<[Mutex<ShardData>]>,
}

impl Shards {
    pub(crate) fn new() -> Self {
        Shards {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// Run `f` on this thread's shard.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut ShardData) -> R) -> R {
        let mut guard = self.shards[thread_slot()]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// Take everything recorded so far out of every shard.
    pub(crate) fn drain(&self) -> Drained {
        let mut out = Drained::default();
        for shard in self.shards.iter() {
            let mut guard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            out.tallies.append(&mut guard.tallies);
            out.served.append(&mut guard.served);
        }
        out
    }
}

/// The recording hot path, for benchmarks only: not a stable API.
#[doc(hidden)]
#[derive(Debug)]
pub struct BenchRecorder {
    shards: Shards,
}

impl Default for BenchRecorder {
    fn default() -> Self {
        BenchRecorder {
            shards: Shards::new(),
        }
    }
}

impl BenchRecorder {
    /// Record one successful sample exactly as a finished iteration does.
    pub fn record(&self, window: u64, latency_us: u64, service_us: u64, lag_us: u64) {
        let sample = Sample {
            latency_us,
            service_us,
            lag_us,
            error: None,
            tags: &[],
            drain_timeout: false,
        };
        self.shards.with(|s| s.record((window, 0), window, &sample));
    }

    /// Record one named-request sample exactly as
    /// [`RequestTimer::finish`](crate::RequestTimer::finish) does.
    pub fn record_request(&self, window: u64, name: &'static str, latency_us: u64) {
        self.shards.with(|s| {
            s.tally((window, 0))
                .record_request(Cow::Borrowed(name), latency_us, None);
        });
    }

    /// Take everything recorded (what the aggregator does once per tick);
    /// returns the number of samples taken.
    pub fn drain(&self) -> u64 {
        self.shards
            .drain()
            .tallies
            .iter()
            .map(|(_, a)| a.completed)
            .sum()
    }
}
