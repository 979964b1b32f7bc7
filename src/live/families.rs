//! The exported metrics, format-neutral: every family is defined here once
//! and the encoders (Prometheus protobuf and text, OTLP) walk the list.

use spike_core::Model;

use super::expo::Expo;
use super::state::Snapshot;

/// What kind of metric a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Monotonic, cumulative since the process started.
    Counter,
    /// A level now.
    Gauge,
    /// An exponential histogram, cumulative.
    Histogram,
}

/// One series' value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// A counter or gauge.
    Number(f64),
    /// A histogram.
    Histogram(Expo),
}

/// Labels of one series, in a fixed order.
pub(crate) type Labels = Vec<(&'static str, String)>;

/// A metric family: name, help, kind and its series.
#[derive(Debug, Clone)]
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) kind: Kind,
    /// The unit OTLP names (UCUM).
    #[cfg_attr(not(feature = "otlp"), allow(dead_code))]
    pub(crate) unit: &'static str,
    pub(crate) series: Vec<(Labels, Value)>,
}

impl Family {
    fn new(name: &'static str, kind: Kind, unit: &'static str, help: &'static str) -> Self {
        Family {
            name,
            help,
            kind,
            unit,
            series: Vec::new(),
        }
    }
}

/// Iteration latency (corrected for coordinated omission).
pub const ITERATION_LATENCY: &str = "spike_iteration_latency_seconds";
/// Schedule lag of iterations.
pub const SCHEDULE_LAG: &str = "spike_schedule_lag_seconds";
/// Completed iterations.
pub const ITERATIONS: &str = "spike_iterations_total";
/// Failed iterations, by class.
pub const ITERATION_ERRORS: &str = "spike_iteration_errors_total";
/// Named-request latency.
pub const REQUEST_LATENCY: &str = "spike_request_latency_seconds";
/// Named requests made.
pub const REQUESTS: &str = "spike_requests_total";
/// Failed named requests, by class.
pub const REQUEST_ERRORS: &str = "spike_request_errors_total";
/// Planned arrival rate (open model).
pub const TARGET_RATE: &str = "spike_target_rate";
/// Planned users (closed model).
pub const TARGET_USERS: &str = "spike_target_users";
/// Iterations in flight.
pub const IN_FLIGHT: &str = "spike_in_flight";

fn phase_labels(scenario: &str, phase: &str) -> Labels {
    vec![
        ("scenario", scenario.to_owned()),
        ("phase", phase.to_owned()),
    ]
}

fn with(mut labels: Labels, name: &'static str, value: &str) -> Labels {
    labels.push((name, value.to_owned()));
    labels
}

/// Every family of `snap`, in a fixed order (empty families left out).
pub(crate) fn families(snap: &Snapshot) -> Vec<Family> {
    use Kind::{Counter, Gauge, Histogram};
    let mut latency = Family::new(
        ITERATION_LATENCY,
        Histogram,
        "s",
        "Iteration latency from the intended start (corrected for coordinated omission).",
    );
    let mut lag = Family::new(
        SCHEDULE_LAG,
        Histogram,
        "s",
        "How late iterations started after their intended start.",
    );
    let mut iterations = Family::new(ITERATIONS, Counter, "1", "Iterations that finished.");
    let mut errors = Family::new(
        ITERATION_ERRORS,
        Counter,
        "1",
        "Iterations that failed, by error class.",
    );
    for ((scenario, phase), s) in &snap.phases {
        let labels = phase_labels(scenario, phase);
        latency
            .series
            .push((labels.clone(), Value::Histogram(s.latency.clone())));
        lag.series
            .push((labels.clone(), Value::Histogram(s.schedule_lag.clone())));
        iterations
            .series
            .push((labels.clone(), Value::Number(s.completed as f64)));
        for (class, n) in &s.errors_by_class {
            errors.series.push((
                with(labels.clone(), "class", class),
                Value::Number(*n as f64),
            ));
        }
    }
    let mut req_latency = Family::new(
        REQUEST_LATENCY,
        Histogram,
        "s",
        "Latency of named requests (ctx.request).",
    );
    let mut requests = Family::new(REQUESTS, Counter, "1", "Named requests made.");
    let mut req_errors = Family::new(
        REQUEST_ERRORS,
        Counter,
        "1",
        "Named requests that failed, by error class.",
    );
    for ((scenario, phase, request), s) in &snap.requests {
        let labels = with(phase_labels(scenario, phase), "request", request);
        req_latency
            .series
            .push((labels.clone(), Value::Histogram(s.latency.clone())));
        requests
            .series
            .push((labels.clone(), Value::Number(s.count as f64)));
        for (class, n) in &s.errors_by_class {
            req_errors.series.push((
                with(labels.clone(), "class", class),
                Value::Number(*n as f64),
            ));
        }
    }
    let mut rate = Family::new(
        TARGET_RATE,
        Gauge,
        "1/s",
        "Planned arrival rate now, iterations per second (open model).",
    );
    let mut users = Family::new(
        TARGET_USERS,
        Gauge,
        "1",
        "Planned virtual users now (closed model).",
    );
    let mut in_flight = Family::new(IN_FLIGHT, Gauge, "1", "Iterations in flight now.");
    for (scenario, g) in &snap.gauges {
        let labels = vec![("scenario", scenario.clone())];
        let target = match g.model {
            Model::Open => &mut rate,
            Model::Closed => &mut users,
        };
        target
            .series
            .push((labels.clone(), Value::Number(g.target)));
        in_flight
            .series
            .push((labels, Value::Number(g.in_flight as f64)));
    }
    [
        latency,
        lag,
        iterations,
        errors,
        req_latency,
        requests,
        req_errors,
        rate,
        users,
        in_flight,
    ]
    .into_iter()
    .filter(|f| !f.series.is_empty())
    .collect()
}
