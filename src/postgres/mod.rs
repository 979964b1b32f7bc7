//! Postgres driver (in progress).
