//! What can go wrong, each naming what was wrong; every one exits with
//! [`crate::cli::EXIT_ERROR`].

use std::path::PathBuf;

/// An error of `cargo spike`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A scenario file that cannot run (its line and column named), or a
    /// run refused before any traffic.
    #[error("{0}")]
    Scenario(spike_core::SpikeError),
    /// No test of that name under the spike home.
    #[error("no spike test `{name}` under {home}{hint}")]
    UnknownTest {
        /// The name given.
        name: String,
        /// The spike home searched.
        home: PathBuf,
        /// `; did you mean …?` or the tests there are, or nothing.
        hint: String,
    },
    /// A `<test>@<baseline>` whose baseline is not saved.
    #[error("`{test}` has no baseline `{baseline}` ({path} does not exist; {saved})")]
    UnknownBaseline {
        /// The test.
        test: String,
        /// The baseline name given.
        baseline: String,
        /// The `report.json` looked for.
        path: PathBuf,
        /// The baselines that are saved.
        saved: String,
    },
    /// A baseline name that cannot be a folder name.
    #[error("invalid baseline name {0:?}: give a name such as `main`")]
    BadBaselineName(String),
    /// A file or folder could not be read or written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done (`could not read`).
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `report.json` that is not a spike report.
    #[error("{path} is not a spike report: {source}")]
    NotAReport {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// `show --open` could not start a browser.
    #[error("could not open {path}: {why}")]
    Open {
        /// The page.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// `merge`: a folder (or test) with no shard outputs in it.
    #[error("{dir} holds no shard outputs (`shard-<i>-of-<n>` folders with a report.json)")]
    NoShards {
        /// The folder.
        dir: PathBuf,
    },
    /// `merge`: the shard folders are not all in one folder, and no
    /// `--out` says where the merged report goes.
    #[error("the shard folders are in different folders: say where the merged report goes with --out <DIR>")]
    MergeOut,
    /// `merge`: the outputs are not shards of one run (or cannot be read).
    #[error("{0}")]
    Merge(#[from] spike_core::merge::MergeError),
    /// Writing to standard output or reading standard input failed.
    #[error("terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

impl CliError {
    /// An I/O error on `path`.
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CliError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
