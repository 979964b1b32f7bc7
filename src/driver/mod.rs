//! What the WebSocket, Postgres and Redis drivers share: latency metrics
//! recorded beside the engine's iteration latency ([`LatencyMetric`]) and
//! the loopback-only target check ([`check_target_host`]).

mod metric;
mod target;

pub use metric::{LatencyMetric, MetricSnapshot, MetricWindow};
#[cfg(feature = "ws")]
pub(crate) use target::Endpoint;
pub use target::{check_target_host, check_target_url, judge_target, TargetRefused};
