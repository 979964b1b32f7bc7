//! What an accumulator keeps per named request (see `request`).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::recording::histogram::new_latency_histogram;
use crate::recording::outcome::IterError;

/// What one accumulator holds for one request name.
#[derive(Debug, Clone)]
pub(crate) struct RequestTally {
    pub(crate) count: u64,
    pub(crate) errors: u64,
    pub(crate) errors_by_class: BTreeMap<String, u64>,
    /// Latency in µs, configured as the iteration latency histogram.
    pub(crate) latency: Histogram<u64>,
}

impl RequestTally {
    pub(crate) fn new() -> Self {
        RequestTally {
            count: 0,
            errors: 0,
            errors_by_class: BTreeMap::new(),
            latency: new_latency_histogram(),
        }
    }

    pub(crate) fn record(&mut self, latency_us: u64, error: Option<&IterError>) {
        self.count += 1;
        self.latency.saturating_record(latency_us);
        if let Some(err) = error {
            self.errors += 1;
            let key = err.class().key();
            match self.errors_by_class.get_mut(key.as_ref()) {
                Some(n) => *n += 1,
                None => {
                    self.errors_by_class.insert(key.into_owned(), 1);
                }
            }
        }
    }

    pub(crate) fn merge(&mut self, other: &RequestTally) {
        self.count += other.count;
        self.errors += other.errors;
        for (k, v) in &other.errors_by_class {
            *self.errors_by_class.entry(k.clone()).or_insert(0) += v;
        }
        // Same bounds on both sides: `add` cannot fail.
        let _ = self.latency.add(&other.latency);
    }
}
