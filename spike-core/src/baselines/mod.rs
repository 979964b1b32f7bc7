//! Saved runs (baselines) and the regression gate.

mod gate;
pub use gate::*;
