//! A request template: a [`Workload`] that sends one HTTP request per
//! iteration and turns the answer into an [`Outcome`].

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use hyper::header::{HeaderName, HeaderValue};
use hyper::Uri;
use spike_core::redact::REDACTED;
use spike_core::{Ctx, Outcome, Workload};

use super::status::StatusSet;
use super::template::Template;
use super::{Http, Method};

#[derive(Debug, Clone)]
pub(super) enum Check {
    BodyContains(String),
    JsonPresent(String),
    JsonEq(String, serde_json::Value),
}

/// A header of the request: its value pre-built when it has no
/// placeholder.
#[derive(Debug, Clone)]
pub(super) struct HeaderSpec {
    pub(super) name: HeaderName,
    pub(super) template: Template,
    pub(super) fixed: Option<HeaderValue>,
    pub(super) secret: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub(super) method: Method,
    pub(super) path: Template,
    /// The request target, pre-built when the path has no placeholder.
    pub(super) uri: Option<Uri>,
    /// The path template as messages show it: without its query string.
    pub(super) path_text: String,
    pub(super) headers: Vec<HeaderSpec>,
    /// Whether a header sets `authorization` (then the userinfo's basic
    /// auth is not added).
    pub(super) sets_authorization: bool,
    pub(super) body: Option<Template>,
    /// The body, pre-built when it has no placeholder.
    pub(super) fixed_body: Option<Bytes>,
    pub(super) expect: StatusSet,
    pub(super) checks: Vec<Check>,
    pub(super) tags: Vec<(Cow<'static, str>, String)>,
    pub(super) tag_headers: Vec<HeaderName>,
    pub(super) users: u64,
    pub(super) values: Arc<[String]>,
    pub(super) timeout: Option<Duration>,
    /// The request's name: when set, each send records the request's own
    /// numbers under it (`Stats::requests`).
    pub(super) name: Option<Cow<'static, str>>,
    /// What the builder was given that cannot be used (a bad header name,
    /// a path without `/`): [`Workload::check`] refuses the run with it,
    /// before any traffic, instead of a panic in the builder.
    problems: Vec<String>,
}

/// One HTTP request, described once and sent once per iteration (see the
/// [module docs](super) for placeholders, checks and error classes).
///
/// Built with [`Http::get`], [`Http::post`], ... and a chain of settings;
/// pass it to [`Scenario::run`](crate::Scenario::run).
#[derive(Debug, Clone)]
#[must_use]
pub struct HttpRequest {
    http: Http,
    spec: Arc<Spec>,
}

impl HttpRequest {
    pub(crate) fn new(http: Http, method: Method, path: &str) -> Self {
        let mut problems = Vec::new();
        if !path.starts_with('/') {
            problems.push(format!(
                "an HTTP request path must start with `/` (one that does not could name another host), got `{}`",
                shown_path(path)
            ));
        }
        let template = Template::parse(path);
        let uri = match template.as_static() {
            Some(text) if problems.is_empty() => {
                let target = &http.inner.pool.target;
                match super::send::make_uri(target, text.to_owned(), target.http2) {
                    Ok(uri) => Some(uri),
                    Err(e) => {
                        problems.push(format!("path `{}`: {e}", shown_path(path)));
                        None
                    }
                }
            }
            _ => None,
        };
        HttpRequest {
            http,
            spec: Arc::new(Spec {
                method,
                path: template,
                uri,
                path_text: shown_path(path),
                headers: Vec::new(),
                sets_authorization: false,
                body: None,
                fixed_body: None,
                expect: StatusSet::default(),
                checks: Vec::new(),
                tags: Vec::new(),
                tag_headers: Vec::new(),
                users: 1_000_000,
                values: Arc::from(Vec::new()),
                timeout: None,
                name: None,
                problems,
            }),
        }
    }

    fn spec(&mut self) -> &mut Spec {
        Arc::make_mut(&mut self.spec)
    }

    /// Add a header; the value is a template. The values of
    /// `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie`
    /// are secret (see [`secret_header`](Self::secret_header)).
    ///
    /// A `name` that is not a valid header name, or a `value` without
    /// placeholders that is not a valid header value, refuses the run before
    /// any traffic ([`SpikeError::BadWorkload`](crate::SpikeError::BadWorkload)).
    pub fn header(self, name: &str, value: impl Into<String>) -> Self {
        let secret = spike_core::redact::is_secret_header(name);
        self.add_header(name, &value.into(), secret)
    }

    /// Add a header whose value is secret (an API key, a token): it never
    /// appears in a report, an artifact, a progress line or an error
    /// message, and the request marks it sensitive. The value is a
    /// template; a value without placeholders is also redacted wherever it
    /// appears in error text.
    ///
    /// Bad names and values refuse the run, as with [`header`](Self::header).
    pub fn secret_header(self, name: &str, value: impl Into<String>) -> Self {
        self.add_header(name, &value.into(), true)
    }

    fn add_header(mut self, name: &str, value: &str, secret: bool) -> Self {
        let template = Template::parse(value);
        if template.is_static() && secret {
            register_header_secret(value);
        }
        let header = match HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) => header,
            Err(e) => {
                let problem = format!("invalid header name `{}`: {e}", name.escape_debug());
                self.spec().problems.push(problem);
                return self;
            }
        };
        let mut fixed = None;
        if template.is_static() {
            match HeaderValue::from_str(value) {
                Ok(mut v) => {
                    v.set_sensitive(secret);
                    fixed = Some(v);
                }
                Err(e) => {
                    let shown = if secret {
                        REDACTED.to_owned()
                    } else {
                        value.escape_debug().to_string()
                    };
                    let problem = format!("invalid value for header `{header}` (`{shown}`): {e}");
                    self.spec().problems.push(problem);
                    return self;
                }
            }
        }
        let spec = self.spec();
        spec.sets_authorization |= header == hyper::header::AUTHORIZATION;
        spec.headers.push(HeaderSpec {
            name: header,
            template,
            fixed,
            secret,
        });
        self
    }

    /// Set the body; it is a template.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        let template = Template::parse(&body.into());
        let spec = self.spec();
        spec.fixed_body = template
            .as_static()
            .map(|text| Bytes::copy_from_slice(text.as_bytes()));
        spec.body = Some(template);
        self
    }

    /// The statuses that count as success (default: any 2xx). Accepts a
    /// status, an array or a range: `.expect_status([200, 304])`.
    pub fn expect_status(mut self, statuses: impl Into<StatusSet>) -> Self {
        self.spec().expect = statuses.into();
        self
    }

    /// Fail with class `check_body` unless the body contains `text`.
    pub fn expect_body_contains(mut self, text: impl Into<String>) -> Self {
        self.spec().checks.push(Check::BodyContains(text.into()));
        self
    }

    /// Fail with class `check_json` unless the body is JSON with a value at
    /// `pointer` (RFC 6901: `/token`, `/items/0/id`).
    pub fn expect_json(mut self, pointer: impl Into<String>) -> Self {
        self.spec().checks.push(Check::JsonPresent(pointer.into()));
        self
    }

    /// Fail with class `check_json` unless the JSON value at `pointer`
    /// equals `value`.
    pub fn expect_json_eq(mut self, pointer: impl Into<String>, value: serde_json::Value) -> Self {
        self.spec()
            .checks
            .push(Check::JsonEq(pointer.into(), value));
        self
    }

    /// Tag every iteration of this request (e.g. `("endpoint", "login")`).
    pub fn tag(mut self, key: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        self.spec().tags.push((key.into(), value.into()));
        self
    }

    /// Tag each iteration with the value of a response header, under the
    /// header's lowercase name (e.g. `x-backend` → `b2`). Iterations
    /// without an answer or without the header carry no such tag.
    ///
    /// A `header` that is not a valid header name refuses the run before
    /// any traffic.
    pub fn tag_from_header(mut self, header: &str) -> Self {
        match HeaderName::from_bytes(header.as_bytes()) {
            Ok(name) => self.spec().tag_headers.push(name),
            Err(e) => {
                let problem = format!("invalid header name `{}`: {e}", header.escape_debug());
                self.spec().problems.push(problem);
            }
        }
        self
    }

    /// Number of distinct `{user}` ids (default 1,000,000): `{user}` is a
    /// seeded pseudo-random number in `0..n`.
    ///
    /// `n = 0` refuses the run before any traffic.
    pub fn users(mut self, n: u64) -> Self {
        if n == 0 {
            let problem = "`users(0)`: `{user}` needs at least one user".to_owned();
            self.spec().problems.push(problem);
        } else {
            self.spec().users = n;
        }
        self
    }

    /// The list `{value}` picks from, reproducibly per iteration.
    pub fn values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.spec().values = values.into_iter().map(Into::into).collect();
        self
    }

    /// A timeout for this request only (default: the client's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.spec().timeout = Some(timeout);
        self
    }

    /// The method and path template, for messages: `GET /login` (a query
    /// string shows as `?[redacted]`: tokens travel there).
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{} {}", self.spec.method, self.spec.path_text)
    }

    /// The client this request is sent with.
    #[must_use]
    pub fn client(&self) -> &Http {
        &self.http
    }

    /// Name the request: every send then records the request's own
    /// count, errors by class and latency under `name`, per window, phase
    /// and run (`report.total.requests["checkout"]`), which the summary,
    /// the HTML report and the interval log show, and assertions scope to
    /// (`expect(&r).request("checkout")`). Use it for the requests of a
    /// [`Mix`](crate::Mix) or of a [`Sequence`](crate::Sequence).
    ///
    /// The first named request of an iteration counts from the iteration's
    /// intended start (a late start is charged, as for the iteration's own
    /// latency); a later one, e.g. the fetch after a login, from its own
    /// start.
    ///
    /// ```
    /// use spike::prelude::*;
    /// use spike::http::Http;
    /// # spike::__private::tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
    /// let demo = spike::demo::DemoService::builder().start().await?;
    /// let http = Http::builder(demo.url()).build()?;
    /// let mix = Mix::new()
    ///     .weight(3, http.get("/").name("home"))
    ///     .weight(1, http.get("/health").name("health"));
    /// let shape = Shape::builder().hold(rps(200), ms(400)).build()?;
    /// let report = Scenario::new("mix").shape(shape).run(mix).await?;
    /// assert_eq!(report.total.requests["home"].count, 60);
    /// assert_eq!(report.total.requests["health"].count, 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.spec().name = Some(name.into());
        self
    }

    /// The request's name, if it has one (see [`name`](Self::name)).
    #[must_use]
    pub fn request_name(&self) -> Option<&str> {
        self.spec.name.as_deref()
    }

    /// Send the request once for `ctx` and return the outcome (what each
    /// iteration of a run does). A named request records its own numbers.
    pub async fn send(&self, ctx: &Ctx) -> Outcome {
        let Some(name) = &self.spec.name else {
            return super::send::send(&self.http, &self.spec, ctx).await;
        };
        let timer = ctx.request(name.clone());
        let outcome = super::send::send(&self.http, &self.spec, ctx).await;
        timer.finish(outcome.error());
        outcome
    }
}

/// A path template for messages: the query string (and fragment) replaced.
fn shown_path(path: &str) -> String {
    match path.find(['?', '#']) {
        Some(i) => format!("{}?{REDACTED}", &path[..i]),
        None => path.to_owned(),
    }
}

/// Register a secret header value, and its credential alone
/// (`Bearer <token>` → `<token>`), for redaction.
fn register_header_secret(value: &str) {
    spike_core::redact::register_secret(value);
    if let Some((_, credential)) = value.split_once(' ') {
        spike_core::redact::register_secret(credential.trim());
    }
}

impl Workload for HttpRequest {
    type Future = BoxFuture<'static, Outcome>;
    type Output = Outcome;

    fn call(&self, ctx: Ctx) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.send(&ctx).await })
    }

    fn check(&self) -> Result<(), String> {
        if self.spec.problems.is_empty() {
            Ok(())
        } else {
            Err(spike_core::redact::redact(&self.spec.problems.join("; ")).into_owned())
        }
    }
}
