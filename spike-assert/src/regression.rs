//! `no_regression_against("main")`: the regression gate as checks in a
//! chain, one row per compared metric (p50, p95, p99, error rate,
//! throughput, recovery time). See `spike_core::baseline` for the bands and
//! where baselines live.

use spike_core::baseline::{self, Bands, Change as GateVerdict, GateOutcome};

use crate::chain::Expect;
use crate::verdict::{Row, RowVerdict};

impl Expect<'_> {
    /// A run-level check that ignores the chain's scope: compare the whole
    /// run with its saved baseline `name` (see `spike_core::baseline`).
    ///
    /// The rows' scope column says ``run vs baseline `name` ``, followed by
    /// `(ignores phase burst)` when the chain had another scope; that scope
    /// stays in force for the checks after it. The bands are the ones the
    /// test set through `spike_core::baseline::set_test_bands`, else the
    /// defaults. Each
    /// metric that got worse by more than its band fails; an improvement
    /// passes and says so. A missing baseline fails in CI or with
    /// `SPIKE_BASELINE_STRICT=1` and passes elsewhere (see
    /// `spike_core::baseline::missing_baseline_fails`). A baseline that was
    /// not conclusive fails the check: it is no reference (this run's own
    /// conclusiveness is the chain's load guard). On a failure the full
    /// comparison table and the paths of both reports are written to the
    /// terminal as well.
    ///
    /// ```
    /// # use spike_assert::expect;
    /// # use spike_core::{ms, rps, secs, Ctx, Scenario, Shape};
    /// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
    /// # let shape = Shape::builder().hold(rps(100), ms(300)).build().unwrap();
    /// # let report = Scenario::new("doc-no-baseline").shape(shape).window(ms(100)).lag_budget(secs(1))
    /// #     .run(|_ctx: Ctx| async {}).await.unwrap();
    /// // No baseline `main` was saved for this scenario: that fails in CI
    /// // (strict by default) and passes elsewhere, a row saying so.
    /// let outcome = expect(&report).no_regression_against("main").try_verify();
    /// assert_eq!(outcome.is_err(), spike_core::baseline::strict_from_env());
    /// # });
    /// ```
    pub fn no_regression_against(self, name: &str) -> Self {
        let bands = baseline::current_bands();
        self.no_regression_against_with(name, &bands)
    }

    /// A run-level check that ignores the chain's scope:
    /// [`Expect::no_regression_against`] with explicit bands.
    pub fn no_regression_against_with(mut self, name: &str, bands: &Bands) -> Self {
        let scope = self
            .scope
            .run_level_label(&format!("run vs baseline `{name}`"));
        match baseline::check(self.report, name, bands) {
            Err(e) => self.rows.push(Row {
                check: format!("baseline `{name}`"),
                scope,
                expected: "a readable baseline".to_owned(),
                actual: e.to_string(),
                verdict: RowVerdict::Fail,
            }),
            Ok(GateOutcome::Missing { path, .. }) => {
                let strict = baseline::strict_from_env();
                self.rows.push(Row {
                    check: format!("baseline `{name}`"),
                    scope,
                    expected: if strict {
                        "a saved baseline (SPIKE_BASELINE_STRICT)".to_owned()
                    } else {
                        "a saved baseline, if any (lenient)".to_owned()
                    },
                    actual: format!("none at {}", path.display()),
                    verdict: if strict {
                        RowVerdict::Fail
                    } else {
                        RowVerdict::Pass
                    },
                });
            }
            Ok(GateOutcome::Compared(c)) => {
                if c.failed() {
                    spike_core::notice::notice(&c.to_string());
                }
                let baseline_problems: Vec<&str> = c
                    .inconclusive
                    .iter()
                    .filter_map(|why| why.strip_prefix("the baseline: "))
                    .collect();
                if !baseline_problems.is_empty() {
                    self.rows.push(Row {
                        check: format!("baseline `{name}` conclusive"),
                        scope: scope.clone(),
                        expected: "a baseline that applied its load".to_owned(),
                        actual: baseline_problems.join("; "),
                        verdict: RowVerdict::Fail,
                    });
                }
                if let Some(why) = &c.incomparable {
                    self.rows.push(Row {
                        check: format!("baseline `{name}` comparable"),
                        scope: scope.clone(),
                        expected: "the same load shape".to_owned(),
                        actual: why.clone(),
                        verdict: RowVerdict::Fail,
                    });
                }
                for m in &c.rows {
                    self.rows.push(Row {
                        check: format!("{} no regression", m.metric),
                        scope: scope.clone(),
                        expected: format!("within {} of {}", m.band, m.baseline),
                        actual: match m.verdict {
                            GateVerdict::Improved => format!("{} ({}, improved)", m.now, m.change),
                            _ => format!("{} ({})", m.now, m.change),
                        },
                        verdict: if m.verdict == GateVerdict::Regressed {
                            RowVerdict::Fail
                        } else {
                            RowVerdict::Pass
                        },
                    });
                }
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use spike_core::{ms, rps, secs, Ctx, Report, Scenario, Shape};

    use crate::expect;

    fn report(dir: &std::path::Path) -> Report {
        let mut report = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                let shape = Shape::builder()
                    .hold(rps(100), ms(300))
                    .burst(rps(200), ms(100))
                    .recover(rps(100), ms(300))
                    .build()
                    .unwrap();
                Scenario::new("regression-assert")
                    .shape(shape)
                    .window(ms(50))
                    .lag_budget(secs(1))
                    .run(|_ctx: Ctx| async {})
                    .await
                    .unwrap()
            });
        report.artifacts = Some(dir.to_path_buf());
        report.generator.schedule_lag.p99_us = 0;
        report.total.latency.p50_us = 2_000;
        report.total.latency.p95_us = 5_000;
        report.total.latency.p99_us = 9_000;
        report
    }

    #[test]
    fn regressions_fail_improvements_pass_missing_is_lenient() {
        let dir =
            std::env::temp_dir().join(format!("spike-assert-regression-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let base = report(&dir);

        // No baseline yet: one row that says so, failing when a missing
        // baseline is strict here (in CI by default), else passing.
        let missing = expect(&base)
            .no_regression_against("main")
            .allow_inconclusive()
            .try_verify();
        let checks = match &missing {
            Ok(verified) => verified.checks(),
            Err(failure) => failure.checks(),
        };
        assert!(checks[0].actual.starts_with("none at "), "{checks:?}");
        assert_eq!(missing.is_err(), spike_core::baseline::strict_from_env());

        spike_core::baseline::save_baseline(&base, "main").unwrap();
        let same = expect(&base)
            .no_regression_against("main")
            .allow_inconclusive()
            .verify();
        assert_eq!(same.checks().len(), 7, "6 metrics and the load guard");

        let mut slower = base.clone();
        slower.total.latency.p95_us = 50_000;
        slower.total.latency.p99_us = 90_000;
        let failure = expect(&slower)
            .no_regression_against("main")
            .allow_inconclusive()
            .try_verify()
            .unwrap_err();
        let failed: Vec<&str> = failure.failed().map(|c| c.check.as_str()).collect();
        assert_eq!(failed, ["p95 no regression", "p99 no regression"]);
        let p95 = &failure.checks()[1];
        assert_eq!(p95.scope, "run vs baseline `main`");
        assert_eq!(p95.expected, "within ±50% and ±5.0ms of 5.0ms");
        assert_eq!(p95.actual, "50.0ms (+900.0%)");

        let mut faster = base;
        faster.total.latency.p99_us = 1_000;
        let verified = expect(&faster)
            .no_regression_against("main")
            .allow_inconclusive()
            .verify();
        assert!(verified.checks()[2].actual.ends_with("improved)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
