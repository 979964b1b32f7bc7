//! Where spike writes: the spike home and safe folder names.

use std::path::PathBuf;

/// Folder all spike artifacts go under: `$SPIKE_HOME`, else
/// `$CARGO_TARGET_DIR/spike`, else `target/spike` in the current directory
/// (cargo runs tests from the package root).
#[must_use]
pub fn spike_home() -> PathBuf {
    if let Some(home) = std::env::var_os("SPIKE_HOME") {
        return PathBuf::from(home);
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("spike")
}

/// Make a test or scenario name safe as one folder name.
///
/// ```
/// assert_eq!(spike_core::folder_name("api::login burst"), "api__login_burst");
/// ```
#[must_use]
pub fn folder_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
