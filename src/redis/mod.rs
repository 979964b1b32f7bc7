//! Redis driver (in progress).
