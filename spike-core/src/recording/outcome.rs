//! What one iteration produced: success, or an error of a named class, plus
//! optional tags that group metrics (endpoint, backend, ...).

use std::borrow::Cow;

/// The class of a failed iteration. Reports count errors by [`ErrorClass::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The connection could not be made (refused, reset during connect, DNS).
    Connect,
    /// No answer in time: a per-iteration timeout, or the run's drain timeout.
    Timeout,
    /// An HTTP answer with a status the workload does not accept; the exact
    /// status is kept.
    Http(u16),
    /// The peer broke the protocol (bad frame, unexpected close, bad body).
    Protocol,
    /// A pooled resource (database connection, ...) was not available in time.
    PoolTimeout,
    /// The workload panicked. The run goes on; the panic is an error.
    Panic,
    /// A class the user names (`IterError::new("cache_miss")`).
    Named(Cow<'static, str>),
}

impl ErrorClass {
    /// The key reports use: `connect`, `timeout`, `http_4xx`, `http_5xx`,
    /// `http_other`, `protocol`, `pool_timeout`, `panic` or the user's name.
    #[must_use]
    pub fn key(&self) -> Cow<'static, str> {
        match self {
            ErrorClass::Connect => Cow::Borrowed("connect"),
            ErrorClass::Timeout => Cow::Borrowed("timeout"),
            ErrorClass::Http(s) if (400..500).contains(s) => Cow::Borrowed("http_4xx"),
            ErrorClass::Http(s) if (500..600).contains(s) => Cow::Borrowed("http_5xx"),
            ErrorClass::Http(_) => Cow::Borrowed("http_other"),
            ErrorClass::Protocol => Cow::Borrowed("protocol"),
            ErrorClass::PoolTimeout => Cow::Borrowed("pool_timeout"),
            ErrorClass::Panic => Cow::Borrowed("panic"),
            ErrorClass::Named(n) => n.clone(),
        }
    }

    /// The HTTP status, for [`ErrorClass::Http`].
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ErrorClass::Http(s) => Some(*s),
            _ => None,
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorClass::Http(s) => write!(f, "{} ({s})", self.key()),
            other => f.write_str(&other.key()),
        }
    }
}

/// A failed iteration: its class and, optionally, a message (the report
/// keeps a sample message per class).
///
/// Any `std::error::Error` converts into an `IterError` with `?`:
/// `std::io::Error`s (also as a source) are classed by kind (refused →
/// `connect`, timed out → `timeout`), anything else is `other`.
///
/// ```
/// use spike_core::{ErrorClass, IterError};
///
/// let e = IterError::new("cache_miss").with_message("key user:42");
/// assert_eq!(e.class().key(), "cache_miss");
///
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// assert_eq!(IterError::from(io).class(), &ErrorClass::Connect);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IterError {
    class: ErrorClass,
    message: Option<String>,
}

impl IterError {
    /// An error of a user-named class.
    #[must_use]
    pub fn new(class: impl Into<Cow<'static, str>>) -> Self {
        IterError::of(ErrorClass::Named(class.into()))
    }

    /// An error of a given class.
    #[must_use]
    pub fn of(class: ErrorClass) -> Self {
        IterError {
            class,
            message: None,
        }
    }

    /// An HTTP status the workload did not accept.
    #[must_use]
    pub fn http(status: u16) -> Self {
        IterError::of(ErrorClass::Http(status))
    }

    /// Attach a message (kept as a sample in the report). The message is
    /// redacted first ([`redact`](crate::redact::redact)): URLs lose their
    /// userinfo and query, secret header values and registered secrets
    /// are replaced, so no secret reaches a report, an artifact or a
    /// failure message.
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        let message = message.into();
        let clean = match crate::redact::redact(&message) {
            Cow::Borrowed(_) => None,
            Cow::Owned(clean) => Some(clean),
        };
        self.message = Some(clean.unwrap_or(message));
        self
    }

    /// The class.
    #[must_use]
    pub fn class(&self) -> &ErrorClass {
        &self.class
    }

    /// The message, if any.
    #[must_use]
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl std::fmt::Display for IterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.class),
            None => write!(f, "{}", self.class),
        }
    }
}

/// Class an `io::Error` by its kind.
#[must_use]
pub fn class_of_io(kind: std::io::ErrorKind) -> ErrorClass {
    use std::io::ErrorKind as K;
    match kind {
        K::ConnectionRefused
        | K::ConnectionAborted
        | K::NotConnected
        | K::AddrNotAvailable
        | K::AddrInUse => ErrorClass::Connect,
        K::TimedOut | K::WouldBlock => ErrorClass::Timeout,
        _ => ErrorClass::Protocol,
    }
}

impl<E> From<E> for IterError
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn from(err: E) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                return IterError::of(class_of_io(io.kind())).with_message(err.to_string());
            }
            source = e.source();
        }
        IterError::new("other").with_message(err.to_string())
    }
}

/// The full result of an iteration: success or an error, and tags.
///
/// Tags group metrics: every (key, value) gets its own count, error count
/// and latency percentiles in the report, for instance an endpoint name or
/// the `x-backend` header a load balancer sets.
///
/// ```
/// use spike_core::Outcome;
/// let o = Outcome::ok().tag("endpoint", "login");
/// assert!(o.error().is_none());
/// assert_eq!(o.tags()[0].1, "login");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    error: Option<IterError>,
    tags: Vec<(Cow<'static, str>, String)>,
}

impl Outcome {
    /// A success.
    #[must_use]
    pub fn ok() -> Self {
        Outcome::default()
    }

    /// A failure.
    #[must_use]
    pub fn err(error: IterError) -> Self {
        Outcome {
            error: Some(error),
            tags: Vec::new(),
        }
    }

    /// Add a tag.
    #[must_use]
    pub fn tag(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }

    /// Add a tag in place.
    pub fn push_tag(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.tags.push((key.into(), value.into()));
    }

    /// The error, if the iteration failed.
    #[must_use]
    pub fn error(&self) -> Option<&IterError> {
        self.error.as_ref()
    }

    /// The tags.
    #[must_use]
    pub fn tags(&self) -> &[(Cow<'static, str>, String)] {
        &self.tags
    }

    pub(crate) fn into_parts(self) -> (Option<IterError>, Vec<(Cow<'static, str>, String)>) {
        (self.error, self.tags)
    }
}

/// What a workload's future may return: `()`, `Outcome`, or a `Result`
/// whose error converts into [`IterError`].
pub trait IntoOutcome {
    /// Convert into an [`Outcome`].
    fn into_outcome(self) -> Outcome;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Outcome {
        Outcome::ok()
    }
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Outcome {
        self
    }
}

impl<T: IntoOutcome, E: Into<IterError>> IntoOutcome for Result<T, E> {
    fn into_outcome(self) -> Outcome {
        match self {
            Ok(v) => v.into_outcome(),
            Err(e) => Outcome::err(e.into()),
        }
    }
}

/// The usual return type of a workload function.
pub type IterResult = Result<(), IterError>;
