//! Unit tests of spike::file.
