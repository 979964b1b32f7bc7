//! The exporters `#[spike_test]` installs when the environment asks for
//! them: `SPIKE_PROMETHEUS`, `SPIKE_PROMETHEUS_LINGER`,
//! `SPIKE_OTLP_ENDPOINT`, `SPIKE_OTLP_INTERVAL`.
//!
//! The variables are read when a run starts; a bad value refuses it with
//! [`SpikeError::BadEnv`] before any traffic. One endpoint (or exporter) per
//! value serves every test of the process: tests that run side by side
//! share it, their series told apart by the `scenario` label.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use spike_core::recorded::Recorded;
use spike_core::sink::{RunInfo, Sink, Sinks};
use spike_core::{Progress, Report, SpikeError};

/// Prometheus endpoint address (loopback; port 0 for a free one).
pub const PROMETHEUS_VAR: &str = "SPIKE_PROMETHEUS";
/// Seconds to wait after a run for the final scrape.
pub const PROMETHEUS_LINGER_VAR: &str = "SPIKE_PROMETHEUS_LINGER";
/// OTLP/HTTP collector base URL.
pub const OTLP_ENDPOINT_VAR: &str = "SPIKE_OTLP_ENDPOINT";
/// Seconds between OTLP pushes.
pub const OTLP_INTERVAL_VAR: &str = "SPIKE_OTLP_INTERVAL";

/// Longest linger or interval accepted, seconds.
const MAX_SECONDS: f64 = 3600.0;

/// `value` of `var` as seconds in `[0, MAX_SECONDS]` (`min_exclusive`:
/// above zero).
pub(crate) fn seconds(
    var: &'static str,
    value: &str,
    above_zero: bool,
) -> Result<std::time::Duration, SpikeError> {
    let bad = || SpikeError::BadEnv {
        var,
        value: value.to_owned(),
        expected: if above_zero {
            "a number of seconds above 0 and at most 3600"
        } else {
            "a number of seconds from 0 to 3600"
        },
    };
    let s: f64 = value.trim().parse().map_err(|_| bad())?;
    if !s.is_finite() || !(0.0..=MAX_SECONDS).contains(&s) || (above_zero && s == 0.0) {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs_f64(s))
}

fn read(var: &'static str) -> Result<Option<String>, SpikeError> {
    match std::env::var(var) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(raw)) => Err(SpikeError::BadEnv {
            var,
            value: raw.to_string_lossy().into_owned(),
            expected: "valid UTF-8",
        }),
    }
}

/// The process's exporters, by the variables' values.
type Cache = Mutex<HashMap<String, Arc<dyn Sink>>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// The exporter for `key`, made by `make` the first time.
fn cached(
    key: String,
    make: impl FnOnce() -> Result<Arc<dyn Sink>, SpikeError>,
) -> Result<Arc<dyn Sink>, SpikeError> {
    let mut held = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(sink) = held.get(&key) {
        return Ok(sink.clone());
    }
    let sink = make()?;
    held.insert(key, sink.clone());
    Ok(sink)
}

/// The exporters the environment asks for now (none when no variable is
/// set).
///
/// # Errors
/// [`SpikeError::BadEnv`] naming the variable with a bad value, or an
/// address that cannot be listened on.
pub fn from_env() -> Result<Sinks, SpikeError> {
    let mut sinks = Sinks::default();
    #[cfg(feature = "prometheus")]
    if let Some(addr) = read(PROMETHEUS_VAR)? {
        let linger = match read(PROMETHEUS_LINGER_VAR)? {
            Some(v) => seconds(PROMETHEUS_LINGER_VAR, &v, false)?,
            None => super::DEFAULT_LINGER,
        };
        let key = format!("prometheus {addr} {linger:?}");
        sinks.push(cached(key, || {
            let refused = |expected| SpikeError::BadEnv {
                var: PROMETHEUS_VAR,
                value: addr.clone(),
                expected,
            };
            let parsed: std::net::SocketAddr = addr
                .trim()
                .parse()
                .map_err(|_| refused("an address and port such as 127.0.0.1:9464"))?;
            let endpoint = super::Prometheus::bind(parsed).map_err(|e| {
                refused(match e {
                    super::LiveError::NotLoopback { .. } => "a loopback address (127.0.0.1 or ::1)",
                    _ => "an address spike can listen on (this one is in use or not permitted)",
                })
            })?;
            spike_core::notice::notice(&format!(
                "live metrics: Prometheus endpoint at http://{}/metrics",
                endpoint.local_addr()
            ));
            Ok(Arc::new(endpoint.linger(linger)) as Arc<dyn Sink>)
        })?);
    }
    #[cfg(feature = "otlp")]
    if let Some(url) = read(OTLP_ENDPOINT_VAR)? {
        let interval = match read(OTLP_INTERVAL_VAR)? {
            Some(v) => seconds(OTLP_INTERVAL_VAR, &v, true)?,
            None => super::DEFAULT_INTERVAL,
        };
        let key = format!("otlp {url} {interval:?}");
        sinks.push(cached(key, || {
            let exporter = super::Otlp::new(&url).map_err(|e| SpikeError::BadEnv {
                var: OTLP_ENDPOINT_VAR,
                value: spike_core::redact::redact_url(&url),
                expected: match e {
                    super::LiveError::BadEndpoint { reason, .. } => reason,
                    _ => "an http:// URL of an OTLP/HTTP collector",
                },
            })?;
            Ok(Arc::new(exporter.interval(interval)) as Arc<dyn Sink>)
        })?);
    }
    Ok(sinks)
}

/// The sink `#[spike_test]` installs: resolves the environment when a run
/// starts (refusing it on a bad value) and feeds the exporters it names.
#[derive(Debug, Default)]
pub struct EnvSinks(Mutex<Option<Sinks>>);

impl EnvSinks {
    fn resolved(&self) -> Option<Sinks> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Sink for EnvSinks {
    fn run_started(&self, run: &RunInfo) -> Result<(), SpikeError> {
        let sinks = from_env()?;
        sinks.run_started(run)?;
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(sinks);
        Ok(())
    }

    fn progress(&self, run: &RunInfo, progress: &Progress) {
        if let Some(s) = self.resolved() {
            s.progress(run, progress);
        }
    }

    fn recorded(&self, run: &RunInfo, batch: &Recorded<'_>) {
        if let Some(s) = self.resolved() {
            s.recorded(run, batch);
        }
    }

    fn run_finished(&self, run: &RunInfo, report: &Report) {
        if let Some(s) = self.resolved() {
            s.run_finished(run, report);
        }
    }
}

/// Have `#[spike_test]` install an [`EnvSinks`] around every test of the
/// process (what the macro's expansion does through `spike::__private`;
/// calling it again does nothing).
pub fn register_env_sinks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        spike_core::installed::add_test_sinks(|| Arc::new(EnvSinks::default()));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_checked() {
        let ok = |v, above| seconds("LINGER_TEST", v, above).ok();
        assert_eq!(ok("0", false), Some(std::time::Duration::ZERO));
        assert_eq!(
            ok("1.5", true),
            Some(std::time::Duration::from_millis(1500))
        );
        assert_eq!(
            ok(" 3600 ", true),
            Some(std::time::Duration::from_secs(3600))
        );
        for bad in ["", "-1", "NaN", "inf", "3600.5", "5s", "1e400"] {
            assert!(ok(bad, false).is_none(), "{bad}");
        }
        assert!(ok("0", true).is_none());
        let err = seconds("LINGER_TEST", "soon", true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("LINGER_TEST") && err.contains("above 0"),
            "{err}"
        );
    }
}
