//! Live progress while a run goes on.
//!
//! * On a terminal: one status line per running scenario (indicatif),
//!   redrawn at most 4 times a second: phase, elapsed/planned, the target
//!   now, completions per second now (over the last second), in flight,
//!   and, labelled with its time span, the last *closed* window's offered
//!   rate, p95 and error rate. A window closes once every iteration due in
//!   it finished, so under overload it lags behind the present: the label
//!   keeps a reader from taking its numbers for now.
//! * Not a terminal (CI logs): the same facts as one plain line every
//!   `SPIKE_PROGRESS_INTERVAL` seconds (default 5), and a closing line when
//!   the run ends. Plain lines go straight to the process's standard error,
//!   not through the test harness's output capture, so CI logs show them.
//! * `SPIKE_PROGRESS=0` (or `off`, `false`, `no`) switches it off;
//!   `SPIKE_PROGRESS=plain` forces plain lines on a terminal too.
//!
//! Inside `#[spike_test]` `Scenario::run` turns it on by default. It runs in
//! the run's aggregation task once per tick (≤ 250 ms), never on the
//! iteration hot path.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::Progress;
use crate::error::{env_text, SpikeError};
use crate::fmt::duration_us;

use crate::shape::level::Model;

const PROGRESS_EXPECTED: &str =
    "0, off, false or no (no progress), plain (plain lines), or 1, on, true, yes or auto (the default)";
const INTERVAL_EXPECTED: &str = "a number of seconds from 0.1 to 86400";

/// Default time between two plain progress lines.
pub const DEFAULT_PROGRESS_INTERVAL: Duration = Duration::from_secs(5);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Nothing is shown.
    Off,
    /// An updating status line on the terminal (standard error).
    Bar,
    /// One plain line every `interval`.
    Plain {
        /// Time between two lines.
        interval: Duration,
    },
}

impl ProgressMode {
    /// The mode `SPIKE_PROGRESS` and `SPIKE_PROGRESS_INTERVAL` ask for:
    /// off for `0`/`off`/`false`/`no`, plain lines for `plain` or when
    /// standard error is not a terminal, else the status line. A value
    /// [`ProgressMode::parse`] refuses falls back to the default here;
    /// `Scenario::run` refuses it first, through [`ProgressMode::try_from_env`].
    #[must_use]
    pub fn from_env() -> Self {
        Self::try_from_env().unwrap_or_else(|_| {
            ProgressMode::decide(
                "",
                std::io::stderr().is_terminal(),
                DEFAULT_PROGRESS_INTERVAL,
            )
        })
    }

    /// [`ProgressMode::from_env`], refusing a bad value.
    ///
    /// # Errors
    /// [`SpikeError::BadEnv`] as [`ProgressMode::parse`] says, or for a
    /// value that is not Unicode.
    pub fn try_from_env() -> Result<Self, SpikeError> {
        let setting = env_text("SPIKE_PROGRESS", PROGRESS_EXPECTED)?;
        let interval = env_text("SPIKE_PROGRESS_INTERVAL", INTERVAL_EXPECTED)?;
        ProgressMode::parse(
            setting.as_deref(),
            interval.as_deref(),
            std::io::stderr().is_terminal(),
        )
    }

    /// The mode for the text of `SPIKE_PROGRESS` and
    /// `SPIKE_PROGRESS_INTERVAL` (`None`: unset) and whether standard error
    /// is a terminal. `SPIKE_PROGRESS` accepts (in any case) nothing,
    /// `0`/`off`/`false`/`no`, `plain`, `1`/`on`/`true`/`yes`/`auto`;
    /// `SPIKE_PROGRESS_INTERVAL` a number of seconds from 0.1 to 86400
    /// (default 5).
    ///
    /// ```
    /// use std::time::Duration;
    /// use spike_core::progress::ProgressMode;
    ///
    /// let plain = ProgressMode::parse(Some("plain"), Some("2"), true)?;
    /// assert_eq!(plain, ProgressMode::Plain { interval: Duration::from_secs(2) });
    /// assert_eq!(ProgressMode::parse(Some("off"), None, true)?, ProgressMode::Off);
    /// // Beyond what a Duration holds: refused, not a panic.
    /// assert!(ProgressMode::parse(None, Some("1e300"), false).is_err());
    /// # Ok::<(), spike_core::SpikeError>(())
    /// ```
    ///
    /// # Errors
    /// [`SpikeError::BadEnv`] naming the variable, the value and what it
    /// accepts.
    pub fn parse(
        setting: Option<&str>,
        interval: Option<&str>,
        terminal: bool,
    ) -> Result<Self, SpikeError> {
        let interval = match interval {
            None => DEFAULT_PROGRESS_INTERVAL,
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| (0.1..=86_400.0).contains(s))
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .ok_or_else(|| SpikeError::BadEnv {
                    var: "SPIKE_PROGRESS_INTERVAL",
                    value: text.to_owned(),
                    expected: INTERVAL_EXPECTED,
                })?,
        };
        let setting = setting.unwrap_or_default();
        match setting.trim().to_ascii_lowercase().as_str() {
            "" | "0" | "off" | "false" | "no" | "plain" | "1" | "on" | "true" | "yes" | "auto" => {
                Ok(ProgressMode::decide(setting, terminal, interval))
            }
            _ => Err(SpikeError::BadEnv {
                var: "SPIKE_PROGRESS",
                value: setting.to_owned(),
                expected: PROGRESS_EXPECTED,
            }),
        }
    }

    /// The mode for a `SPIKE_PROGRESS` value and whether standard error is
    /// a terminal.
    #[must_use]
    pub fn decide(setting: &str, terminal: bool, interval: Duration) -> Self {
        match setting.trim().to_ascii_lowercase().as_str() {
            "0" | "off" | "false" | "no" => ProgressMode::Off,
            "plain" => ProgressMode::Plain { interval },
            _ if terminal => ProgressMode::Bar,
            _ => ProgressMode::Plain { interval },
        }
    }
}

/// How far back "completions per second now" looks.
pub const NOW_SPAN: Duration = Duration::from_secs(1);

/// One status line for a progress snapshot and the completions per second
/// now (`None` before there is a span to measure it over), e.g.
/// `spike checkout 12.0s/30.0s burst: now target 800 rps, completing 612/s, in flight 41, done 9000 | window 10s–11s (last closed): offered 796/s, p95 12.3ms, errors 0.10%`.
///
/// Everything before `|` is the present; everything after it is the last
/// closed window, named by its time span.
#[must_use]
pub fn status_line(p: &Progress, model: Model, completing_now: Option<f64>) -> String {
    let unit = model.unit();
    let mut line = format!(
        "spike {} {:.1}s/{:.1}s {}: now target {} {unit}",
        p.scenario,
        p.elapsed.as_secs_f64(),
        p.planned.as_secs_f64(),
        p.phase,
        (p.target * 10.0).round() / 10.0,
    );
    if let Some(rate) = completing_now {
        line.push_str(&format!(", completing {rate:.0}/s"));
    }
    line.push_str(&format!(
        ", in flight {}, done {}",
        p.in_flight, p.completed
    ));
    if let Some(w) = &p.last_window {
        line.push_str(&format!(
            " | window {}s–{}s (last closed): offered {:.0}/s, p95 {}, errors {:.2}%",
            secs(w.start),
            secs(w.end),
            w.stats.achieved_rate,
            duration_us(w.stats.latency.p95_us),
            w.stats.error_rate * 100.0
        ));
    }
    line
}

/// An offset in seconds, without trailing zeros: `11`, `1.25`.
fn secs(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Completions per second over the last [`NOW_SPAN`], from the snapshots
/// seen so far: (elapsed, completed) pairs, oldest first.
#[derive(Debug, Default)]
struct RecentRate {
    seen: std::collections::VecDeque<(Duration, u64)>,
}

impl RecentRate {
    /// Take a snapshot in; returns the rate over the newest span of at
    /// least a quarter of [`NOW_SPAN`] and at most about [`NOW_SPAN`].
    fn observe(&mut self, elapsed: Duration, completed: u64) -> Option<f64> {
        self.seen.push_back((elapsed, completed));
        // Keep one snapshot at or before `elapsed − NOW_SPAN` as the base.
        while self.seen.len() > 2 && elapsed.saturating_sub(self.seen[1].0) >= NOW_SPAN {
            self.seen.pop_front();
        }
        let (t0, c0) = *self.seen.front()?;
        let span = elapsed.checked_sub(t0)?;
        (span >= NOW_SPAN / 4).then(|| completed.saturating_sub(c0) as f64 / span.as_secs_f64())
    }
}

fn multi() -> &'static MultiProgress {
    static MULTI: OnceLock<MultiProgress> = OnceLock::new();
    MULTI.get_or_init(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4)))
}

struct PlainState {
    next_line: Duration,
    printed: bool,
    last: Option<(Duration, u64, u64)>,
    recent: RecentRate,
}

/// A progress observer for one run; pass [`LiveProgress::observe`] to
/// `Scenario::on_progress` or let `#[spike_test]` do it. Dropping it (the
/// run ended) clears the status line or prints a closing plain line.
pub struct LiveProgress {
    scenario: String,
    model: Model,
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    plain: Mutex<PlainState>,
    /// Whether plain lines are written to standard error (off in unit tests).
    echo: bool,
}

impl std::fmt::Debug for LiveProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveProgress")
            .field("scenario", &self.scenario)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl LiveProgress {
    /// Progress for a scenario in the given mode.
    #[must_use]
    pub fn new(scenario: impl Into<String>, model: Model, mode: ProgressMode) -> Self {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = multi().add(ProgressBar::new(1000));
            bar.set_style(
                ProgressStyle::with_template("{bar:24.cyan/blue} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        LiveProgress {
            scenario: scenario.into(),
            model,
            mode,
            bar,
            plain: Mutex::new(PlainState {
                next_line: match mode {
                    ProgressMode::Plain { interval } => interval,
                    _ => Duration::MAX,
                },
                printed: false,
                last: None,
                recent: RecentRate::default(),
            }),
            echo: true,
        }
    }

    /// The mode in force.
    #[must_use]
    pub fn mode(&self) -> ProgressMode {
        self.mode
    }

    /// Take one snapshot: update the status line, or print a plain line
    /// when the interval has passed. Returns the plain line printed, if any.
    pub fn observe(&self, p: &Progress) -> Option<String> {
        if self.mode == ProgressMode::Off {
            return None;
        }
        let mut st = self
            .plain
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = st.recent.observe(p.elapsed, p.completed);
        match self.mode {
            ProgressMode::Off => None,
            ProgressMode::Bar => {
                drop(st);
                if let Some(bar) = &self.bar {
                    let planned = p.planned.as_secs_f64().max(1e-9);
                    bar.set_position(
                        ((p.elapsed.as_secs_f64() / planned).min(1.0) * 1000.0).round() as u64,
                    );
                    bar.set_message(status_line(p, self.model, now));
                }
                None
            }
            ProgressMode::Plain { interval } => {
                st.last = Some((p.elapsed, p.completed, p.errors));
                if p.elapsed < st.next_line {
                    return None;
                }
                while st.next_line <= p.elapsed {
                    st.next_line += interval;
                }
                st.printed = true;
                drop(st);
                let line = status_line(p, self.model, now);
                if self.echo {
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                }
                Some(line)
            }
        }
    }
}

impl Drop for LiveProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            multi().remove(&bar);
        }
        let st = self
            .plain
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if st.printed && self.echo {
            if let Some((elapsed, completed, errors)) = st.last {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "spike {} finished after {:.1}s: {completed} done, {errors} errors",
                    self.scenario,
                    elapsed.as_secs_f64()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::stats::Stats;
    use crate::report::WindowStats;

    fn snapshot(elapsed_ms: u64) -> Progress {
        let mut stats = Stats {
            achieved_rate: 796.4,
            error_rate: 0.001,
            ..Stats::default()
        };
        stats.latency.p95_us = 12_300;
        Progress {
            scenario: "checkout".to_owned(),
            elapsed: Duration::from_millis(elapsed_ms),
            planned: Duration::from_secs(30),
            phase: "burst".to_owned(),
            target: 800.0,
            in_flight: 41,
            completed: 9_000,
            errors: 9,
            last_window: Some(WindowStats {
                index: 11,
                start: Duration::from_secs(11),
                end: Duration::from_secs(12),
                phase: "burst".to_owned(),
                stats,
                served: 0,
                faults: Vec::new(),
                resources: Default::default(),
            }),
        }
    }

    #[test]
    fn the_environment_picks_the_mode() {
        let i = Duration::from_secs(5);
        for off in ["0", "off", "FALSE", " no "] {
            assert_eq!(ProgressMode::decide(off, true, i), ProgressMode::Off);
        }
        assert_eq!(ProgressMode::decide("", true, i), ProgressMode::Bar);
        assert_eq!(
            ProgressMode::decide("", false, i),
            ProgressMode::Plain { interval: i }
        );
        assert_eq!(
            ProgressMode::decide("plain", true, i),
            ProgressMode::Plain { interval: i }
        );
    }

    #[test]
    fn status_line_tells_now_from_the_last_closed_window() {
        assert_eq!(
            status_line(&snapshot(12_000), Model::Open, Some(612.4)),
            "spike checkout 12.0s/30.0s burst: now target 800 rps, completing 612/s, in flight 41, done 9000 \
             | window 11s–12s (last closed): offered 796/s, p95 12.3ms, errors 0.10%"
        );
        let mut early = snapshot(100);
        early.last_window = None;
        assert_eq!(
            status_line(&early, Model::Closed, None),
            "spike checkout 0.1s/30.0s burst: now target 800 users, in flight 41, done 9000"
        );
    }

    #[test]
    fn completions_now_are_counted_over_the_last_second() {
        let mut r = RecentRate::default();
        // 100 completions per 250 ms tick for 2 s, then 25 per tick.
        let mut done = 0;
        let mut rates = Vec::new();
        for tick in 0..=16u64 {
            done += if tick <= 8 { 100 } else { 25 };
            rates.push(r.observe(Duration::from_millis(tick * 250), done));
        }
        assert_eq!(rates[0], None, "no span yet");
        // 400/s while the fast phase fills the last second (ticks 4..=8).
        for (i, rate) in rates.iter().enumerate().take(9).skip(1) {
            assert_eq!(*rate, Some(400.0), "tick {i}");
        }
        // Once the last second holds only slow ticks: 100/s, not the
        // run's average.
        for (i, rate) in rates.iter().enumerate().skip(12) {
            assert_eq!(*rate, Some(100.0), "tick {i}");
        }
    }

    #[test]
    fn plain_lines_come_once_per_interval() {
        let mut live = LiveProgress::new(
            "checkout",
            Model::Open,
            ProgressMode::Plain {
                interval: Duration::from_secs(5),
            },
        );
        live.echo = false;
        let printed: Vec<u64> = (0..=48)
            .map(|i| i * 250)
            .filter(|&ms| live.observe(&snapshot(ms)).is_some())
            .collect();
        assert_eq!(printed, vec![5_000, 10_000]);
        // A tick that skips past several intervals prints once.
        assert!(live.observe(&snapshot(21_000)).is_some());
        assert!(live.observe(&snapshot(24_900)).is_none());
        assert!(live.observe(&snapshot(25_000)).is_some());
        let off = LiveProgress::new("x", Model::Open, ProgressMode::Off);
        assert!(off.observe(&snapshot(60_000)).is_none());
    }
}
