//! Opening a page in a browser: `$BROWSER` when set (as `xdg-open` reads
//! it: commands separated by `:`, `%s` standing for the page, else the
//! page appended), else the system's default browser (the `opener` crate).

use std::path::Path;
use std::process::Command;

use crate::error::CliError;

/// Open `page`; fails when it does not exist or no browser started.
pub(crate) fn open(page: &Path) -> Result<(), CliError> {
    if !page.is_file() {
        return Err(CliError::Open {
            path: page.to_path_buf(),
            why: "the file does not exist".to_owned(),
        });
    }
    match std::env::var("BROWSER") {
        Ok(browsers) if !browsers.trim().is_empty() => with_browser_var(&browsers, page),
        _ => opener::open(page).map_err(|e| CliError::Open {
            path: page.to_path_buf(),
            why: e.to_string(),
        }),
    }
}

/// Try each command of `$BROWSER` in turn until one exits with success.
fn with_browser_var(browsers: &str, page: &Path) -> Result<(), CliError> {
    let target = page.to_string_lossy();
    let mut failures = Vec::new();
    for browser in browsers.split(':').map(str::trim).filter(|b| !b.is_empty()) {
        let (argv, substituted) = command_line(browser, &target);
        let Some((program, rest)) = argv.split_first() else {
            continue;
        };
        let mut cmd = Command::new(program);
        cmd.args(rest);
        if !substituted {
            cmd.arg(page);
        }
        match cmd.status() {
            Ok(status) if status.success() => return Ok(()),
            Ok(status) => failures.push(format!("`{browser}` exited with {status}")),
            Err(e) => failures.push(format!("`{browser}` did not start: {e}")),
        }
    }
    Err(CliError::Open {
        path: page.to_path_buf(),
        why: if failures.is_empty() {
            "$BROWSER names no command".to_owned()
        } else {
            format!("$BROWSER: {}", failures.join("; "))
        },
    })
}

/// A `$BROWSER` entry split on whitespace, each `%s` replaced by `target`;
/// whether any was.
fn command_line(browser: &str, target: &str) -> (Vec<String>, bool) {
    let mut substituted = false;
    let argv = browser
        .split_whitespace()
        .map(|w| {
            if w.contains("%s") {
                substituted = true;
                w.replace("%s", target)
            } else {
                w.to_owned()
            }
        })
        .collect();
    (argv, substituted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_s_stands_for_the_page_else_it_is_appended() {
        assert_eq!(
            command_line("firefox --new-tab %s", "/r.html"),
            (
                vec!["firefox".into(), "--new-tab".into(), "/r.html".into()],
                true
            )
        );
        assert_eq!(
            command_line("lynx", "/r.html"),
            (vec!["lynx".into()], false)
        );
    }
}
