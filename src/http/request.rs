//! A request template: a [`Workload`] that sends one HTTP request per
//! iteration and turns the answer into an [`Outcome`].

use std::borrow::Cow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue};
use spike_core::redact::REDACTED;
use spike_core::{Ctx, ErrorClass, IterError, Outcome, Workload};

use super::status::StatusSet;
use super::template::{Fill, Template};
use super::{classify, describe, Http, Method, CONNECTIONS_OPENED};

#[derive(Debug, Clone)]
enum Check {
    BodyContains(String),
    JsonPresent(String),
    JsonEq(String, serde_json::Value),
}

#[derive(Debug, Clone)]
struct Spec {
    method: Method,
    path: Template,
    /// The path template as messages show it: without its query string.
    path_text: String,
    /// Name, value template, and whether the value is secret.
    headers: Vec<(HeaderName, Template, bool)>,
    body: Option<Template>,
    expect: StatusSet,
    checks: Vec<Check>,
    tags: Vec<(Cow<'static, str>, String)>,
    tag_headers: Vec<HeaderName>,
    users: u64,
    values: Arc<[String]>,
    timeout: Option<Duration>,
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
        HttpRequest {
            http,
            spec: Arc::new(Spec {
                method,
                path: Template::parse(path),
                path_text: shown_path(path),
                headers: Vec::new(),
                body: None,
                expect: StatusSet::default(),
                checks: Vec::new(),
                tags: Vec::new(),
                tag_headers: Vec::new(),
                users: 1_000_000,
                values: Arc::from(Vec::new()),
                timeout: None,
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
        if template.is_static() {
            if let Err(e) = HeaderValue::from_str(value) {
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
        self.spec().headers.push((header, template, secret));
        self
    }

    /// Set the body; it is a template.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.spec().body = Some(Template::parse(&body.into()));
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

    /// Send the request once for `ctx` and return the outcome (what each
    /// iteration of a run does).
    pub async fn send(&self, ctx: &Ctx) -> Outcome {
        let outcome = send(&self.http, &self.spec, ctx).await;
        report_connections(&self.http, ctx);
        outcome
    }
}

fn report_connections(http: &Http, ctx: &Ctx) {
    let total = http.inner.opened.load(Ordering::Relaxed);
    let before = http.inner.reported.fetch_max(total, Ordering::Relaxed);
    if total > before {
        ctx.count(CONNECTIONS_OPENED, total - before);
    }
}

async fn send(http: &Http, spec: &Spec, ctx: &Ctx) -> Outcome {
    if spec.path.uses_value() && spec.values.is_empty() {
        return Outcome::err(
            IterError::new("request")
                .with_message("the template uses {value} but no values were given"),
        );
    }
    let fill = Fill {
        ctx,
        users: spec.users,
        values: &spec.values,
    };
    let text = format!("{}{}", http.inner.base, spec.path.render(&fill));
    let url = match reqwest::Url::parse(&text) {
        Ok(url) if same_authority(&url, &http.inner.authority) => url,
        _ => {
            return Outcome::err(IterError::new("request").with_message(format!(
                "{} {}: the rendered URL does not stay on the checked target host",
                spec.method, spec.path_text
            )))
        }
    };
    let mut req = http.inner.client.request(spec.method.clone(), url);
    for (name, value, secret) in &spec.headers {
        let text = value.render(&fill);
        match HeaderValue::from_str(&text) {
            Ok(mut v) => {
                v.set_sensitive(*secret);
                req = req.header(name.clone(), v);
            }
            Err(e) => {
                let shown = if *secret { REDACTED } else { text.as_str() };
                return Outcome::err(
                    IterError::new("request")
                        .with_message(format!("header `{name}` value `{shown}`: {e}")),
                );
            }
        }
    }
    if let Some(body) = &spec.body {
        req = req.body(body.render(&fill));
    }
    if let Some(t) = spec.timeout {
        req = req.timeout(t);
    }
    let mut tags = spec.tags.clone();
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return with_tags(Outcome::err(transport_error(e)), tags),
    };
    let status = resp.status().as_u16();
    for name in &spec.tag_headers {
        if let Some(v) = resp.headers().get(name).and_then(|v| v.to_str().ok()) {
            let secret = spike_core::redact::is_secret_header(name.as_str())
                || spec.headers.iter().any(|(n, _, s)| *s && n == name);
            let value = if secret { REDACTED } else { v };
            tags.push((Cow::Owned(name.as_str().to_owned()), value.to_owned()));
        }
    }
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return with_tags(Outcome::err(transport_error(e)), tags),
    };
    let outcome = if spec.expect.contains(status) {
        match run_checks(&spec.checks, &body) {
            Ok(()) => Outcome::ok(),
            Err(e) => Outcome::err(e),
        }
    } else {
        Outcome::err(
            IterError::of(ErrorClass::Http(status)).with_message(format!(
                "{} {} answered {status} (expected {}): {}",
                spec.method,
                spec.path_text,
                spec.expect,
                snippet(&body)
            )),
        )
    };
    with_tags(outcome, tags)
}

fn with_tags(mut outcome: Outcome, tags: Vec<(Cow<'static, str>, String)>) -> Outcome {
    for (k, v) in tags {
        outcome.push_tag(k, v);
    }
    outcome
}

/// The error of a failed exchange, without the URL reqwest puts in its
/// message (it may carry a token in its query).
fn transport_error(e: reqwest::Error) -> IterError {
    let class = classify(&e);
    IterError::of(class).with_message(describe(&e.without_url()))
}

/// A path template for messages: the query string (and fragment) replaced.
fn shown_path(path: &str) -> String {
    match path.find(['?', '#']) {
        Some(i) => format!("{}?{REDACTED}", &path[..i]),
        None => path.to_owned(),
    }
}

/// Whether `url` goes to the checked host and port.
fn same_authority(url: &reqwest::Url, authority: &(String, Option<u16>)) -> bool {
    url.host_str() == Some(authority.0.as_str()) && url.port_or_known_default() == authority.1
}

/// Register a secret header value, and its credential alone
/// (`Bearer <token>` → `<token>`), for redaction.
fn register_header_secret(value: &str) {
    spike_core::redact::register_secret(value);
    if let Some((_, credential)) = value.split_once(' ') {
        spike_core::redact::register_secret(credential.trim());
    }
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

fn run_checks(checks: &[Check], body: &[u8]) -> Result<(), IterError> {
    let mut json: Option<serde_json::Value> = None;
    for check in checks {
        match check {
            Check::BodyContains(text) => {
                if !String::from_utf8_lossy(body).contains(text.as_str()) {
                    return Err(IterError::new("check_body").with_message(format!(
                        "body does not contain `{text}`: {}",
                        snippet(body)
                    )));
                }
            }
            Check::JsonPresent(pointer) | Check::JsonEq(pointer, _) => {
                if json.is_none() {
                    json = Some(serde_json::from_slice(body).map_err(|e| {
                        IterError::new("check_json")
                            .with_message(format!("body is not JSON ({e}): {}", snippet(body)))
                    })?);
                }
                let doc = json.as_ref().expect("parsed just above");
                let found = doc.pointer(pointer);
                match (check, found) {
                    (_, None) => {
                        return Err(IterError::new("check_json").with_message(format!(
                            "no JSON value at `{pointer}`: {}",
                            snippet(body)
                        )))
                    }
                    (Check::JsonEq(_, want), Some(got)) if got != want => {
                        return Err(IterError::new("check_json")
                            .with_message(format!("JSON `{pointer}` is {got}, expected {want}")))
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_turn_into_named_classes() {
        let body = br#"{"token":"t-1","user":{"id":7}}"#;
        assert!(run_checks(&[Check::JsonPresent("/token".into())], body).is_ok());
        assert!(run_checks(&[Check::JsonEq("/user/id".into(), 7.into())], body).is_ok());
        let e = run_checks(&[Check::JsonEq("/user/id".into(), 8.into())], body).unwrap_err();
        assert_eq!(e.class().key(), "check_json");
        assert_eq!(e.message(), Some("JSON `/user/id` is 7, expected 8"));
        let e = run_checks(&[Check::JsonPresent("/nope".into())], body).unwrap_err();
        assert_eq!(e.class().key(), "check_json");
        let e = run_checks(&[Check::JsonPresent("/a".into())], b"not json").unwrap_err();
        assert_eq!(e.class().key(), "check_json");
        let e = run_checks(&[Check::BodyContains("bye".into())], b"hello").unwrap_err();
        assert_eq!(e.class().key(), "check_body");
        assert!(run_checks(&[Check::BodyContains("ell".into())], b"hello").is_ok());
    }

    #[test]
    fn snippets_are_short() {
        let long = "x".repeat(500);
        assert_eq!(snippet(long.as_bytes()).chars().count(), 121);
        assert_eq!(snippet(b"  short \n"), "short");
    }
}
