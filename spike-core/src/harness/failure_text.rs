//! The end of a failing spike test's message: where its reports are.

use std::any::Any;
use std::path::PathBuf;

/// The last line of a spike test's failure: where its reports are.
pub(crate) fn reports_line(reports: &[PathBuf]) -> String {
    match reports {
        [] => "No report was saved.".to_owned(),
        [one] => format!("report: {}", one.display()),
        many => {
            let mut line = "reports:".to_owned();
            for path in many {
                line.push_str("\n  ");
                line.push_str(&path.display().to_string());
            }
            line
        }
    }
}

/// The text of a panic payload, when it has one.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&'static str>().copied())
}

/// Make a body's panic end with the saved report paths (unless its message
/// already names them all), and say so on stderr too: the panic hook already
/// printed the original message, and resuming does not print again.
pub(crate) fn with_reports(
    payload: Box<dyn Any + Send>,
    reports: &[PathBuf],
    timeout: Option<&str>,
) -> Box<dyn Any + Send> {
    let Some(text) = payload_text(&*payload) else {
        if !reports.is_empty() {
            eprintln!("{}", reports_line(reports));
        }
        return payload;
    };
    let named = reports
        .iter()
        .all(|p| text.contains(&p.display().to_string()));
    let mut tail = String::new();
    if let Some(label) = timeout.filter(|l| !l.is_empty()) {
        tail.push_str(&format!(
            "(the test had reached its timeout of {label}; its runs were interrupted)\n"
        ));
    }
    if !named || (reports.is_empty() && !tail.is_empty()) {
        tail.push_str(&reports_line(reports));
    }
    if tail.is_empty() {
        return payload;
    }
    let tail = tail.trim_end().to_owned();
    eprintln!("{tail}");
    Box::new(format!("{text}\n{tail}"))
}
