//! The driver's errors and how they are classed in the report: setup
//! errors, the workload closure's error, and the classing of database and
//! pool errors.

use std::time::Duration;

use deadpool_postgres::PoolError;
use spike_core::{class_of_io, ErrorClass, IterError};

use crate::target_check::TargetRefused;

/// Why a [`PgPool`](super::PgPool) could not be built, or a
/// [`TempSchema`](super::TempSchema) step failed.
#[non_exhaustive]
pub enum PgSetupError {
    /// The connection string does not parse.
    BadUrl(tokio_postgres::Error),
    /// A host is neither loopback nor allowed.
    Refused(TargetRefused),
    /// The pool settings are invalid.
    Pool(String),
    /// A database error while setting up or cleaning up (e.g. creating a
    /// [`TempSchema`](super::TempSchema)).
    Db(tokio_postgres::Error),
}

crate::macros::debug_as_display!(PgSetupError);

impl std::fmt::Display for PgSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgSetupError::BadUrl(e) => write!(f, "bad Postgres connection string: {e}"),
            PgSetupError::Refused(r) => r.fmt(f),
            PgSetupError::Pool(e) => write!(f, "bad Postgres pool settings: {e}"),
            PgSetupError::Db(e) => write!(f, "Postgres setup failed: {e}"),
        }
    }
}

impl std::error::Error for PgSetupError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PgSetupError::BadUrl(e) => Some(e),
            PgSetupError::Refused(r) => Some(r),
            PgSetupError::Pool(_) => None,
            PgSetupError::Db(e) => Some(e),
        }
    }
}

/// The error a Postgres workload closure returns: a database error (classed
/// by SQLSTATE or cause) or an [`IterError`] of the workload's own choosing.
/// `?` converts both.
pub enum PgError {
    /// An error from tokio-postgres.
    Db(tokio_postgres::Error),
    /// A failure the workload classed itself.
    Iteration(IterError),
}

crate::macros::debug_as_display!(PgError);

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Db(e)
    }
}

impl From<IterError> for PgError {
    fn from(e: IterError) -> Self {
        PgError::Iteration(e)
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgError::Db(e) => e.fmt(f),
            PgError::Iteration(e) => e.fmt(f),
        }
    }
}

impl PgError {
    /// The report's view of this error (see [`classify`]).
    #[must_use]
    pub fn into_iter_error(self) -> IterError {
        match self {
            PgError::Db(e) => classify(&e),
            PgError::Iteration(e) => e,
        }
    }
}

/// Class a tokio-postgres error: a database error keeps its SQLSTATE
/// (`sqlstate_57014`), an I/O cause is classed by kind (refused →
/// `connect`), a closed connection is `protocol`.
#[must_use]
pub fn classify(err: &tokio_postgres::Error) -> IterError {
    if let Some(db) = err.as_db_error() {
        return IterError::new(format!("sqlstate_{}", db.code().code())).with_message(format!(
            "{}: {}",
            db.severity(),
            db.message()
        ));
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return IterError::of(class_of_io(io.kind())).with_message(err.to_string());
        }
        source = e.source();
    }
    IterError::of(ErrorClass::Protocol).with_message(err.to_string())
}

pub(super) fn classify_pool(err: PoolError, wait_timeout: Duration) -> IterError {
    use deadpool_postgres::TimeoutType;
    match err {
        PoolError::Timeout(TimeoutType::Wait) => IterError::of(ErrorClass::PoolTimeout)
            .with_message(format!("no pooled connection free within {wait_timeout:?}")),
        PoolError::Timeout(TimeoutType::Create) => {
            IterError::of(ErrorClass::Connect).with_message("connecting to the database timed out")
        }
        PoolError::Timeout(TimeoutType::Recycle) => IterError::of(ErrorClass::Timeout)
            .with_message("checking a pooled connection timed out"),
        PoolError::Backend(e) => classify(&e),
        other => IterError::of(ErrorClass::Protocol).with_message(other.to_string()),
    }
}
