//! `latency.hlog`: the run's latency as an HdrHistogram interval log, one
//! histogram per (window, phase), tagged with the phase name, then one per
//! named request per window, tagged `request=<name>` ([`request_tag`]), and
//! a reader that rebuilds exact percentiles for any range of windows.
//! The intervals of a window during which faults were active carry them
//! after the tag: `<tag>;fault=<names>` ([`with_faults`], names joined by
//! `+`); the reader splits them off ([`LoggedInterval::faults`]), so
//! selecting by phase or request is unchanged.
//!
//! The file is the standard interval-log format (`#[StartTime: ..]`,
//! `#[BaseTime: ..]`, the `"StartTimestamp",...` legend, then
//! `Tag=<phase>,<start s>,<length s>,<max ms>,<base64 V2+DEFLATE histogram>`
//! lines), so HdrHistogram's own tools read it: values are microseconds
//! (pass `-outputValueUnitRatio 1000` to the Java `HistogramLogProcessor`
//! to print milliseconds); interval timestamps are seconds since the run
//! start (`BaseTime`).
//!
//! ```
//! # use spike_core::{rps, ms, Ctx, Scenario, Shape};
//! use spike_core::artifacts::{hlog_bytes, LatencyLog};
//! # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
//! # let shape = Shape::builder().hold(rps(100), ms(300)).burst(rps(300), ms(200)).build()?;
//! let report = Scenario::new("hlog-doc").shape(shape).window(ms(100))
//!     .run(|_ctx: Ctx| async {}).await?;
//! let log = LatencyLog::parse(&hlog_bytes(&report).unwrap()).unwrap();
//! // Whole run, rebuilt from the windows: the same percentiles the report has.
//! assert_eq!(log.percentiles(.., None).unwrap(), report.total.latency);
//! let burst = log.percentiles(.., Some("burst")).unwrap();
//! assert_eq!(burst, report.phase("burst").unwrap().stats.latency);
//! # Ok::<(), spike_core::SpikeError>(())
//! # }).unwrap();
//! ```

use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

pub use super::hlog_tags::{
    phase_tag, request_tag, with_faults, FAULT_TAG_SEPARATOR, REQUEST_TAG_PREFIX,
};
use super::hlog_tags::{request_of_tag, split_faults};
use crate::recording::histogram::{new_latency_histogram, Percentiles};
use crate::report::Report;

/// Why an interval log could not be written or read. `Debug` prints the
/// `Display` sentence, so `.unwrap()` says what went wrong.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum HlogError {
    /// Reading or writing the file failed.
    #[error("latency.hlog: {0}")]
    Io(#[from] std::io::Error),
    /// A line of the log is not in the interval-log format.
    #[error("latency.hlog is not an interval log: parse error at byte {offset}")]
    Parse {
        /// Byte offset of the bad line.
        offset: usize,
    },
    /// An interval's payload is not valid base64.
    #[error("latency.hlog: interval at {start:?} has an invalid base64 payload")]
    Base64 {
        /// Start of the bad interval.
        start: Duration,
    },
    /// An interval's payload is not a V2 (or V2+DEFLATE) histogram.
    #[error("latency.hlog: interval at {start:?} does not decode: {reason}")]
    Decode {
        /// Start of the bad interval.
        start: Duration,
        /// What the decoder said.
        reason: String,
    },
    /// An interval of `histograms.hlog` has a tag that is not one of its
    /// tags ([`detail_tag`](super::detail_tag)).
    #[error("histograms.hlog: interval at {start:?} has the tag {tag:?}, not kind=..;window=..;phase=..")]
    Tag {
        /// The tag as written.
        tag: String,
        /// Start of the interval.
        start: Duration,
    },
    /// Encoding a histogram failed.
    #[error("latency.hlog: could not encode a histogram: {0}")]
    Encode(String),
}

crate::__debug_as_display!(HlogError);

/// The interval log of a report, as bytes (see the module docs).
///
/// # Errors
/// [`HlogError`] when a stored histogram does not decode (it was not
/// written by this library) or cannot be re-encoded.
pub fn hlog_bytes(report: &Report) -> Result<Vec<u8>, HlogError> {
    let legend = format!(
        "[spike latency log: scenario `{}`, values in microseconds, one histogram per {} window and phase, tagged with the phase, then one per named request and window, tagged request=<name>; a window with active faults adds ;fault=<names> to its tags]",
        report.scenario,
        crate::fmt::duration(report.window),
    );
    let intervals = report.interval_histograms.iter().map(|interval| {
        let tag = match &interval.request {
            Some(name) => request_tag(name),
            None => phase_tag(&interval.phase),
        };
        let tag = match report.windows.get(interval.window as usize) {
            Some(w) if w.index == interval.window => with_faults(&tag, &w.faults),
            _ => tag,
        };
        (
            interval.start,
            interval.end,
            tag,
            interval.encoded.as_slice(),
        )
    });
    interval_log_bytes(report, &legend, intervals)
}

/// An HdrHistogram interval log (format 1.3) of `intervals`, each given as
/// (start, end, tag, V2+DEFLATE histogram), its times from the report's
/// start, with `legend` as the comment that says what the log holds:
/// `latency.hlog` and `histograms.hlog` are both written by it.
pub(super) fn interval_log_bytes<'a>(
    report: &Report,
    legend: &str,
    intervals: impl IntoIterator<Item = (Duration, Duration, String, &'a [u8])>,
) -> Result<Vec<u8>, HlogError> {
    let mut out = Vec::new();
    let started =
        SystemTime::UNIX_EPOCH + Duration::from_millis(report.environment.started_at_unix_ms);
    let mut header = IntervalLogWriterBuilder::new();
    header
        .add_comment("[Histogram log format version 1.3]")
        .add_comment(legend)
        .with_start_time(started)
        .with_base_time(started);
    let mut serializer = V2DeflateSerializer::new();
    // The header and legend first, then the intervals with the max column in
    // milliseconds (the Java tools' convention for a readable max).
    drop(header.begin_log_with(&mut out, &mut serializer)?);
    out.extend_from_slice(
        b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
    );
    let mut writer = IntervalLogWriterBuilder::new()
        .with_max_value_divisor(1000.0)
        .begin_log_with(&mut out, &mut serializer)?;
    let mut deserializer = Deserializer::new();
    for (start, end, tag, encoded) in intervals {
        let h: Histogram<u64> =
            deserializer
                .deserialize(&mut &*encoded)
                .map_err(|e| HlogError::Decode {
                    start,
                    reason: format!("{e:?}"),
                })?;
        writer
            .write_histogram(&h, start, end.saturating_sub(start), Tag::new(&tag))
            .map_err(|e| HlogError::Encode(e.to_string()))?;
    }
    drop(writer);
    Ok(out)
}

/// Write `latency.hlog` into `dir` atomically; returns the path.
///
/// # Errors
/// I/O errors, or [`HlogError`] as for [`hlog_bytes`].
pub fn write_hlog(report: &Report, dir: &Path) -> Result<std::path::PathBuf, HlogError> {
    let bytes = hlog_bytes(report)?;
    Ok(crate::report::write_atomic(dir, "latency.hlog", &bytes)?)
}

/// One interval of a parsed log. The histogram stays encoded until asked
/// for, so a log of a long run does not hold thousands of live histograms.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedInterval {
    /// The tag as written (for spike's logs the phase name, or
    /// `request=<name>` for a named request, followed by `;fault=<names>`
    /// in a window with active faults), if any.
    pub tag: Option<String>,
    /// Start, relative to the log's base time (the run start for spike).
    pub start: Duration,
    /// Interval length.
    pub length: Duration,
    /// The max column, as written (milliseconds for spike's logs).
    pub max: f64,
    encoded: Vec<u8>,
}

impl LoggedInterval {
    /// The request name, for an interval of a named request (its tag is a
    /// [`request_tag`]); `None` for the iterations' latency.
    #[must_use]
    pub fn request(&self) -> Option<String> {
        self.base_tag().and_then(request_of_tag)
    }

    /// The tag without its fault suffix: the phase tag or the request tag.
    #[must_use]
    pub fn base_tag(&self) -> Option<&str> {
        self.tag.as_deref().map(|t| split_faults(t).0)
    }

    /// The faults active during the interval's window (empty when none).
    #[must_use]
    pub fn faults(&self) -> Vec<String> {
        self.tag
            .as_deref()
            .map(|t| split_faults(t).1)
            .unwrap_or_default()
    }

    /// True for an interval of the iterations' latency (not of a named
    /// request).
    #[must_use]
    pub fn is_iteration(&self) -> bool {
        !self
            .tag
            .as_deref()
            .is_some_and(|t| t.starts_with(REQUEST_TAG_PREFIX))
    }

    /// Decode the interval's histogram.
    ///
    /// # Errors
    /// [`HlogError::Decode`] when the payload is not a V2 histogram.
    pub fn histogram(&self) -> Result<Histogram<u64>, HlogError> {
        Deserializer::new()
            .deserialize(&mut self.encoded.as_slice())
            .map_err(|e| HlogError::Decode {
                start: self.start,
                reason: format!("{e:?}"),
            })
    }
}

/// A parsed interval log (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyLog {
    /// `#[StartTime: ..]`, seconds since the Unix epoch, when present.
    pub start_time: Option<Duration>,
    /// `#[BaseTime: ..]`, seconds since the Unix epoch, when present.
    pub base_time: Option<Duration>,
    intervals: Vec<LoggedInterval>,
}

impl LatencyLog {
    /// Parse an interval log; every histogram is checked to decode.
    ///
    /// # Errors
    /// [`HlogError`] naming the first line or interval that is not valid.
    pub fn parse(bytes: &[u8]) -> Result<Self, HlogError> {
        use base64::Engine as _;
        let mut log = LatencyLog {
            start_time: None,
            base_time: None,
            intervals: Vec::new(),
        };
        for entry in IntervalLogIterator::new(bytes) {
            match entry.map_err(|e| match e {
                hdrhistogram::serialization::interval_log::LogIteratorError::ParseError {
                    offset,
                } => HlogError::Parse { offset },
            })? {
                LogEntry::StartTime(t) => log.start_time = Some(t),
                LogEntry::BaseTime(t) => log.base_time = Some(t),
                LogEntry::Interval(i) => {
                    let encoded = base64::engine::general_purpose::STANDARD
                        .decode(i.encoded_histogram())
                        .map_err(|_| HlogError::Base64 {
                            start: i.start_timestamp(),
                        })?;
                    let interval = LoggedInterval {
                        tag: i.tag().map(|t| t.as_str().to_owned()),
                        start: i.start_timestamp(),
                        length: i.duration(),
                        max: i.max(),
                        encoded,
                    };
                    interval.histogram()?;
                    log.intervals.push(interval);
                }
            }
        }
        Ok(log)
    }

    /// Read and parse a log file.
    ///
    /// # Errors
    /// I/O errors and the errors of [`LatencyLog::parse`].
    pub fn read(path: impl AsRef<Path>) -> Result<Self, HlogError> {
        LatencyLog::parse(&std::fs::read(path)?)
    }

    /// The intervals, in file order.
    #[must_use]
    pub fn intervals(&self) -> &[LoggedInterval] {
        &self.intervals
    }

    /// The distinct tags without their fault suffixes ([`LoggedInterval::base_tag`]),
    /// in order of first appearance.
    #[must_use]
    pub fn tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = Vec::new();
        for t in self.intervals.iter().filter_map(LoggedInterval::base_tag) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        tags
    }

    /// The intervals whose start lies in `range` (offsets from the base
    /// time) and, when `tag` is given, that carry it (fault suffixes
    /// aside); without a tag, the iterations' intervals (every phase, no
    /// named request).
    pub fn select<'a>(
        &'a self,
        range: impl RangeBounds<Duration> + 'a,
        tag: Option<&'a str>,
    ) -> impl Iterator<Item = &'a LoggedInterval> + 'a {
        self.intervals.iter().filter(move |i| {
            range.contains(&i.start)
                && match tag {
                    Some(t) => i.base_tag() == Some(t),
                    None => i.is_iteration(),
                }
        })
    }

    /// The names of the named requests the log holds, in order of first
    /// appearance.
    #[must_use]
    pub fn requests(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for name in self.intervals.iter().filter_map(LoggedInterval::request) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// Percentiles of one named request over the windows starting in
    /// `range` (all zero when it has none there).
    ///
    /// # Errors
    /// As for [`LatencyLog::histogram`].
    pub fn request_percentiles(
        &self,
        range: impl RangeBounds<Duration>,
        name: &str,
    ) -> Result<Percentiles, HlogError> {
        self.percentiles(range, Some(&request_tag(name)))
    }

    /// The sum of the histograms of [`LatencyLog::select`]: exact (no
    /// re-bucketing, counts add), so any range made of whole windows gives
    /// the very histogram the run recorded for it.
    ///
    /// # Errors
    /// [`HlogError::Decode`] when an interval does not decode or does not
    /// fit the 1 µs..60 s latency range.
    pub fn histogram(
        &self,
        range: impl RangeBounds<Duration>,
        tag: Option<&str>,
    ) -> Result<Histogram<u64>, HlogError> {
        let range = (
            clone_bound(range.start_bound()),
            clone_bound(range.end_bound()),
        );
        let mut total = new_latency_histogram();
        for interval in self.select(range, tag) {
            total
                .add(interval.histogram()?)
                .map_err(|e| HlogError::Decode {
                    start: interval.start,
                    reason: format!("{e:?}"),
                })?;
        }
        Ok(total)
    }

    /// Percentiles of [`LatencyLog::histogram`]; all zero for an empty
    /// selection.
    ///
    /// # Errors
    /// As for [`LatencyLog::histogram`].
    pub fn percentiles(
        &self,
        range: impl RangeBounds<Duration>,
        tag: Option<&str>,
    ) -> Result<Percentiles, HlogError> {
        Ok(Percentiles::of(&self.histogram(range, tag)?))
    }
}

fn clone_bound(b: Bound<&Duration>) -> Bound<Duration> {
    match b {
        Bound::Included(d) => Bound::Included(*d),
        Bound::Excluded(d) => Bound::Excluded(*d),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Merge every interval histogram of a report (optionally of one phase)
/// into one histogram; `None` when there is none (a report read back from
/// JSON has none).
pub(crate) fn merged_histogram(report: &Report, phase: Option<&str>) -> Option<Histogram<u64>> {
    let mut total = new_latency_histogram();
    let mut deserializer = Deserializer::new();
    let mut any = false;
    for i in &report.interval_histograms {
        if i.request.is_some() || phase.is_some_and(|p| p != i.phase) {
            continue;
        }
        let h: Histogram<u64> = deserializer.deserialize(&mut i.encoded.as_slice()).ok()?;
        total.add(h).ok()?;
        any = true;
    }
    any.then_some(total)
}
