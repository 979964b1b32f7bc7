//! One iteration of a request: fill the template, send it on a pooled (or
//! new) connection, read the answer, judge it.

use std::borrow::Cow;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, InvalidHeaderValue, AUTHORIZATION, HOST};
use hyper::http::uri::{PathAndQuery, Uri};
use hyper::Request;
use spike_core::redact::REDACTED;
use spike_core::{Ctx, ErrorClass, IterError, Outcome};
use tokio::time::Instant;

use super::checks::{run_checks, snippet};
use super::pool::hyper_error;
use super::request::Spec;
use super::target::{Body, Target};
use super::template::Fill;
use super::Http;

type Tags = Vec<(Cow<'static, str>, String)>;

/// Send `spec` once for `ctx`: the one place where a request's outcome is
/// known.
pub(super) async fn send(http: &Http, spec: &Spec, ctx: &Ctx) -> Outcome {
    let mut tags = spec.tags.clone();
    let outcome = match build(http, spec, ctx) {
        Ok(req) => {
            let timeout = spec.timeout.unwrap_or(http.inner.timeout);
            let timers = &http.inner.timers;
            let mut timer = timers.start(Instant::now() + timeout);
            let answered = tokio::select! {
                biased;
                r = exchange(http, spec, ctx, req, &mut tags) => Some(r),
                () = timer.sleep.as_mut() => None,
            };
            timers.keep(timer);
            match answered {
                Some(Ok(())) => Outcome::ok(),
                Some(Err(e)) => Outcome::err(e),
                None => Outcome::err(IterError::of(ErrorClass::Timeout).with_message(format!(
                    "{} {}: no complete answer within {timeout:?}",
                    spec.method, spec.path_text
                ))),
            }
        }
        Err(e) => Outcome::err(e),
    };
    let mut outcome = outcome;
    for (k, v) in tags {
        outcome.push_tag(k, v);
    }
    outcome
}

/// The request of this iteration: the pre-built parts cloned, the
/// templated ones rendered.
fn build(http: &Http, spec: &Spec, ctx: &Ctx) -> Result<Request<Body>, IterError> {
    let request_error = |msg: String| IterError::new("request").with_message(msg);
    if spec.path.uses_value() && spec.values.is_empty() {
        return Err(request_error(
            "the template uses {value} but no values were given".to_owned(),
        ));
    }
    let fill = Fill {
        ctx,
        users: spec.users,
        values: &spec.values,
    };
    let target = &http.inner.pool.target;
    let uri = match &spec.uri {
        Some(uri) => uri.clone(),
        None => {
            let mut path = String::with_capacity(target.prefix.len() + 48);
            spec.path.render_into(&fill, &mut path);
            make_uri(target, path, target.http2)
                .map_err(|e| request_error(format!("{} {}: {e}", spec.method, spec.path_text)))?
        }
    };
    let body = match (&spec.fixed_body, &spec.body) {
        (Some(fixed), _) => fixed.clone(),
        (None, Some(template)) => Bytes::from(template.render(&fill)),
        (None, None) => Bytes::new(),
    };
    let mut req = Request::new(Full::new(body));
    *req.method_mut() = spec.method.clone();
    *req.uri_mut() = uri;
    let headers = req.headers_mut();
    if !target.http2 {
        headers.insert(HOST, target.host_header.clone());
    }
    if let (Some(auth), false) = (&target.basic_auth, spec.sets_authorization) {
        headers.insert(AUTHORIZATION, auth.clone());
    }
    for header in &spec.headers {
        let value = match &header.fixed {
            Some(v) => v.clone(),
            None => match header_value(header.template.render(&fill)) {
                Ok(mut v) => {
                    v.set_sensitive(header.secret);
                    v
                }
                Err((e, text)) => {
                    let shown = if header.secret {
                        REDACTED
                    } else {
                        text.as_str()
                    };
                    return Err(request_error(format!(
                        "header `{}` value `{shown}`: {e}",
                        header.name
                    )));
                }
            },
        };
        if header.name == HOST {
            headers.insert(HOST, value);
        } else {
            headers.append(header.name.clone(), value);
        }
    }
    Ok(req)
}

/// A rendered header value: valid text is moved into the value, not
/// copied; invalid text comes back for the message.
fn header_value(text: String) -> Result<HeaderValue, (InvalidHeaderValue, String)> {
    if text.bytes().all(|b| b == b'\t' || (b >= 32 && b != 127)) {
        HeaderValue::from_maybe_shared(Bytes::from(text)).map_err(|e| (e, String::new()))
    } else {
        HeaderValue::from_str(&text).map_err(|e| (e, text))
    }
}

/// The request target of a rendered path (which starts with `/`): the
/// base path prepended, origin-form for HTTP/1.1 (the connection is ours,
/// so the host cannot change), absolute for HTTP/2 (`:scheme` and
/// `:authority` are the checked target's). A path with characters a URI
/// cannot carry is percent-encoded as the WHATWG URL parser does.
pub(super) fn make_uri(target: &Target, path: String, http2: bool) -> Result<Uri, String> {
    if !path.starts_with('/') {
        return Err("the rendered path does not start with `/`".to_owned());
    }
    let full = if target.prefix.is_empty() {
        path
    } else {
        format!("{}{path}", target.prefix)
    };
    let pq = match PathAndQuery::from_maybe_shared(Bytes::from(full.clone())) {
        Ok(pq) => pq,
        Err(_) => {
            let url = url::Url::parse(&format!("http://h{full}")).map_err(|e| e.to_string())?;
            let mut text = url.path().to_owned();
            if let Some(q) = url.query() {
                text.push('?');
                text.push_str(q);
            }
            PathAndQuery::try_from(text).map_err(|e| e.to_string())?
        }
    };
    let mut parts = hyper::http::uri::Parts::default();
    if http2 {
        parts.scheme = Some(target.scheme.clone());
        parts.authority = Some(target.authority.clone());
    }
    parts.path_and_query = Some(pq);
    Uri::from_parts(parts).map_err(|e| e.to_string())
}

/// Send, read the answer whole, judge it; tags from response headers go
/// to `tags` (kept when the answer fails a check).
async fn exchange(
    http: &Http,
    spec: &Spec,
    ctx: &Ctx,
    req: Request<Body>,
    tags: &mut Tags,
) -> Result<(), IterError> {
    let pool = &http.inner.pool;
    let (resp, lease) = pool.exchange(ctx, req).await?;
    let status = resp.status().as_u16();
    for name in &spec.tag_headers {
        if let Some(v) = resp.headers().get(name).and_then(|v| v.to_str().ok()) {
            let secret = spike_core::redact::is_secret_header(name.as_str())
                || spec.headers.iter().any(|h| h.secret && h.name == name);
            let value = if secret { REDACTED } else { v };
            tags.push((Cow::Owned(name.as_str().to_owned()), value.to_owned()));
        }
    }
    let expected = spec.expect.contains(status);
    if expected && spec.checks.is_empty() {
        drain(resp.into_body()).await?;
        pool.release(lease);
        return Ok(());
    }
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| hyper_error(&e))?
        .to_bytes();
    pool.release(lease);
    if expected {
        run_checks(&spec.checks, &body)
    } else {
        Err(
            IterError::of(ErrorClass::Http(status)).with_message(format!(
                "{} {} answered {status} (expected {}): {}",
                spec.method,
                spec.path_text,
                spec.expect,
                snippet(&body)
            )),
        )
    }
}

/// Read a body to its end without keeping it.
async fn drain(mut body: Incoming) -> Result<(), IterError> {
    while let Some(frame) = body.frame().await {
        frame.map_err(|e| hyper_error(&e))?;
    }
    Ok(())
}
