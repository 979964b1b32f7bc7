//! Shards of one schedule (DESIGN.md §14): shard `i` of `n` runs the
//! iterations `k ≡ i (mod n)` of the one global schedule from one agreed
//! start instant, and the shards' outputs merge into the report of a single
//! generator.
//!
//! [`env`] names the environment variables a sharded run reads, so that the
//! Kubernetes manifest under `deploy/` and its test name the same ones.

pub mod env;
