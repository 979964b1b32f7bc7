//! Health probes: wait until a target answers healthy before a run, and
//! check it again after the recovery; the result goes into the report.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, HOST};
use hyper::Request;
use spike_core::{Check, IterError, Report};

use super::status::StatusSet;
use super::target::Target;
use super::{Http, HttpError};

/// Polls one URL until it answers with an expected status (default any
/// 2xx). Made with [`Http::health`]. Probes go over their own HTTP/1.1
/// connection: they are not counted in `http_connections_opened` and do
/// not touch the load's connection pool.
///
/// ```no_run
/// # async fn demo(http: spike::http::Http, mut report: spike::Report) -> Result<(), spike::http::HttpError> {
/// use spike::prelude::*;
/// let probe = http.health("/health").timeout(secs(5));
/// let before = probe.wait_healthy("before run").await?; // Err if never healthy
/// // ... run the scenario into `report` ...
/// let after = probe.wait("after recovery").await;       // never an Err
/// before.record(&mut report);
/// after.record(&mut report);
/// assert!(after.healthy);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct HealthProbe {
    http: Http,
    path: String,
    expect: StatusSet,
    timeout: Duration,
    interval: Duration,
}

/// The result of a probe. [`HealthCheck::record`] adds it to a report's
/// `checks` (check `healthy GET <url>`, scope = the label, e.g. `before
/// run`), so it lands in `report.json` and in failure tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// What the probe was for (`before run`, `after recovery`, ...).
    pub label: String,
    /// The probed URL, redacted: no userinfo, no query.
    pub url: String,
    /// Whether it answered healthy before the timeout.
    pub healthy: bool,
    /// The last status received, if any.
    pub status: Option<u16>,
    /// Probes sent.
    pub attempts: u32,
    /// Time from the first probe to the verdict.
    pub waited: Duration,
    /// The last transport error, if the last probe got no answer.
    pub last_error: Option<String>,
}

impl HealthCheck {
    /// The probe as a report [`Check`].
    #[must_use]
    pub fn to_check(&self, expected: &str) -> Check {
        let actual = match (self.status, &self.last_error) {
            (Some(s), _) => format!(
                "{s} after {:.2}s ({} probes)",
                self.waited.as_secs_f64(),
                self.attempts
            ),
            (None, Some(e)) => format!("no answer ({e}) after {:.2}s", self.waited.as_secs_f64()),
            (None, None) => "not probed".to_owned(),
        };
        Check {
            check: format!("healthy GET {}", self.url),
            scope: self.label.clone(),
            expected: expected.to_owned(),
            actual,
            passed: self.healthy,
        }
    }

    /// Append the probe to `report.checks`.
    pub fn record(&self, report: &mut Report) {
        report.checks.push(self.to_check("healthy answer"));
    }
}

impl HealthProbe {
    pub(crate) fn new(http: Http, path: String) -> Self {
        HealthProbe {
            http,
            path,
            expect: StatusSet::default(),
            timeout: Duration::from_secs(10),
            interval: Duration::from_millis(50),
        }
    }

    /// Healthy statuses (default any 2xx).
    pub fn expect_status(mut self, statuses: impl Into<StatusSet>) -> Self {
        self.expect = statuses.into();
        self
    }

    /// How long to keep probing (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Pause between probes (default 50 ms).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The probed URL, redacted (no userinfo, no query): what reports and
    /// errors show.
    #[must_use]
    pub fn url(&self) -> String {
        spike_core::redact::redact_url(&self.target())
    }

    /// The URL probes are sent to.
    fn target(&self) -> String {
        format!("{}{}", self.http.base_url(), self.path)
    }

    /// Probe until healthy or until the timeout; never fails.
    pub async fn wait(&self, label: impl Into<String>) -> HealthCheck {
        let started = Instant::now();
        let mut check = HealthCheck {
            label: label.into(),
            url: self.url(),
            healthy: false,
            status: None,
            attempts: 0,
            waited: Duration::ZERO,
            last_error: None,
        };
        if !self.path.starts_with('/') {
            // Never sent: a path without `/` could name another host.
            check.last_error = Some(format!(
                "not probed: a health probe path must start with `/`, got `{}`",
                spike_core::redact::redact_url(&self.path)
            ));
            return check;
        }
        loop {
            check.attempts += 1;
            let left = self.timeout.saturating_sub(started.elapsed());
            let probe =
                tokio::time::timeout(left.max(Duration::from_millis(1)), self.probe()).await;
            match probe {
                Ok(Ok(status)) => {
                    check.status = Some(status);
                    check.last_error = None;
                    if self.expect.contains(status) {
                        check.healthy = true;
                    }
                }
                Ok(Err(e)) => {
                    check.status = None;
                    let text = e
                        .message()
                        .map_or_else(|| e.class().key().into_owned(), str::to_owned);
                    check.last_error = Some(spike_core::redact::redact(&text).into_owned());
                }
                Err(_) => {
                    check.status = None;
                    check.last_error = Some(format!("no answer within {left:?}"));
                }
            }
            check.waited = started.elapsed();
            if check.healthy || check.waited.saturating_add(self.interval) > self.timeout {
                return check;
            }
            tokio::time::sleep(self.interval).await;
        }
    }

    /// One probe on a connection of its own (HTTP/1.1, not counted).
    async fn probe(&self) -> Result<u16, IterError> {
        let target = &self.http.inner.pool.target;
        let uri = probe_uri(target, &self.path)?;
        let mut req = Request::new(Full::new(Bytes::new()));
        *req.uri_mut() = uri;
        req.headers_mut().insert(HOST, target.host_header.clone());
        if let Some(auth) = &target.basic_auth {
            req.headers_mut().insert(AUTHORIZATION, auth.clone());
        }
        let sender = target.open(None, true).await?;
        let resp = sender.send_once(req).await?;
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await;
        Ok(status)
    }

    /// Probe until healthy; an error if the timeout passes first.
    ///
    /// # Errors
    /// [`HttpError::Unhealthy`] with the last answer.
    pub async fn wait_healthy(&self, label: impl Into<String>) -> Result<HealthCheck, HttpError> {
        let check = self.wait(label).await;
        if check.healthy {
            return Ok(check);
        }
        Err(HttpError::Unhealthy {
            url: check.url,
            waited: check.waited,
            attempts: check.attempts,
            last: match (check.status, check.last_error) {
                (Some(s), _) => format!("status {s}"),
                (None, Some(e)) => e,
                (None, None) => "none".to_owned(),
            },
        })
    }
}

/// The origin-form target of a probe path (probes speak HTTP/1.1).
fn probe_uri(target: &Target, path: &str) -> Result<hyper::Uri, IterError> {
    super::send::make_uri(target, path.to_owned(), false)
        .map_err(|e| IterError::new("request").with_message(format!("probe path: {e}")))
}
