//! Names of the counters the cache-aside helpers record.

/// Lookups.
pub const LOOKUP: &str = "cache_lookup";
/// Lookups that found the key.
pub const HIT: &str = "cache_hit";
/// Lookups that did not.
pub const MISS: &str = "cache_miss";
/// Values loaded from the origin.
pub const LOAD: &str = "cache_load";
/// Values written back.
pub const SET: &str = "cache_set";
/// Misses on keys this cache had set: expired or evicted by the server.
pub const EVICTION: &str = "eviction";
