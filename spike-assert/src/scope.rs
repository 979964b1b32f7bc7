//! Scopes: which iterations every later check of a chain looks at, and the
//! words of the table's scope column.

use spike_core::{Report, Stats, WindowStats};

use crate::units::{fmt_us, us_of};

/// The stats a scope covers, each with its window when per window, and how
/// many windows were skipped for having no iteration due.
pub(crate) type Targets<'a> = (Vec<(&'a Stats, Option<&'a WindowStats>)>, usize);

/// Which iterations every later check of a chain looks at, until the next
/// scope method. Run-level checks (recovery, the regression gate) ignore it
/// and say so with [`Scope::run_level_label`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    Run,
    Phase(String),
    EveryWindow(Option<String>),
    Window(u64),
}

/// `#3 (300ms–400ms)`
pub(crate) fn window_label(w: &WindowStats) -> String {
    format!(
        "window #{} ({}–{})",
        w.index,
        fmt_us(us_of(w.start)),
        fmt_us(us_of(w.end))
    )
}

fn no_phase(report: &Report, name: &str) -> String {
    let names: Vec<&str> = report.phases.iter().map(|p| p.name.as_str()).collect();
    format!(
        "no phase named `{name}`; the phases are: {}",
        names.join(", ")
    )
}

impl Scope {
    /// The table's scope column for a check evaluated in this scope.
    pub(crate) fn label(&self) -> String {
        match self {
            Scope::Run => "run".to_owned(),
            Scope::Phase(p) => format!("phase {p}"),
            Scope::EveryWindow(None) => "every window".to_owned(),
            Scope::EveryWindow(Some(p)) => format!("every window of {p}"),
            Scope::Window(i) => format!("window #{i}"),
        }
    }

    /// The table's scope column for a check of the named request
    /// `request` (if any) in this scope: `request checkout` in the run
    /// scope, `request checkout, phase burst` in another.
    pub(crate) fn label_for(&self, request: Option<&str>) -> String {
        match (request, self) {
            (None, _) => self.label(),
            (Some(r), Scope::Run) => format!("request {r}"),
            (Some(r), other) => format!("request {r}, {}", other.label()),
        }
    }

    /// The scope column of a run-level check, which looks at the whole run
    /// whatever the scope: `what` (`run`, ``run vs baseline `main` ``) alone
    /// in the run scope, else followed by `(ignores phase burst)`.
    pub(crate) fn run_level_label(&self, what: &str) -> String {
        match self {
            Scope::Run => what.to_owned(),
            other => format!("{what} (ignores {})", other.label()),
        }
    }

    /// The stats this scope covers, each with its window when per window,
    /// plus how many windows without load were skipped.
    pub(crate) fn targets<'a>(&self, report: &'a Report) -> Result<Targets<'a>, String> {
        match self {
            Scope::Run => Ok((vec![(&report.total, None)], 0)),
            Scope::Phase(name) => match report.phase(name) {
                Some(p) => Ok((vec![(&p.stats, None)], 0)),
                None => Err(no_phase(report, name)),
            },
            Scope::Window(i) => match report.windows.iter().find(|w| w.index == *i) {
                Some(w) => Ok((vec![(&w.stats, Some(w))], 0)),
                None => Err(format!(
                    "no window #{i}; the run has {} windows, #0 to #{}",
                    report.windows.len(),
                    report.windows.len().saturating_sub(1)
                )),
            },
            Scope::EveryWindow(phase) => {
                if let Some(name) = phase {
                    if report.phase(name).is_none() {
                        return Err(no_phase(report, name));
                    }
                }
                let all: Vec<&WindowStats> = report
                    .windows
                    .iter()
                    .filter(|w| phase.as_ref().is_none_or(|p| &w.phase == p))
                    .collect();
                let loaded: Vec<(&Stats, Option<&WindowStats>)> = all
                    .iter()
                    .filter(|w| w.stats.scheduled > 0)
                    .map(|w| (&w.stats, Some(*w)))
                    .collect();
                if loaded.is_empty() {
                    return Err(match phase {
                        Some(p) => format!("no window of phase `{p}` had any iteration due"),
                        None => "no window had any iteration due".to_owned(),
                    });
                }
                Ok((loaded.clone(), all.len() - loaded.len()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_level_checks_name_the_scope_they_ignore() {
        assert_eq!(Scope::Run.run_level_label("run"), "run");
        assert_eq!(
            Scope::Phase("burst".into()).run_level_label("run"),
            "run (ignores phase burst)"
        );
        assert_eq!(
            Scope::EveryWindow(None).run_level_label("run vs baseline `main`"),
            "run vs baseline `main` (ignores every window)"
        );
    }

    #[test]
    fn a_request_scope_names_the_request_first() {
        assert_eq!(Scope::Run.label_for(None), "run");
        assert_eq!(Scope::Run.label_for(Some("checkout")), "request checkout");
        assert_eq!(
            Scope::Phase("burst".into()).label_for(Some("checkout")),
            "request checkout, phase burst"
        );
        assert_eq!(
            Scope::EveryWindow(Some("burst".into())).label_for(Some("checkout")),
            "request checkout, every window of burst"
        );
        assert_eq!(
            Scope::Window(4).label_for(Some("checkout")),
            "request checkout, window #4"
        );
    }
}
