//! Outputs of a run: the files it leaves (`artifacts`) and the live
//! progress on the terminal (`progress`).

pub mod artifacts;
pub mod progress;
