//! Secrets never leave the process: one redaction pass for every URL and
//! error text that is stored in a report or printed.
//!
//! [`redact`] rewrites a text so that
//! * every URL-looking substring (`scheme://...`) loses its userinfo
//!   (`user:password@`), its query string and its fragment (the path
//!   stays; the query is kept only after [`set_keep_query_strings`]);
//! * the value after a secret header name (`Authorization`, `Cookie`,
//!   `Set-Cookie`, `Proxy-Authorization`) or after `password` / `passwd`
//!   (`password=...`, `password: ...`) is replaced;
//! * every secret registered with [`register_secret`] (drivers register
//!   connection-string passwords and the values of headers marked secret)
//!   is replaced wherever it appears.
//!
//! Every error message an iteration returns goes through [`redact`] when
//! it is attached ([`IterError::with_message`](crate::IterError::with_message)),
//! so the report's `error_samples`, every artifact and every failure
//! message carry only redacted text, whatever the workload wrote.
//!
//! ```
//! use spike_core::redact::redact;
//! assert_eq!(
//!     redact("error sending request for url (http://me:pw@127.0.0.1:1/a?access_token=t0k)"),
//!     "error sending request for url (http://[redacted]@127.0.0.1:1/a?[redacted])",
//! );
//! assert_eq!(redact("Authorization: Bearer abc.def"), "Authorization: [redacted]");
//! assert_eq!(redact("no secret here"), "no secret here");
//! ```

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Header names whose values are always secret (lowercase).
pub const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Secrets shorter than this are not registered: replacing every `a` of a
/// text would destroy it without protecting anything.
pub const MIN_SECRET_LEN: usize = 3;

static SECRETS: RwLock<BTreeSet<String>> = RwLock::new(BTreeSet::new());
static ANY_SECRET: AtomicBool = AtomicBool::new(false);
static KEEP_QUERY: AtomicBool = AtomicBool::new(false);

/// Whether `name` is a header whose value is always secret
/// (case-insensitive).
///
/// ```
/// assert!(spike_core::redact::is_secret_header("Set-Cookie"));
/// assert!(!spike_core::redact::is_secret_header("x-backend"));
/// ```
#[must_use]
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Remember `secret` for the rest of the process: [`redact`] replaces it
/// wherever it appears. Values shorter than [`MIN_SECRET_LEN`] are
/// ignored. Drivers call this for connection-string passwords and the
/// values of secret headers.
pub fn register_secret(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut set = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    if set.insert(secret.to_owned()) {
        ANY_SECRET.store(true, Ordering::Release);
    }
}

/// Keep query strings of URLs in redacted text (default: dropped, since
/// tokens often travel there). Userinfo and registered secrets are
/// redacted either way.
pub fn set_keep_query_strings(keep: bool) {
    KEEP_QUERY.store(keep, Ordering::Relaxed);
}

/// Redact a URL for storage: no userinfo, no fragment, and no query unless
/// [`set_keep_query_strings`] asked for it.
///
/// ```
/// use spike_core::redact::redact_url;
/// assert_eq!(redact_url("http://u:p@127.0.0.1:8080/api?k=v#f"), "http://[redacted]@127.0.0.1:8080/api?[redacted]");
/// assert_eq!(redact_url("http://127.0.0.1:8080/api"), "http://127.0.0.1:8080/api");
/// ```
#[must_use]
pub fn redact_url(url: &str) -> String {
    redact(url).into_owned()
}

/// Redact a text (see the [module docs](self)); borrowed when nothing
/// had to change.
#[must_use]
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if text.contains("://") {
        out = Cow::Owned(redact_urls(&out));
    }
    let lower = out.to_ascii_lowercase();
    if [
        "authorization",
        "cookie",
        "passw",
        "access_token",
        "api_key",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        out = Cow::Owned(redact_keyed_values(&out));
    }
    if ANY_SECRET.load(Ordering::Acquire) {
        let set = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
        for secret in set.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
    }
    out
}

fn ends_url(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ')' | ',' | ';')
}

fn redact_urls(text: &str) -> String {
    let keep_query = KEEP_QUERY.load(Ordering::Relaxed);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(ends_url).unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        let auth_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        let (authority, path) = url.split_at(auth_end);
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        let (path, query) = match path.find(['?', '#']) {
            Some(q) => path.split_at(q),
            None => (path, ""),
        };
        out.push_str(path);
        if !query.is_empty() {
            if keep_query && query.starts_with('?') {
                out.push_str(query.split('#').next().unwrap_or_default());
            } else {
                out.push('?');
                out.push_str(REDACTED);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Keys whose value (after `:` or `=`, to the end of the line for headers,
/// to the next space, `;` or `&` for passwords) is replaced.
const KEYS: [(&str, bool); 8] = [
    ("proxy-authorization", true),
    ("authorization", true),
    ("set-cookie", true),
    ("cookie", true),
    ("password", false),
    ("passwd", false),
    ("access_token", false),
    ("api_key", false),
];

fn redact_keyed_values(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut copied = 0;
    while pos < text.len() {
        let hit = KEYS.iter().find(|(k, _)| lower[pos..].starts_with(k));
        let Some((key, to_eol)) = hit else {
            pos += text[pos..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut v = pos + key.len();
        // Optional quote and spaces, then `:` or `=`.
        while v < bytes.len() && matches!(bytes[v], b' ' | b'"' | b'\'' | b'`') {
            v += 1;
        }
        if v >= bytes.len() || !matches!(bytes[v], b':' | b'=') {
            pos += key.len();
            continue;
        }
        v += 1;
        while v < bytes.len() && matches!(bytes[v], b' ' | b'"' | b'\'' | b'`') {
            v += 1;
        }
        let stop = |b: u8| {
            if *to_eol {
                matches!(b, b'\n' | b'\r' | b'"' | b'\'' | b'`')
            } else {
                matches!(
                    b,
                    b' ' | b'\n' | b'\r' | b';' | b'&' | b'"' | b'\'' | b'`' | b','
                )
            }
        };
        let mut end = v;
        while end < bytes.len() && !stop(bytes[end]) {
            end += 1;
        }
        if end > v {
            out.push_str(&text[copied..v]);
            out.push_str(REDACTED);
            copied = end;
        }
        pos = end.max(pos + key.len());
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_userinfo_query_and_fragment_but_keep_the_path() {
        assert_eq!(
            redact("GET ws://u:secret@[::1]:9/chat?t=1#x failed; retry"),
            "GET ws://[redacted]@[::1]:9/chat?[redacted] failed; retry"
        );
        assert_eq!(
            redact("a http://h/p b https://x@y/q?z c"),
            "a http://h/p b https://[redacted]@y/q?[redacted] c"
        );
        assert_eq!(
            redact("postgres://pg:pw@127.0.0.1/db"),
            "postgres://[redacted]@127.0.0.1/db"
        );
    }

    #[test]
    fn keyed_values_are_replaced() {
        assert_eq!(
            redact("header `authorization` value `Bearer x\ny`: invalid"),
            "header `authorization` value `Bearer x\ny`: invalid",
            "a name without `:`/`=` is not a key"
        );
        assert_eq!(
            redact("cookie: sid=abc; other=1\nnext"),
            "cookie: [redacted]\nnext"
        );
        assert_eq!(
            redact("host=127.0.0.1 password=hunter22 user=pg"),
            "host=127.0.0.1 password=[redacted] user=pg"
        );
        assert_eq!(
            redact("Proxy-Authorization=Basic Zm9v"),
            "Proxy-Authorization=[redacted]"
        );
        assert_eq!(redact("pässword: é"), "pässword: é");
        assert_eq!(
            redact("GET /orders?access_token=abc&x=1 answered 500"),
            "GET /orders?access_token=[redacted]&x=1 answered 500"
        );
    }

    #[test]
    fn registered_secrets_are_replaced_everywhere() {
        register_secret("ab");
        assert_eq!(redact("ab"), "ab", "too short to register");
        register_secret("s3cr3t-registered");
        assert_eq!(
            redact("token s3cr3t-registered in text"),
            "token [redacted] in text"
        );
    }
}
