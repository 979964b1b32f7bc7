//! One resource sample: what a series measured at a window's end
//! ([`crate::soak`] takes them; the report keeps them in its windows).

use serde::{Deserialize, Serialize};

/// What one series measured at the end of a window: the resident set of a
/// process (or a custom probe's bytes), with its open file descriptors and
/// threads when the series is a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSample {
    /// Resident set size of the process, or the bytes a custom probe
    /// returned.
    pub rss_bytes: u64,
    /// Open file descriptors (processes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fds: Option<u64>,
    /// Threads (processes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u64>,
}
