//! The runs under the spike home, as the harness lays them out:
//!
//! * `<home>/<test>/report.json` (and `report.html`, `timeline.csv`,
//!   `latency.hlog`): the last run of a test whose scenario is named after
//!   the test;
//! * `<home>/<test>/<scenario>/report.json`: each other scenario the test
//!   ran, listed as `<test>/<scenario>`;
//! * `baselines/<name>/` inside either: the saved baselines;
//! * `shard-<i>-of-<n>/` inside a test's folder: one shard's outputs;
//! * `<home>/<test>.attempt-<n>/`: an inconclusive attempt set aside.

use std::path::{Path, PathBuf};

use spike_core::Report;

use crate::error::CliError;

/// The folder of saved baselines inside a run's folder.
pub(crate) const BASELINES: &str = "baselines";

/// One run folder: a test's (or a test's scenario's) last run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunDir {
    /// `test`, or `test/scenario`: what the user types.
    pub(crate) name: String,
    /// The folder holding `report.json`.
    pub(crate) dir: PathBuf,
}

impl RunDir {
    /// The run's `report.json`.
    pub(crate) fn report_json(&self) -> PathBuf {
        self.dir.join("report.json")
    }

    /// Read the run's report; its `artifacts` is this folder, wherever it
    /// was written from.
    pub(crate) fn load(&self) -> Result<Report, CliError> {
        load_report(&self.report_json())
    }
}

/// Whether a folder name is one the harness writes beside or inside runs
/// rather than a run: hidden and temporary folders, attempts set aside,
/// saved baselines and shard outputs.
pub(crate) fn is_not_a_run(name: &str) -> bool {
    name.starts_with('.') || name == BASELINES || is_attempt(name) || is_shard(name)
}

/// `<test>.attempt-<n>`.
pub(crate) fn is_attempt(name: &str) -> bool {
    name.rsplit_once(".attempt-")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `shard-<i>-of-<n>`: a shard's outputs ([`spike_core::shard::is_folder`]).
pub(crate) use spike_core::shard::is_folder as is_shard;

/// The sub-folders of `dir`, sorted by name (nothing when it cannot be read).
pub(crate) fn subfolders(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    out.sort();
    out
}

/// Every run under `home`, sorted by name. A missing home has none.
pub(crate) fn discover(home: &Path) -> Result<Vec<RunDir>, CliError> {
    if !home.exists() {
        return Ok(Vec::new());
    }
    std::fs::read_dir(home).map_err(|e| CliError::io("could not read", home, e))?;
    let mut runs = Vec::new();
    for (test, dir) in subfolders(home) {
        if is_not_a_run(&test) {
            continue;
        }
        if dir.join("report.json").is_file() {
            runs.push(RunDir {
                name: test.clone(),
                dir: dir.clone(),
            });
        }
        for (scenario, sub) in subfolders(&dir) {
            if !is_not_a_run(&scenario) && sub.join("report.json").is_file() {
                runs.push(RunDir {
                    name: format!("{test}/{scenario}"),
                    dir: sub,
                });
            }
        }
    }
    runs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(runs)
}

/// A test folder holding shard outputs (`shard-<i>-of-<n>/`), and whether
/// its `report.json` is their merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardSet {
    /// The test folder's name.
    pub(crate) name: String,
    /// The shard folders' names, sorted.
    pub(crate) shards: Vec<String>,
    /// The folder's `report.json` is a merged report (`cargo spike merge`
    /// or the `SPIKE_MERGE=1` step wrote it).
    pub(crate) merged: bool,
}

/// Every test folder under `home` that holds shard outputs, sorted by name.
pub(crate) fn shard_sets(home: &Path) -> Vec<ShardSet> {
    subfolders(home)
        .into_iter()
        .filter(|(test, _)| !is_not_a_run(test))
        .filter_map(|(name, dir)| {
            let shards: Vec<String> = subfolders(&dir)
                .into_iter()
                .map(|(n, _)| n)
                .filter(|n| is_shard(n))
                .collect();
            if shards.is_empty() {
                return None;
            }
            let merged = load_report(&dir.join("report.json")).is_ok_and(|r| r.merged.is_some());
            Some(ShardSet {
                name,
                shards,
                merged,
            })
        })
        .collect()
}

/// Read a `report.json`; the report's `artifacts` is its folder.
pub(crate) fn load_report(path: &Path) -> Result<Report, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError::io("could not read", path, e))?;
    let mut report: Report =
        serde_json::from_str(&text).map_err(|source| CliError::NotAReport {
            path: path.to_path_buf(),
            source,
        })?;
    report.artifacts = path.parent().map(Path::to_path_buf);
    Ok(report)
}

/// The run a name designates: its folder name (`api__burst`), or the test
/// name it came from (`api::burst`, made a folder name as the harness does),
/// with `/<scenario>` for a scenario's sub-folder.
pub(crate) fn find<'a>(runs: &'a [RunDir], name: &str) -> Option<&'a RunDir> {
    let folder = name
        .split('/')
        .map(spike_core::folder_name)
        .collect::<Vec<_>>()
        .join("/");
    runs.iter()
        .find(|r| r.name == name)
        .or_else(|| runs.iter().find(|r| r.name == folder))
}

/// The run a name designates under `home`, or [`CliError::UnknownTest`]
/// with the closest names.
pub(crate) fn resolve(home: &Path, name: &str) -> Result<RunDir, CliError> {
    let runs = discover(home)?;
    find(&runs, name)
        .cloned()
        .ok_or_else(|| unknown(home, name, &runs))
}

/// The error for a name that designates no run.
pub(crate) fn unknown(home: &Path, name: &str, runs: &[RunDir]) -> CliError {
    let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
    let close = did_you_mean(name, &names);
    let hint = if !close.is_empty() {
        format!("; did you mean {}?", quoted(&close))
    } else if names.is_empty() {
        " (it holds no runs)".to_owned()
    } else {
        format!("; the tests there are {}", quoted(&names))
    };
    CliError::UnknownTest {
        name: name.to_owned(),
        home: home.to_path_buf(),
        hint,
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names close to `name`: Jaro-Winkler similarity of at least 0.8 (as
/// clap suggests subcommands), or containing it, best first, at most 3.
pub(crate) fn did_you_mean<'a>(name: &str, names: &[&'a str]) -> Vec<&'a str> {
    let wanted = name.to_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .map(|n| {
            let lower = n.to_lowercase();
            let mut score = strsim::jaro_winkler(&wanted, &lower);
            if !wanted.is_empty() && lower.contains(&wanted) {
                score = score.max(0.9);
            }
            (score, *n)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// The names of the baselines saved in a run's folder, sorted.
pub(crate) fn baselines(run_dir: &Path) -> Vec<String> {
    subfolders(&run_dir.join(BASELINES))
        .into_iter()
        .filter(|(name, dir)| !name.starts_with('.') && dir.join("report.json").is_file())
        .map(|(name, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_s_other_folders_are_not_runs() {
        for name in [
            "baselines",
            "shard-0-of-4",
            "shard-12-of-16",
            "checkout.attempt-1",
            ".main.new-42",
        ] {
            assert!(is_not_a_run(name), "{name}");
        }
        for name in [
            "checkout",
            "shard-a-of-4",
            "shard-0-of-",
            "checkout.attempt-",
            "attempt-1",
        ] {
            assert!(!is_not_a_run(name), "{name}");
        }
    }

    #[test]
    fn a_misspelt_name_suggests_the_close_ones_best_first() {
        let names = ["checkout", "checkout_burst", "login"];
        assert_eq!(
            did_you_mean("chekout", &names),
            ["checkout", "checkout_burst"]
        );
        assert_eq!(did_you_mean("burst", &names), ["checkout_burst"]);
        assert!(did_you_mean("zzz", &names).is_empty());
    }

    #[test]
    fn a_test_name_finds_its_folder() {
        let runs = [RunDir {
            name: "api__burst/login".to_owned(),
            dir: PathBuf::from("/x"),
        }];
        assert!(find(&runs, "api::burst/login").is_some());
        assert!(find(&runs, "api__burst/login").is_some());
        assert!(find(&runs, "api__burst").is_none());
    }
}
