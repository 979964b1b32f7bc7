//! spike-assert
