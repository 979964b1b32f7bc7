//! `cargo spike merge <dirs…>`: merge the shard outputs of a sharded run
//! into one report (`spike_core::merge`), write its artifacts, print its
//! summary.
//!
//! Each argument is a shard's folder (`shard-<i>-of-<n>`, holding
//! `report.json`, `latency.hlog` and `histograms.hlog`), a folder holding
//! shard folders (a test's folder under a shared spike home), or a test
//! name under the spike home. The merged report goes to `--out`, else to
//! the folder the shard folders sit in, as the `SPIKE_MERGE=1` step of the
//! test itself writes it.
//!
//! The merge evaluates no checks: they are the test's own code. Running the
//! test with `SPIKE_MERGE=1` merges the same outputs and runs its
//! assertions and the regression gate on the merged report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use spike_core::merge::{merge_dirs, shard_dirs, MergeOptions};

use crate::cli::{Io, Status};
use crate::error::CliError;
use crate::runs::{discover, find, is_shard, unknown};

/// `cargo spike merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Shard folders (`shard-<i>-of-<n>`), folders holding them, or test
    /// names under the spike home
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<String>,
    /// Where to write the merged report [default: the folder the shard
    /// folders are in, when they are all in one]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The largest start offset of a shard from the agreed start, and
    /// distance between the shards' starts, before the merged report is
    /// inconclusive, in milliseconds [default: 25]
    #[arg(long, value_name = "MS")]
    max_skew_ms: Option<u64>,
}

/// Merge, write, print; [`Status::Gate`] when the merged report is
/// inconclusive (a shard missing, late, or itself inconclusive).
pub(crate) fn run(home: &Path, args: &Args, io: &mut Io<'_>) -> Result<Status, CliError> {
    let mut dirs = Vec::new();
    for spec in &args.dirs {
        dirs.extend(shard_outputs(home, spec)?);
    }
    dirs.sort();
    dirs.dedup();
    let out = match &args.out {
        Some(out) => out.clone(),
        None => one_parent(&dirs).ok_or(CliError::MergeOut)?,
    };
    let mut opts = MergeOptions::default();
    if let Some(ms) = args.max_skew_ms {
        opts = opts.max_skew(Duration::from_millis(ms));
    }
    let mut report = merge_dirs(&dirs, &opts)?;
    report.artifacts = Some(out.clone());
    spike_core::artifacts::write_all(&report, &out)
        .map_err(|e| CliError::io("could not write the merged report to", &out, e))?;
    writeln!(io.out, "{report}")?;
    writeln!(io.out)?;
    writeln!(io.out, "merged {} shard folders:", dirs.len())?;
    for dir in &dirs {
        writeln!(io.out, "  {}", dir.display())?;
    }
    writeln!(io.out, "wrote {}", out.join("report.json").display())?;
    writeln!(
        io.out,
        "checks: none evaluated here; run the test with SPIKE_MERGE=1 to run its \
         assertions and the regression gate on these shards"
    )?;
    Ok(if report.is_conclusive() {
        Status::Ok
    } else {
        Status::Gate
    })
}

/// The shard folders one argument designates.
fn shard_outputs(home: &Path, spec: &str) -> Result<Vec<PathBuf>, CliError> {
    let path = Path::new(spec);
    let folder = if path.is_dir() {
        path.to_path_buf()
    } else {
        let tests = home.join(spike_core::folder_name(spec));
        if tests.is_dir() {
            tests
        } else {
            let runs = discover(home)?;
            return Err(match find(&runs, spec) {
                Some(run) => CliError::NoShards {
                    dir: run.dir.clone(),
                },
                None => unknown(home, spec, &runs),
            });
        }
    };
    if folder.join("report.json").is_file()
        && folder
            .file_name()
            .is_some_and(|n| is_shard(&n.to_string_lossy()))
    {
        return Ok(vec![folder]);
    }
    let shards = shard_dirs(&folder).map_err(|e| CliError::io("could not read", &folder, e))?;
    if shards.is_empty() {
        return Err(CliError::NoShards { dir: folder });
    }
    Ok(shards)
}

/// The one folder every shard folder sits in, if there is one.
fn one_parent(dirs: &[PathBuf]) -> Option<PathBuf> {
    let first = dirs.first()?.parent()?;
    dirs.iter()
        .all(|d| d.parent() == Some(first))
        .then(|| first.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merged_report_goes_where_all_the_shards_are() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            one_parent(&[p("/h/t/shard-0-of-2"), p("/h/t/shard-1-of-2")]),
            Some(p("/h/t"))
        );
        assert_eq!(
            one_parent(&[p("/a/shard-0-of-2"), p("/b/shard-1-of-2")]),
            None
        );
        assert_eq!(one_parent(&[]), None);
    }
}
