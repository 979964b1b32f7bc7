//! The tags of `latency.hlog` intervals: a phase's, a named request's
//! (`request=<name>`), and the `;fault=<names>` suffix of a window with
//! active faults; how they are made and read back.

/// An interval-log tag made of a phase name: the characters the format
/// forbids in tags (`,`, space, CR, LF) and `;` (which starts the fault
/// suffix, [`with_faults`]) become `_`, and a phase named like
/// a request tag (`request=..`) gets `request_..`.
#[must_use]
pub fn phase_tag(phase: &str) -> String {
    let phase = match phase.strip_prefix(REQUEST_TAG_PREFIX) {
        Some(rest) => std::borrow::Cow::Owned(format!("request_{rest}")),
        None => std::borrow::Cow::Borrowed(phase),
    };
    phase
        .chars()
        .map(|c| {
            if matches!(c, ',' | ' ' | '\r' | '\n' | ';') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Prefix of the tags of named-request intervals.
pub const REQUEST_TAG_PREFIX: &str = "request=";

/// The interval-log tag of a named request: `request=` and the name with
/// `%`, `,`, space, CR, LF and `;` percent-encoded (`%25`, `%2C`, `%20`,
/// `%0D`, `%0A`, `%3B`), so every name gets its own tag and reads back
/// exactly
/// ([`LoggedInterval::request`](super::LoggedInterval::request)).
///
/// ```
/// use spike_core::artifacts::request_tag;
/// assert_eq!(request_tag("checkout"), "request=checkout");
/// assert_eq!(request_tag("GET /a,b"), "request=GET%20/a%2Cb");
/// ```
#[must_use]
pub fn request_tag(name: &str) -> String {
    let mut tag = String::with_capacity(REQUEST_TAG_PREFIX.len() + name.len());
    tag.push_str(REQUEST_TAG_PREFIX);
    encode_into(&mut tag, name);
    tag
}

/// Separates a tag from the faults active in its window.
pub const FAULT_TAG_SEPARATOR: &str = ";fault=";

/// `tag` followed by the faults active in its window: `<tag>;fault=a+b`,
/// each name percent-encoded as in [`request_tag`], and `+` as `%2B`;
/// `tag` itself when there is none.
///
/// ```
/// use spike_core::artifacts::with_faults;
/// assert_eq!(with_faults("burst", &[]), "burst");
/// assert_eq!(
///     with_faults("burst", &["db-cut".to_owned(), "slow disk".to_owned()]),
///     "burst;fault=db-cut+slow%20disk"
/// );
/// ```
#[must_use]
pub fn with_faults(tag: &str, faults: &[String]) -> String {
    if faults.is_empty() {
        return tag.to_owned();
    }
    let mut out = String::from(tag);
    out.push_str(FAULT_TAG_SEPARATOR);
    for (i, name) in faults.iter().enumerate() {
        if i > 0 {
            out.push('+');
        }
        let mut encoded = String::with_capacity(name.len());
        encode_into(&mut encoded, name);
        out.push_str(&encoded.replace('+', "%2B"));
    }
    out
}

/// Percent-encode the characters a tag cannot hold or that separate its
/// parts.
pub(super) fn encode_into(tag: &mut String, name: &str) {
    for c in name.chars() {
        match c {
            '%' => tag.push_str("%25"),
            ',' => tag.push_str("%2C"),
            ' ' => tag.push_str("%20"),
            '\r' => tag.push_str("%0D"),
            '\n' => tag.push_str("%0A"),
            ';' => tag.push_str("%3B"),
            c => tag.push(c),
        }
    }
}

/// The request name a [`request_tag`] holds, `None` for other tags.
pub(super) fn request_of_tag(tag: &str) -> Option<String> {
    Some(decode(tag.strip_prefix(REQUEST_TAG_PREFIX)?))
}

/// The tag without its fault suffix, and the faults of the suffix.
pub(super) fn split_faults(tag: &str) -> (&str, Vec<String>) {
    match tag.split_once(FAULT_TAG_SEPARATOR) {
        Some((base, faults)) => (base, faults.split('+').map(decode).collect()),
        None => (tag, Vec::new()),
    }
}

/// Undo [`encode_into`] (an unknown escape stays as written).
pub(super) fn decode(encoded: &str) -> String {
    let mut name = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(i) = rest.find('%') {
        name.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3);
        let decoded = match code {
            Some("25") => Some('%'),
            Some("2C") => Some(','),
            Some("20") => Some(' '),
            Some("0D") => Some('\r'),
            Some("0A") => Some('\n'),
            Some("3B") => Some(';'),
            Some("2B") => Some('+'),
            _ => None,
        };
        match decoded {
            Some(c) => {
                name.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                name.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    name.push_str(rest);
    name
}
