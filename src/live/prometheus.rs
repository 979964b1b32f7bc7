//! The Prometheus pull endpoint as a sink.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use spike_core::recorded::Recorded;
use spike_core::sink::{RunInfo, Sink};
use spike_core::{Progress, Report, SpikeError};

use super::serve::{start, Scrapes, Server};
use super::state::Live;
use super::LiveError;

/// How long [`Prometheus`] waits by default, after a run ended, for a
/// scrape that sees its last values (only when something scraped the
/// endpoint before: a scraper is watching).
pub const DEFAULT_LINGER: Duration = Duration::from_secs(15);

/// A Prometheus endpoint on loopback serving every run it is a sink of:
/// `GET /metrics` in the protobuf exposition format (native histograms)
/// when the scraper asks for it, in the text format otherwise.
///
/// Series are cumulative over the endpoint's life (counters never go
/// back), labelled by scenario and phase (and request for named
/// requests); see the guide's chapter 21 for the metric names. The server
/// runs on a thread of its own until the value (every clone of the `Arc`
/// holding it) is dropped.
///
/// ```
/// use std::sync::Arc;
/// use spike::live::Prometheus;
/// use spike::prelude::*;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let endpoint = Arc::new(Prometheus::bind("127.0.0.1:0".parse().unwrap())?);
/// println!("scrape http://{}/metrics", endpoint.local_addr());
/// let shape = Shape::builder().hold(rps(100), ms(300)).build()?;
/// let report = Scenario::new("checkout")
///     .shape(shape)
///     .sink(endpoint.clone())
///     .run(|_ctx: Ctx| async {})
///     .await?;
/// assert_eq!(report.total.completed, 30);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Prometheus {
    live: Arc<Live>,
    scrapes: Arc<Scrapes>,
    server: Server,
    linger: Duration,
}

impl Prometheus {
    /// Listen on `addr` (a loopback address; port 0 picks a free port, see
    /// [`Prometheus::local_addr`]) and serve from now on.
    ///
    /// # Errors
    /// [`LiveError::NotLoopback`] for any other address;
    /// [`LiveError::Bind`] when it cannot be listened on (in use).
    pub fn bind(addr: SocketAddr) -> Result<Prometheus, LiveError> {
        if !addr.ip().is_loopback() {
            return Err(LiveError::NotLoopback { addr });
        }
        let bind = |source| LiveError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
        let live = Arc::new(Live::default());
        let scrapes = Arc::new(Scrapes::default());
        let server = start(listener, live.clone(), scrapes.clone()).map_err(bind)?;
        Ok(Prometheus {
            live,
            scrapes,
            server,
            linger: DEFAULT_LINGER,
        })
    }

    /// The address served (the port chosen when 0 was asked for).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// After a run ended, wait at most `max` for a scrape that sees its
    /// last values (default [`DEFAULT_LINGER`]; zero: do not wait). The
    /// wait happens only when the endpoint was scraped before, and ends at
    /// the first scrape after the run's end.
    #[must_use]
    pub fn linger(mut self, max: Duration) -> Self {
        self.linger = max;
        self
    }

    /// Scrapes of `/metrics` served so far.
    #[must_use]
    pub fn scrapes(&self) -> u64 {
        self.scrapes.count()
    }
}

impl Sink for Prometheus {
    fn run_started(&self, run: &RunInfo) -> Result<(), SpikeError> {
        self.live.started(run);
        Ok(())
    }

    fn progress(&self, run: &RunInfo, progress: &Progress) {
        self.live.progress(run, progress);
    }

    fn recorded(&self, run: &RunInfo, batch: &Recorded<'_>) {
        self.live.recorded(run, batch);
    }

    fn run_finished(&self, run: &RunInfo, _report: &Report) {
        self.live.finished(run);
        let seen = self.scrapes.count();
        if seen > 0 && !self.linger.is_zero() {
            self.scrapes.wait_past(seen, self.linger);
        }
    }
}
