//! One shard's output read back from its folder: `report.json`, with its
//! histograms from `latency.hlog` and `histograms.hlog`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use super::error::MergeError;
use crate::artifacts::{parse_histograms_hlog, phase_tag, LatencyLog, HISTOGRAMS_HLOG};
use crate::recording::histogram::{HIGHEST_TRACKABLE_US, SIGNIFICANT_DIGITS};
use crate::report::{HistogramKind, IntervalHistogram, Report};

/// One shard's report, with every histogram it logged, read from its
/// folder ([`ShardOutput::read`]).
#[derive(Debug, Clone)]
pub struct ShardOutput {
    /// The folder it was read from.
    pub dir: PathBuf,
    /// The report, with `interval_histograms` rebuilt from `latency.hlog`
    /// and `detail_histograms` from `histograms.hlog`; each histogram's
    /// `start` and `end` are its window's, from `report.json`.
    pub report: Report,
}

fn read(path: &Path) -> Result<Vec<u8>, MergeError> {
    std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound && path.extension().is_some_and(|x| x == "hlog")
        {
            MergeError::MissingHistograms {
                path: path.to_owned(),
            }
        } else {
            MergeError::Unreadable {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        }
    })
}

fn bad(path: &Path, reason: impl std::fmt::Display) -> MergeError {
    let reason = reason.to_string();
    let reason = reason
        .strip_prefix("latency.hlog: ")
        .or_else(|| reason.strip_prefix("histograms.hlog: "))
        .unwrap_or(&reason)
        .to_owned();
    MergeError::BadHistograms {
        path: path.to_owned(),
        reason,
    }
}

/// Check a decoded histogram has the engine's configuration for its kind.
fn check_config(
    path: &Path,
    kind: String,
    h: &Histogram<u64>,
    sigfig: u8,
) -> Result<(), MergeError> {
    if h.low() == 1 && h.high() == HIGHEST_TRACKABLE_US && h.sigfig() == sigfig {
        return Ok(());
    }
    Err(MergeError::HistogramConfig {
        path: path.to_owned(),
        kind,
        low: h.low(),
        high: h.high(),
        sigfig: h.sigfig(),
        expected: sigfig,
    })
}

fn kind_text(kind: &HistogramKind) -> String {
    match kind {
        HistogramKind::Service => "service".to_owned(),
        HistogramKind::Lag => "lag".to_owned(),
        HistogramKind::Request(n) => format!("request {n}"),
        HistogramKind::Metric(n) => format!("metric {n}"),
        HistogramKind::Tag { key, value } => format!("tag {key}={value}"),
    }
}

impl ShardOutput {
    /// Read the output in `dir`: `report.json`, `latency.hlog` (the
    /// iterations' latency; each interval's window is its start divided by
    /// the window length, its phase the one whose tag it carries) and
    /// `histograms.hlog`. Every histogram is checked to decode, to have the
    /// engine's configuration and to belong to a window of the report.
    ///
    /// # Errors
    /// [`MergeError::Unreadable`], [`MergeError::NotAReport`],
    /// [`MergeError::MissingHistograms`], [`MergeError::BadHistograms`],
    /// [`MergeError::HistogramConfig`], [`MergeError::NotAShard`].
    pub fn read(dir: impl AsRef<Path>) -> Result<Self, MergeError> {
        let dir = dir.as_ref();
        let json_path = dir.join("report.json");
        let json = read(&json_path)?;
        let mut report: Report =
            serde_json::from_slice(&json).map_err(|e| MergeError::NotAReport {
                path: json_path.clone(),
                reason: e.to_string(),
            })?;
        if report.shard.is_none() {
            return Err(MergeError::NotAShard {
                dir: dir.to_owned(),
            });
        }
        let bounds: HashMap<u64, (Duration, Duration, String)> = report
            .windows
            .iter()
            .map(|w| (w.index, (w.start, w.end, w.phase.clone())))
            .collect();
        let latency_path = dir.join("latency.hlog");
        let phase_by_tag = phase_tags(&report, &latency_path)?;
        let log = LatencyLog::parse(&read(&latency_path)?).map_err(|e| bad(&latency_path, e))?;
        let window_s = report.window.as_secs_f64();
        for i in log.intervals() {
            let h = i.histogram().map_err(|e| bad(&latency_path, e))?;
            let index = (i.start.as_secs_f64() / window_s).round() as u64;
            let Some((start, end, window_phase)) = bounds.get(&index) else {
                return Err(bad(
                    &latency_path,
                    format!(
                        "an interval at {:?} lies in no window of report.json",
                        i.start
                    ),
                ));
            };
            let (phase, request) = match i.request() {
                Some(name) => (window_phase.clone(), Some(name)),
                None => {
                    let tag = i.base_tag().unwrap_or_default();
                    let Some(phase) = phase_by_tag.get(tag) else {
                        return Err(bad(
                            &latency_path,
                            format!("the tag {tag:?} names no phase of the shape"),
                        ));
                    };
                    (phase.clone(), None)
                }
            };
            let kind = request
                .as_ref()
                .map_or("latency".to_owned(), |n| format!("request {n}"));
            check_config(&latency_path, kind, &h, SIGNIFICANT_DIGITS)?;
            report.interval_histograms.push(IntervalHistogram {
                window: index,
                start: *start,
                end: *end,
                phase,
                request,
                encoded: encode(&h),
            });
        }
        let details_path = dir.join(HISTOGRAMS_HLOG);
        let details =
            parse_histograms_hlog(&read(&details_path)?).map_err(|e| bad(&details_path, e))?;
        let mut deserializer = Deserializer::new();
        for mut d in details {
            let h: Histogram<u64> = deserializer
                .deserialize(&mut d.encoded.as_slice())
                .map_err(|e| bad(&details_path, format!("{e:?}")))?;
            check_config(
                &details_path,
                kind_text(&d.kind),
                &h,
                d.kind.significant_digits(),
            )?;
            let Some((start, end, _)) = bounds.get(&d.window) else {
                return Err(bad(
                    &details_path,
                    format!("window {} is not in report.json", d.window),
                ));
            };
            (d.start, d.end) = (*start, *end);
            report.detail_histograms.push(d);
        }
        Ok(ShardOutput {
            dir: dir.to_owned(),
            report,
        })
    }
}

/// Each phase's `latency.hlog` tag, to its name; an error when two phases
/// share a tag (`a b` and `a_b`), so their intervals cannot be told apart.
fn phase_tags(report: &Report, path: &Path) -> Result<HashMap<String, String>, MergeError> {
    let mut tags: HashMap<String, String> = HashMap::new();
    for p in report.shape.phases() {
        if let Some(other) = tags.insert(phase_tag(&p.name), p.name.clone()) {
            return Err(bad(
                path,
                format!(
                    "the phases `{other}` and `{}` share one tag, so their intervals cannot be told apart",
                    p.name
                ),
            ));
        }
    }
    Ok(tags)
}

/// Re-encode a histogram read from a log (V2 + DEFLATE, as the engine
/// keeps them).
fn encode(h: &Histogram<u64>) -> Vec<u8> {
    use hdrhistogram::serialization::{Serializer as _, V2DeflateSerializer};
    let mut out = Vec::new();
    // Encoding a histogram that just decoded cannot fail; an empty payload
    // would fail its decode later with a message naming it.
    let _ = V2DeflateSerializer::new().serialize(h, &mut out);
    out
}
