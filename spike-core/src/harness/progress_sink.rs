//! Live progress as a sink: a status line (or a plain line every few
//! seconds) per run, in the mode `SPIKE_PROGRESS` asks for.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use crate::engine::Progress;
use crate::error::SpikeError;
use crate::progress::{LiveProgress, ProgressMode};
use crate::report::Report;
use crate::sink::{RunInfo, Sink};

/// One [`LiveProgress`] per running scenario.
#[derive(Debug)]
pub(crate) struct ProgressSink {
    live: Mutex<HashMap<u64, LiveProgress>>,
}

impl ProgressSink {
    pub(crate) fn new() -> Self {
        ProgressSink {
            live: Mutex::default(),
        }
    }
}

impl Sink for ProgressSink {
    fn run_started(&self, run: &RunInfo) -> Result<(), SpikeError> {
        // A bad SPIKE_PROGRESS / SPIKE_PROGRESS_INTERVAL refuses the run
        // before any traffic rather than being ignored.
        let mode = ProgressMode::try_from_env()?;
        if mode != ProgressMode::Off {
            self.live
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(run.id, LiveProgress::new(&run.scenario, run.model, mode));
        }
        Ok(())
    }

    fn progress(&self, run: &RunInfo, progress: &Progress) {
        if let Some(live) = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&run.id)
        {
            live.observe(progress);
        }
    }

    fn run_finished(&self, run: &RunInfo, _report: &Report) {
        // Dropping it clears the bar or prints the closing line.
        let live = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&run.id);
        drop(live);
    }
}
