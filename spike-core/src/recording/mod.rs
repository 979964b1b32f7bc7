//! Recording: what each iteration leaves behind, from the per-thread shards
//! through aggregation into windows, phases and the run.
//!
//! `ctx` is the iteration's handle; `shards` holds what threads record
//! between ticks; `aggregate` folds the shards into windows, phases and the
//! run (and `detail` encodes the histograms a merge needs beside the
//! latency ones); `request` times named requests (the latency-origin rule is in its
//! docs) and `request_tally` keeps their numbers; `stats`, `histogram` and
//! `outcome` are the value types they share.

pub(crate) mod aggregate;
pub(crate) mod ctx;
pub(crate) mod detail;
pub(crate) mod histogram;
pub(crate) mod outcome;
pub(crate) mod request;
pub(crate) mod request_tally;
pub(crate) mod run;
pub(crate) mod shards;
pub(crate) mod stats;
