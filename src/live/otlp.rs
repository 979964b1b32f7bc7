//! The OTLP/HTTP push exporter as a sink: `POST {endpoint}/v1/metrics`
//! with a protobuf `ExportMetricsServiceRequest`, every interval while a
//! run goes on and once more when it ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use prost::Message as _;
use spike_core::recorded::Recorded;
use spike_core::sink::{RunInfo, Sink};
use spike_core::{Progress, Report, SpikeError};

use super::families::families;
use super::otlp_encode::request;
use super::state::Live;
use super::LiveError;

/// Default time between pushes while a run goes on.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How long one push may take (connect, send, answer).
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// A push the pusher thread is asked for; it answers on the sender once
/// the collector answered (or the push failed).
type Flush = mpsc::SyncSender<()>;

/// Pushes every run it is a sink of to an OTLP/HTTP collector, protobuf
/// encoded: counters as cumulative monotonic sums, gauges, latency and
/// schedule lag as cumulative exponential histograms at scale 8.
///
/// Pushes happen on a thread of its own, every
/// [interval](Otlp::interval) while a run goes on, and once when each run
/// ends (the run returns after that final push was answered, or after 5 s).
///
/// ```
/// use std::sync::Arc;
/// use spike::live::Otlp;
/// use spike::prelude::*;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// // No collector listens there: pushes fail with a notice, the run goes on.
/// let exporter = Arc::new(Otlp::new("http://127.0.0.1:9")?.interval(secs(1)));
/// let shape = Shape::builder().hold(rps(100), ms(300)).build()?;
/// let report = Scenario::new("checkout")
///     .shape(shape)
///     .sink(exporter.clone())
///     .run(|_ctx: Ctx| async {})
///     .await?;
/// assert_eq!(report.total.completed, 30);
/// assert_eq!(exporter.pushes(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct Otlp {
    live: Arc<Live>,
    url: hyper::Uri,
    interval: Duration,
    pushed: Arc<AtomicU64>,
    flush: std::sync::Mutex<Option<mpsc::Sender<Flush>>>,
}

impl Otlp {
    /// An exporter to the collector at `endpoint`, an `http://` base URL
    /// (`/v1/metrics` is appended unless the path already ends with it).
    ///
    /// # Errors
    /// [`LiveError::BadEndpoint`] when it is not an `http://` URL with a
    /// host, or carries credentials (they would travel in clear).
    pub fn new(endpoint: &str) -> Result<Otlp, LiveError> {
        let bad = |reason| LiveError::BadEndpoint {
            url: spike_core::redact::redact_url(endpoint),
            reason,
        };
        let parsed = url::Url::parse(endpoint.trim())
            .map_err(|_| bad("an http:// URL of an OTLP/HTTP collector"))?;
        if parsed.scheme() != "http" {
            return Err(bad("an http:// URL (OTLP/HTTP without TLS)"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad(
                "a URL without credentials (they would be sent in clear)",
            ));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("a URL with a host"));
        }
        let mut full = parsed;
        if !full.path().ends_with("/v1/metrics") {
            let base = full.path().trim_end_matches('/').to_owned();
            full.set_path(&format!("{base}/v1/metrics"));
        }
        let url: hyper::Uri = full
            .as_str()
            .parse()
            .map_err(|_| bad("an http:// URL of an OTLP/HTTP collector"))?;
        Ok(Otlp {
            live: Arc::default(),
            url,
            interval: DEFAULT_INTERVAL,
            pushed: Arc::default(),
            flush: std::sync::Mutex::new(None),
        })
    }

    /// Push every `interval` while a run goes on (default
    /// [`DEFAULT_INTERVAL`]; at least 100 ms).
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(100));
        self
    }

    /// Pushes the collector accepted (a 2xx answer) so far.
    #[must_use]
    pub fn pushes(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }

    /// The pusher thread's command channel, started on first use.
    fn pusher(&self) -> Option<mpsc::Sender<Flush>> {
        let mut held = self
            .flush
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.is_none() {
            let (tx, rx) = mpsc::channel::<Flush>();
            let job = Pusher {
                live: self.live.clone(),
                url: self.url.clone(),
                interval: self.interval,
                pushed: self.pushed.clone(),
                failed: false,
            };
            let started = std::thread::Builder::new()
                .name("spike-otlp".into())
                .spawn(move || job.run(&rx));
            if started.is_ok() {
                *held = Some(tx);
            }
        }
        held.clone()
    }
}

/// The pusher thread's state.
struct Pusher {
    live: Arc<Live>,
    url: hyper::Uri,
    interval: Duration,
    pushed: Arc<AtomicU64>,
    /// Whether the last push failed (one notice per failing streak).
    failed: bool,
}

impl Pusher {
    fn run(mut self, commands: &mpsc::Receiver<Flush>) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        loop {
            match commands.recv_timeout(self.interval) {
                Ok(done) => {
                    runtime.block_on(self.push());
                    let _ = done.send(());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => runtime.block_on(self.push()),
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    async fn push(&mut self) {
        let snap = self.live.snapshot();
        let Some(since) = snap.since else { return };
        let body = request(&families(&snap), since, SystemTime::now()).encode_to_vec();
        let outcome = tokio::time::timeout(PUSH_TIMEOUT, send(&self.url, body)).await;
        match outcome {
            Ok(Ok(())) => {
                self.pushed.fetch_add(1, Ordering::Relaxed);
                self.failed = false;
            }
            Ok(Err(reason)) => self.fail(&reason),
            Err(_) => self.fail("no answer in 5 s"),
        }
    }

    fn fail(&mut self, reason: &str) {
        if !self.failed {
            spike_core::notice::notice(&format!(
                "live metrics: OTLP push to {} failed: {}",
                spike_core::redact::redact_url(&self.url.to_string()),
                spike_core::redact::redact(reason)
            ));
        }
        self.failed = true;
    }
}

/// POST `body` to `url`; `Err` names why it was not accepted.
async fn send(url: &hyper::Uri, body: Vec<u8>) -> Result<(), String> {
    let host = url.host().unwrap_or("127.0.0.1").trim_matches(['[', ']']);
    let port = url.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let authority = url
        .authority()
        .map_or_else(String::new, ToString::to_string);
    let req = Request::builder()
        .method(Method::POST)
        .uri(url.path())
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/x-protobuf")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let answer = sender.send_request(req).await.map_err(|e| e.to_string());
    conn.abort();
    let status = answer?.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the collector answered {status}"))
    }
}

impl Sink for Otlp {
    fn run_started(&self, run: &RunInfo) -> Result<(), SpikeError> {
        self.live.started(run);
        // The pusher starts with the first run.
        let _ = self.pusher();
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
        if let Some(pusher) = self.pusher() {
            let (done, answered) = mpsc::sync_channel(1);
            if pusher.send(done).is_ok() {
                // The push has its own 5 s limit; this bound is a backstop.
                let _ = answered.recv_timeout(PUSH_TIMEOUT + Duration::from_secs(1));
            }
        }
    }
}
