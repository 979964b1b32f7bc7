//! spike-macros
