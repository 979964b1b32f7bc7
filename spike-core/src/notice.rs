//! Notices a user must see, and whether this is a CI run.
//!
//! libtest captures `eprintln!` of a passing test and shows it only when the
//! test fails, so a skip or a warning printed that way is never seen. A
//! [`notice`] goes to the process's raw standard-error handle instead, which
//! libtest does not capture.

use std::io::Write as _;

/// Whether the `CI` environment variable says this is a CI run: `true`,
/// `1` or `yes`, in any case (what GitHub Actions, GitLab CI and most
/// others set).
///
/// ```
/// assert!(spike_core::notice::ci_value_means_ci("TRUE"));
/// assert!(spike_core::notice::ci_value_means_ci("yes"));
/// assert!(!spike_core::notice::ci_value_means_ci("0"));
/// assert!(!spike_core::notice::ci_value_means_ci(""));
/// ```
#[must_use]
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| ci_value_means_ci(&v))
}

/// Whether a value of `CI` means a CI run (see [`is_ci`]).
#[must_use]
pub fn ci_value_means_ci(value: &str) -> bool {
    let value = value.trim();
    ["true", "1", "yes"]
        .iter()
        .any(|yes| value.eq_ignore_ascii_case(yes))
}

/// Write `message` to the raw standard-error handle, one line (or several)
/// prefixed with `spike: `, so that it is seen even when the test that
/// prints it passes. Errors writing are ignored: a notice never fails a run.
pub fn notice(message: &str) {
    let mut text = String::with_capacity(message.len() + 8);
    for line in message.lines() {
        if !line.starts_with("spike:") {
            text.push_str("spike: ");
        }
        text.push_str(line);
        text.push('\n');
    }
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_values() {
        for yes in ["true", "True", "TRUE", "1", "yes", "YES", " true "] {
            assert!(ci_value_means_ci(yes), "{yes}");
        }
        for no in ["", "0", "false", "no", "off", "truee"] {
            assert!(!ci_value_means_ci(no), "{no}");
        }
    }
}
