//! The scenario file's format as serde types: what the parser reads, what
//! [`ScenarioFile::to_toml`](super::ScenarioFile::to_toml) writes and what
//! the JSON Schema is generated from. Unknown keys are refused everywhere.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::values::{Count, FileDuration};

/// A whole scenario file: the scenario (name, shape, settings), and for
/// the facade's `spike::file` the target, the HTTP requests and the SLOs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "spike scenario file")]
pub struct ScenarioFile {
    /// The scenario's name (reports and artifacts are named after it).
    pub name: String,
    /// The load model: `open` (arrival rate, levels in `rps`) or `closed`
    /// (virtual users, levels in `users`). Optional: the phases' levels say
    /// it; when given, every level must agree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<FileModel>,
    /// Window length for per-window metrics (default 1s, or 100ms for
    /// shapes shorter than 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<FileDuration>,
    /// Seed for per-iteration seeds (default: derived from the name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<Count>,
    /// Most iterations in flight at once (open model, default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<Count>,
    /// Per-iteration timeout (default 30s, at most 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration_timeout: Option<FileDuration>,
    /// Time iterations in flight get after the shape ends (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_timeout: Option<FileDuration>,
    /// Closed model: pause between a user's iterations (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think_time: Option<FileDuration>,
    /// Schedule-lag p99 above which the generator counts as saturated
    /// (default 25ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_budget: Option<FileDuration>,
    /// Factors on every rate and every duration (default 1 and 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<FileScale>,
    /// What "recovered" means after the burst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<FileRecovery>,
    /// The load shape, phase by phase (at least one).
    #[serde(default)]
    pub phase: Vec<FilePhase>,
    /// Where the HTTP requests go (used by `spike::file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<FileTarget>,
    /// The HTTP requests, picked by weight each iteration (used by
    /// `spike::file`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request: Vec<FileRequest>,
    /// Checks on the report (used by `spike::file`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slo: Vec<FileSlo>,
}

/// The load model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileModel {
    /// Arrival rate: levels in `rps`.
    Open,
    /// Virtual users: levels in `users`.
    Closed,
}

/// What a phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilePhaseKind {
    /// From the previous level (zero at first) linearly to this one.
    Ramp,
    /// Keep the level.
    Hold,
    /// Jump above the previous level and keep it: the spike.
    Burst,
    /// Drop back after a burst; recovery is measured here.
    Recover,
}

/// One phase: a kind, a level (`rps` or `users`) and a duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePhase {
    /// `ramp`, `hold`, `burst` or `recover`.
    pub kind: FilePhaseKind,
    /// Open model: iterations started per second (above zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// Closed model: virtual users (a whole number above zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<f64>,
    /// How long the phase lasts.
    pub duration: FileDuration,
    /// The phase's name (default: the kind, then `burst-2`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// This is the reference phase recovery is compared with (default: the
    /// last `hold` before the first `burst`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reference: bool,
}

/// Scale factors (what `SPIKE_SCALE` / `SPIKE_TIME_SCALE` multiply).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileScale {
    /// Factor on every rate and user count (default 1).
    #[serde(default = "one")]
    pub rate: f64,
    /// Factor on every duration (default 1).
    #[serde(default = "one")]
    pub time: f64,
}

fn one() -> f64 {
    1.0
}

/// Recovery criteria; each key defaults as in `RecoveryCriteria`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRecovery {
    /// Relative headroom over the reference p95 (default 0.25 = +25%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Absolute headroom over the reference p95 (default 10ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<FileDuration>,
    /// Error-rate headroom over the reference (default 0.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon: Option<f64>,
    /// Consecutive healthy windows that make a recovery (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sustain: Option<u32>,
}

/// Where the requests go: a `base_url` on loopback, or `demo = true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileTarget {
    /// The target, e.g. `http://127.0.0.1:8080` (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Start spike's built-in demo service for the run, on a free
    /// loopback port, and send the requests there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
    /// The client's timeout per request, connect included (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<FileDuration>,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum FileMethod {
    Get,
    Post,
    Put,
    Delete,
    Patch,
    Head,
    Options,
}

/// One HTTP request of the mix. `Debug` shows the values of
/// `secret_headers` and of secret headers (`Authorization`, `Cookie`, ...)
/// as `[redacted]`.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRequest {
    /// The request's name: the report keeps its numbers under it and SLOs
    /// scope to it.
    pub name: String,
    /// The method (default `GET`).
    #[serde(default = "get")]
    pub method: FileMethod,
    /// The path, starting with `/`; a template (`{user}`, `{iteration}`,
    /// `{seed}`).
    pub path: String,
    /// How often this request is picked, relative to the others (default 1).
    #[serde(default = "weight_one")]
    pub weight: u32,
    /// Headers; values are templates and may hold `${env:NAME}`, read
    /// from the environment when the file is loaded (such a header is
    /// secret).
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::header_map::deserialize"
    )]
    pub headers: BTreeMap<String, String>,
    /// Headers whose values are secret: never in a report, an artifact or
    /// a message.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "super::header_map::deserialize"
    )]
    pub secret_headers: BTreeMap<String, String>,
    /// The body as text (a template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as JSON, written as a TOML value (sets `content-type:
    /// application/json` unless a header sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// The statuses that count as success: one or a list (default any 2xx).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "one_or_many")]
    #[schemars(with = "StatusSchema")]
    pub expect_status: Vec<u16>,
    /// A timeout for this request only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<FileDuration>,
}

fn get() -> FileMethod {
    FileMethod::Get
}

fn weight_one() -> u32 {
    1
}

/// `expect_status = 200` or `expect_status = [200, 304]`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum StatusSchema {
    One(u16),
    Many(Vec<u16>),
}

mod one_or_many {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u16], s: S) -> Result<S::Ok, S::Error> {
        match v {
            [one] => s.serialize_u16(*one),
            many => s.collect_seq(many),
        }
    }

    #[derive(Deserialize)]
    #[serde(
        untagged,
        expecting = "a status (200) or a list of statuses ([200, 304])"
    )]
    enum Either {
        One(u16),
        Many(Vec<u16>),
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u16>, D::Error> {
        Ok(match Either::deserialize(d)? {
            Either::One(s) => vec![s],
            Either::Many(v) => v,
        })
    }
}

/// What an SLO measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FileMetric {
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
    /// Errors / finished, bound as a percentage text: `"2%"`.
    ErrorRate,
    /// Completed iterations per second (a number); not per request.
    Throughput,
    /// Time from the spike's end to recovery; bound with `within`; not
    /// per request.
    Recovery,
}

/// One check on the report: a metric, one bound, an optional scope.
/// Latency bounds are durations (`"250ms"`), error rates percentages
/// (`"2%"`), throughput numbers; recovery takes `within` only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSlo {
    /// The metric.
    pub metric: FileMetric,
    /// Passes when the value is < this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<FileBound>,
    /// Passes when the value is ≤ this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<FileBound>,
    /// Passes when the value is > this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<FileBound>,
    /// Passes when the value is ≥ this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<FileBound>,
    /// Passes when low ≤ value ≤ high: `[low, high]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<[FileBound; 2]>,
    /// Recovery only: recovered within this duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<FileBound>,
    /// Only this phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Only this named request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Every window (of the phase, when one is given) must pass.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub every_window: bool,
}

/// A bound of an SLO: a number (throughput) or text (`"250ms"`, `"2%"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a bound: a duration (\"250ms\"), a percentage (\"2%\") or a number"
)]
pub enum FileBound {
    /// A number: throughput in iterations per second.
    Number(f64),
    /// A duration (`"250ms"`) or a percentage (`"2%"`).
    Text(String),
}

impl std::fmt::Debug for FileRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown =
            |map: &BTreeMap<String, String>, all_secret: bool| -> BTreeMap<String, String> {
                map.iter()
                    .map(|(k, v)| {
                        let secret = all_secret || crate::redact::is_secret_header(k);
                        let v = if secret {
                            crate::redact::REDACTED.to_owned()
                        } else {
                            v.clone()
                        };
                        (k.clone(), v)
                    })
                    .collect()
            };
        f.debug_struct("FileRequest")
            .field("name", &self.name)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("weight", &self.weight)
            .field("headers", &shown(&self.headers, false))
            .field("secret_headers", &shown(&self.secret_headers, true))
            .field("body", &self.body)
            .field("json", &self.json)
            .field("expect_status", &self.expect_status)
            .field("timeout", &self.timeout)
            .finish()
    }
}
