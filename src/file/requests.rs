//! The file's `[[request]]` entries, checked where they are written, and
//! turned into a weighted [`Mix`] of HTTP requests on one client.

use std::time::Duration;

use spike_core::scenario_file::{key, FileMethod, FileRequest, FileSource, Seg};
use spike_core::{Mix, SpikeError};

use crate::http::{Http, HttpRequest, Method, StatusSet};

/// A request ready to be built: names checked, `${env:..}` read.
#[derive(Clone)]
pub(super) struct Request {
    pub(super) name: String,
    method: Method,
    path: String,
    pub(super) weight: u32,
    /// (name, value, secret)
    headers: Vec<(String, String, bool)>,
    body: Option<String>,
    statuses: Vec<u16>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for Request {
    /// Names only: header values may be secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("name", &self.name)
            .field("method", &self.method)
            .field("weight", &self.weight)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// The headers: name, value, whether the value is secret.
    #[cfg(test)]
    pub(super) fn headers(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.headers
            .iter()
            .map(|(n, v, s)| (n.as_str(), v.as_str(), *s))
    }
}

/// Check every request of the file; `read_env` gives an environment
/// variable's value (`None` when unset).
pub(super) fn check(
    requests: &[FileRequest],
    src: &FileSource,
    read_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Request>, SpikeError> {
    if requests.is_empty() {
        let msg = "the file has no `[[request]]`: add at least one with a `name` and a `path`";
        return Err(src.error_at(&[], msg, None));
    }
    let mut out: Vec<Request> = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let at = |k: &str| vec![key("request"), Seg::Index(i), key(k)];
        if r.name.trim().is_empty() {
            return Err(src.error_at(&at("name"), "a request's `name` must not be empty", None));
        }
        if out.iter().any(|o| o.name == r.name) {
            let msg = format!("two requests are named `{}`: names must be unique", r.name);
            return Err(src.error_at(&at("name"), msg, None));
        }
        if !r.path.starts_with('/') {
            let msg = format!("request `{}`: `path` must start with `/`", r.name);
            return Err(src.error_at(&at("path"), msg, None));
        }
        if r.weight == 0 {
            let msg = format!("request `{}`: `weight` must be at least 1", r.name);
            return Err(src.error_at(&at("weight"), msg, None));
        }
        if let Some(s) = r.expect_status.iter().find(|s| !(100..=599).contains(*s)) {
            let msg = format!(
                "request `{}`: status {s} is not an HTTP status (100 to 599)",
                r.name
            );
            return Err(src.error_at(&at("expect_status"), msg, None));
        }
        let mut headers = Vec::new();
        for (table, secret) in [("headers", false), ("secret_headers", true)] {
            let map = if secret {
                &r.secret_headers
            } else {
                &r.headers
            };
            for (name, value) in map {
                let path = [key("request"), Seg::Index(i), key(table), key(name)];
                if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    let msg = format!("request `{}`: `{name}` is not a header name", r.name);
                    return Err(src.error_at(&path, msg, None));
                }
                let (value, from_env) = substitute(value, read_env).map_err(|msg| {
                    src.error_at(&path, format!("request `{}`: {msg}", r.name), None)
                })?;
                headers.push((name.clone(), value, secret || from_env));
            }
        }
        let body = match (&r.body, &r.json) {
            (Some(_), Some(_)) => {
                let msg = format!(
                    "request `{}` gives both `body` and `json`: keep one",
                    r.name
                );
                return Err(src.error_at(&at("json"), msg, None));
            }
            (Some(b), None) => Some(b.clone()),
            (None, Some(j)) => {
                if !headers
                    .iter()
                    .any(|h| h.0.eq_ignore_ascii_case("content-type"))
                {
                    headers.push(("content-type".into(), "application/json".into(), false));
                }
                Some(j.to_string())
            }
            (None, None) => None,
        };
        out.push(Request {
            name: r.name.clone(),
            method: method(r.method),
            path: r.path.clone(),
            weight: r.weight,
            headers,
            body,
            statuses: r.expect_status.clone(),
            timeout: r.timeout.map(|t| t.0),
        });
    }
    Ok(out)
}

fn method(m: FileMethod) -> Method {
    match m {
        FileMethod::Get => Method::GET,
        FileMethod::Post => Method::POST,
        FileMethod::Put => Method::PUT,
        FileMethod::Delete => Method::DELETE,
        FileMethod::Patch => Method::PATCH,
        FileMethod::Head => Method::HEAD,
        FileMethod::Options => Method::OPTIONS,
    }
}

/// Replace each `${env:NAME}` with the variable's value; whether any was
/// replaced. The error names the variable, never a value.
pub(super) fn substitute(
    text: &str,
    read_env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, bool), String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut used = false;
    while let Some(start) = rest.find("${env:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 6..];
        let Some(end) = after.find('}') else {
            return Err("`${env:` without its closing `}`".to_owned());
        };
        let var = &after[..end];
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "`${{env:{}}}`: a variable name is letters, digits and `_`",
                var.escape_debug()
            ));
        }
        let Some(value) = read_env(var) else {
            return Err(format!(
                "environment variable {var} is not set (or not Unicode)"
            ));
        };
        out.push_str(&value);
        used = true;
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, used))
}

/// The weighted mix of the requests on `http`.
pub(super) fn mix(http: &Http, requests: &[Request]) -> Mix {
    requests
        .iter()
        .fold(Mix::new(), |mix, r| mix.weight(r.weight, build(http, r)))
}

fn build(http: &Http, r: &Request) -> HttpRequest {
    let mut req = http
        .request(r.method.clone(), r.path.clone())
        .name(r.name.clone());
    for (name, value, secret) in &r.headers {
        req = if *secret {
            req.secret_header(name, value.clone())
        } else {
            req.header(name, value.clone())
        };
    }
    if let Some(body) = &r.body {
        req = req.body(body.clone());
    }
    if let Some((first, rest)) = r.statuses.split_first() {
        let set = rest
            .iter()
            .fold(StatusSet::from(*first), |set, s| set.with(*s));
        req = req.expect_status(set);
    }
    if let Some(t) = r.timeout {
        req = req.timeout(t);
    }
    req
}
