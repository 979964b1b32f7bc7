//! Text to [`ScenarioFile`]: TOML syntax and serde errors become
//! [`SpikeError::ScenarioFile`] with line, column and, for a misspelt key
//! or value, the closest known one.

use super::source::FileSource;
use super::types::ScenarioFile;
use crate::error::SpikeError;

/// Parse `text` as a scenario file (no semantic checks yet).
pub(super) fn parse_types(source: &FileSource, text: &str) -> Result<ScenarioFile, SpikeError> {
    toml::from_str::<ScenarioFile>(text).map_err(|e| {
        let message = plain(e.message().trim());
        let suggestion = did_you_mean(&message);
        source.error_span(e.span(), message, suggestion)
    })
}

/// Serde's type names in words a file's author uses.
fn plain(message: &str) -> String {
    let mut text = message.to_owned();
    for (rust, words) in [
        ("expected f64", "expected a number"),
        ("expected u32", "expected a whole number, zero or above"),
        ("expected u16", "expected a whole number (an HTTP status)"),
        ("expected a string", "expected text in quotes"),
        ("expected a boolean", "expected true or false"),
    ] {
        text = text.replace(rust, words);
    }
    text
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" and "unknown
/// variant `x`, expected `a` or `b`": the closest expected word, if close.
pub(crate) fn did_you_mean(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field ")
        .or_else(|| message.strip_prefix("unknown variant "))?;
    let mut words = backticked(rest);
    let given = words.next()?;
    closest(given, words)
}

/// The known word closest to `given`, when it is close enough to be a typo.
pub fn closest<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = given.to_lowercase();
    known
        .into_iter()
        .map(|k| {
            (
                strsim::normalized_damerau_levenshtein(&lower, &k.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score >= 0.5)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_owned())
}

/// The words between backticks, in order.
fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_field_or_variant() {
        let m = "unknown field `rsp`, expected one of `kind`, `rps`, `users`, `duration`";
        assert_eq!(did_you_mean(m).as_deref(), Some("rps"));
        let m = "unknown variant `hodl`, expected one of `ramp`, `hold`, `burst`, `recover`";
        assert_eq!(did_you_mean(m).as_deref(), Some("hold"));
        let m = "unknown field `zzzzzz`, expected `name` or `path`";
        assert_eq!(did_you_mean(m), None);
        assert_eq!(did_you_mean("invalid type: string"), None);
    }
}
