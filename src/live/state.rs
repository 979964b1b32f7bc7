//! What the live exporters serve: cumulative series fed by the sink calls,
//! read by the encoders (Prometheus, OTLP).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use spike_core::recorded::Recorded;
use spike_core::sink::RunInfo;
use spike_core::Model;
use spike_core::Progress;

use super::expo::Expo;

/// Series of iterations: (scenario, phase).
pub(crate) type PhaseKey = (String, String);
/// Series of a named request: (scenario, phase, request).
pub(crate) type RequestKey = (String, String, String);

/// The iterations of one (scenario, phase), since the process started.
#[derive(Debug, Clone, Default)]
pub(crate) struct PhaseSeries {
    pub(crate) completed: u64,
    pub(crate) errors_by_class: BTreeMap<String, u64>,
    pub(crate) latency: Expo,
    pub(crate) schedule_lag: Expo,
}

/// One named request of one (scenario, phase).
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestSeries {
    pub(crate) count: u64,
    pub(crate) errors_by_class: BTreeMap<String, u64>,
    pub(crate) latency: Expo,
}

/// Gauges of one scenario: the last progress tick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Gauges {
    pub(crate) model: Model,
    pub(crate) target: f64,
    pub(crate) in_flight: u64,
}

/// Everything exported, as of now.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    pub(crate) phases: BTreeMap<PhaseKey, PhaseSeries>,
    pub(crate) requests: BTreeMap<RequestKey, RequestSeries>,
    pub(crate) gauges: BTreeMap<String, Gauges>,
    /// When the first value arrived (OTLP's start time of cumulative points).
    pub(crate) since: Option<SystemTime>,
}

/// The shared, locked series.
#[derive(Debug, Default)]
pub(crate) struct Live(Mutex<Snapshot>);

impl Live {
    fn with<R>(&self, f: impl FnOnce(&mut Snapshot) -> R) -> R {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.since.get_or_insert_with(SystemTime::now);
        f(&mut held)
    }

    /// A copy of every series (taken under the lock, encoded outside it).
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A run starts: its gauges exist from now on (at zero).
    pub(crate) fn started(&self, run: &RunInfo) {
        self.with(|s| {
            s.gauges.insert(
                run.scenario.clone(),
                Gauges {
                    model: run.model,
                    target: 0.0,
                    in_flight: 0,
                },
            );
        });
    }

    /// A progress tick: the gauges.
    pub(crate) fn progress(&self, run: &RunInfo, p: &Progress) {
        self.with(|s| {
            s.gauges.insert(
                run.scenario.clone(),
                Gauges {
                    model: run.model,
                    target: p.target,
                    in_flight: p.in_flight,
                },
            );
        });
    }

    /// A run ended: nothing is in flight or planned any more.
    pub(crate) fn finished(&self, run: &RunInfo) {
        self.with(|s| {
            if let Some(g) = s.gauges.get_mut(&run.scenario) {
                g.target = 0.0;
                g.in_flight = 0;
            }
        });
    }

    /// A batch the run's totals took in: counts and histograms.
    pub(crate) fn recorded(&self, run: &RunInfo, batch: &Recorded<'_>) {
        self.with(|s| {
            let key = (run.scenario.clone(), batch.phase.to_owned());
            let series = s.phases.entry(key).or_default();
            series.completed += batch.completed;
            add_classes(&mut series.errors_by_class, batch.errors_by_class);
            if let Some(h) = batch.latency {
                series.latency.add_micros(h);
            }
            if let Some(h) = batch.schedule_lag {
                series.schedule_lag.add_micros(h);
            }
            for r in &batch.requests {
                let key = (
                    run.scenario.clone(),
                    batch.phase.to_owned(),
                    r.name.to_owned(),
                );
                let series = s.requests.entry(key).or_default();
                series.count += r.count;
                add_classes(&mut series.errors_by_class, r.errors_by_class);
                series.latency.add_micros(r.latency);
            }
        });
    }
}

fn add_classes(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (class, n) in from {
        *into.entry(class.clone()).or_insert(0) += n;
    }
}
