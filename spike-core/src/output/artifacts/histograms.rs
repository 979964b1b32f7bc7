//! `histograms.hlog`: every histogram of a run besides the iterations'
//! latency (which is `latency.hlog`), one per (window, phase) and kind
//! ([`DetailHistogram`]), in the same HdrHistogram interval-log format, so
//! that the outputs of shards merge exactly ([`crate::merge`]).
//!
//! Each interval's tag says what it holds, as `;`-separated `key=value`
//! pairs, the values percent-encoded as in
//! [`request_tag`](super::request_tag):
//!
//! | tag | histogram |
//! |---|---|
//! | `kind=service;window=<i>;phase=<phase>` | service time |
//! | `kind=lag;window=<i>;phase=<phase>` | schedule lag |
//! | `kind=request;window=<i>;phase=<phase>;name=<name>` | a named request's latency |
//! | `kind=metric;window=<i>;phase=<phase>;name=<name>` | a `ctx.record` metric (2 significant digits) |
//! | `kind=tag;window=<i>;phase=<phase>;key=<key>;value=<value>` | the latency of one tag value (2 significant digits) |
//!
//! Values are microseconds; timestamps are seconds since the run start
//! (`BaseTime`), as in `latency.hlog`. Every run writes it (a run does not
//! know whether it will be merged, and the file costs what `latency.hlog`
//! costs); HdrHistogram's own tools read it, selecting intervals by tag.
//!
//! ```
//! # use spike_core::{rps, ms, Ctx, Scenario, Shape};
//! use spike_core::artifacts::{histograms_hlog_bytes, parse_histograms_hlog};
//! use spike_core::HistogramKind;
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! # let shape = Shape::builder().hold(rps(100), ms(300)).build()?;
//! let report = Scenario::new("histograms-doc").shape(shape).window(ms(100))
//!     .run(|ctx: Ctx| async move { ctx.record("db.wait", ms(1)) }).await?;
//! let read = parse_histograms_hlog(&histograms_hlog_bytes(&report).unwrap()).unwrap();
//! assert_eq!(read.len(), report.detail_histograms.len());
//! assert!(read.iter().any(|h| h.kind == HistogramKind::Metric("db.wait".into())));
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::path::{Path, PathBuf};

use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry, LogIteratorError};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use super::hlog::{interval_log_bytes, HlogError};
use super::hlog_tags::{decode, encode_into};
use crate::report::{DetailHistogram, HistogramKind, Report};

/// The file name.
pub const HISTOGRAMS_HLOG: &str = "histograms.hlog";

/// The tag of one [`DetailHistogram`] (see the module docs).
#[must_use]
pub fn detail_tag(h: &DetailHistogram) -> String {
    let enc = |s: &str| {
        let mut out = String::with_capacity(s.len());
        encode_into(&mut out, s);
        out
    };
    let (kind, rest) = match &h.kind {
        HistogramKind::Service => ("service", String::new()),
        HistogramKind::Lag => ("lag", String::new()),
        HistogramKind::Request(name) => ("request", format!(";name={}", enc(name))),
        HistogramKind::Metric(name) => ("metric", format!(";name={}", enc(name))),
        HistogramKind::Tag { key, value } => {
            ("tag", format!(";key={};value={}", enc(key), enc(value)))
        }
    };
    format!(
        "kind={kind};window={};phase={}{rest}",
        h.window,
        enc(&h.phase)
    )
}

/// The window, phase and kind a [`detail_tag`] holds; `None` for any other
/// tag.
fn parse_tag(tag: &str) -> Option<(u64, String, HistogramKind)> {
    let mut fields = std::collections::BTreeMap::new();
    for part in tag.split(';') {
        let (k, v) = part.split_once('=')?;
        fields.insert(k, decode(v));
    }
    let window = fields.get("window")?.parse().ok()?;
    let phase = fields.get("phase")?.clone();
    let name = || fields.get("name").cloned();
    let kind = match fields.get("kind")?.as_str() {
        "service" => HistogramKind::Service,
        "lag" => HistogramKind::Lag,
        "request" => HistogramKind::Request(name()?),
        "metric" => HistogramKind::Metric(name()?),
        "tag" => HistogramKind::Tag {
            key: fields.get("key")?.clone(),
            value: fields.get("value")?.clone(),
        },
        _ => return None,
    };
    Some((window, phase, kind))
}

/// `histograms.hlog` of a report, as bytes (see the module docs).
///
/// # Errors
/// [`HlogError`] when a stored histogram does not decode or cannot be
/// re-encoded.
pub fn histograms_hlog_bytes(report: &Report) -> Result<Vec<u8>, HlogError> {
    let legend = format!(
        "[spike histograms: scenario `{}`, values in microseconds, one histogram per {} window, phase and kind, tagged kind=<kind>;window=<index>;phase=<phase>[;name=<name>|;key=<key>;value=<value>]]",
        report.scenario,
        crate::fmt::duration(report.window),
    );
    let intervals = report
        .detail_histograms
        .iter()
        .map(|h| (h.start, h.end, detail_tag(h), h.encoded.as_slice()));
    interval_log_bytes(report, &legend, intervals)
}

/// Write `histograms.hlog` into `dir` atomically; returns the path.
///
/// # Errors
/// I/O errors, or [`HlogError`] as for [`histograms_hlog_bytes`].
pub fn write_histograms_hlog(report: &Report, dir: &Path) -> Result<PathBuf, HlogError> {
    let bytes = histograms_hlog_bytes(report)?;
    Ok(crate::report::write_atomic(dir, HISTOGRAMS_HLOG, &bytes)?)
}

/// Read the histograms back from the bytes of a `histograms.hlog`, in file
/// order. `start` and `end` are the interval's timestamps as the log
/// writes them (to the millisecond); `window` is exact.
///
/// # Errors
/// [`HlogError`] naming the first line or interval that is not valid; an
/// interval whose tag is not a [`detail_tag`] is [`HlogError::Tag`].
pub fn parse_histograms_hlog(bytes: &[u8]) -> Result<Vec<DetailHistogram>, HlogError> {
    use base64::Engine as _;
    let mut out = Vec::new();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(bytes) {
        let entry = entry.map_err(|e| match e {
            LogIteratorError::ParseError { offset } => HlogError::Parse { offset },
        })?;
        let LogEntry::Interval(i) = entry else {
            continue;
        };
        let start = i.start_timestamp();
        let tag = i.tag().map(|t| t.as_str().to_owned()).unwrap_or_default();
        let (window, phase, kind) = parse_tag(&tag).ok_or(HlogError::Tag { tag, start })?;
        let encoded = base64::engine::general_purpose::STANDARD
            .decode(i.encoded_histogram())
            .map_err(|_| HlogError::Base64 { start })?;
        let _: Histogram<u64> = deserializer
            .deserialize(&mut encoded.as_slice())
            .map_err(|e| HlogError::Decode {
                start,
                reason: format!("{e:?}"),
            })?;
        out.push(DetailHistogram {
            window,
            start,
            end: start.saturating_add(i.duration()),
            phase,
            kind,
            encoded,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn tags_read_back_exactly() {
        let kinds = [
            HistogramKind::Service,
            HistogramKind::Lag,
            HistogramKind::Request("GET /a,b; c=d%".into()),
            HistogramKind::Metric("pg.pool wait".into()),
            HistogramKind::Tag {
                key: "k;=".into(),
                value: "v, 1".into(),
            },
        ];
        for kind in kinds {
            let h = DetailHistogram {
                window: 7,
                start: Duration::ZERO,
                end: Duration::ZERO,
                phase: "burst, 2;x".into(),
                kind: kind.clone(),
                encoded: Vec::new(),
            };
            let tag = detail_tag(&h);
            assert!(!tag.contains([',', ' ']), "{tag}");
            assert_eq!(parse_tag(&tag), Some((7, "burst, 2;x".to_owned(), kind)));
        }
        assert_eq!(parse_tag("burst"), None);
        assert_eq!(parse_tag("kind=nope;window=1;phase=a"), None);
    }

    proptest::proptest! {
        /// Any bytes: an error or histograms, never a panic.
        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_histograms_hlog(&bytes);
        }

        /// Any tag text: parsed or refused, never a panic; what parses
        /// writes back to a tag that parses the same.
        #[test]
        fn any_tag_parses_without_panic(tag in "[a-z=;%0-9A-F ,]{0,60}") {
            if let Some((window, phase, kind)) = parse_tag(&tag) {
                let h = DetailHistogram {
                    window,
                    start: Duration::ZERO,
                    end: Duration::ZERO,
                    phase: phase.clone(),
                    kind: kind.clone(),
                    encoded: Vec::new(),
                };
                proptest::prop_assert_eq!(parse_tag(&detail_tag(&h)), Some((window, phase, kind)));
            }
        }
    }
}
