//! Why a cache could not be built, and how Redis errors are classed in
//! the report.

use fred::prelude::{Error as RedisError, ErrorKind};
use spike_core::{ErrorClass, IterError};

use crate::target_check::TargetRefused;

/// Why a [`CacheAside`](super::CacheAside) could not be built.
#[non_exhaustive]
pub enum RedisSetupError {
    /// The URL does not parse, or a setting is invalid.
    Config(RedisError),
    /// The host is neither loopback nor allowed.
    Refused(TargetRefused),
}

crate::macros::debug_as_display!(RedisSetupError);

impl std::fmt::Display for RedisSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisSetupError::Config(e) => write!(
                f,
                "bad Redis settings: {}",
                spike_core::redact::redact(&e.to_string())
            ),
            RedisSetupError::Refused(r) => r.fmt(f),
        }
    }
}

impl std::error::Error for RedisSetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RedisSetupError::Config(e) => Some(e),
            RedisSetupError::Refused(r) => Some(r),
        }
    }
}

/// Class a Redis error: timeouts are `timeout`, a broken or impossible
/// connection `connect`, a bad frame `protocol`, anything else
/// `redis_error` (with the server's message).
#[must_use]
pub fn classify(err: &RedisError) -> IterError {
    let class = match err.kind() {
        ErrorKind::Timeout => ErrorClass::Timeout,
        ErrorKind::IO | ErrorKind::Canceled => ErrorClass::Connect,
        ErrorKind::Protocol | ErrorKind::Parse => ErrorClass::Protocol,
        _ => ErrorClass::Named("redis_error".into()),
    };
    IterError::of(class).with_message(err.to_string())
}
