//! The workload: what one iteration does ([`Workload`]), and workloads
//! made of workloads: [`Mix`] (one entry per iteration, by weight),
//! [`Sequence`] (steps in order) and [`named`] (a named request with its
//! own numbers).

mod base;
mod boxed;
mod mix;
mod named;
mod sequence;

pub use base::Workload;
pub use mix::Mix;
pub use named::{named, Named, WorkloadExt};
pub use sequence::Sequence;
