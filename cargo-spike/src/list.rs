//! `cargo spike list`: one line per test under the spike home.

use std::path::Path;

use spike_core::fmt::{duration_us, Align, Table};

use crate::cli::{Io, Status};
use crate::error::CliError;
use crate::runs::{baselines, discover, shard_sets};
use crate::verdict::{started, verdict};

/// `cargo spike list`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

/// Print the runs under `home`, sorted by name.
pub(crate) fn run(home: &Path, _args: &Args, io: &mut Io<'_>) -> Result<Status, CliError> {
    if !home.exists() {
        writeln!(
            io.out,
            "no spike runs: {} does not exist (run your spike tests first)",
            home.display()
        )?;
        return Ok(Status::Ok);
    }
    let runs = discover(home)?;
    let sets = shard_sets(home);
    if runs.is_empty() && sets.is_empty() {
        writeln!(io.out, "no spike runs under {}", home.display())?;
        return Ok(Status::Ok);
    }
    let mut table = Table::new(
        &["test", "ran", "verdict", "p99", "errors", "baselines"],
        &[
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
    )
    .plain();
    for run in &runs {
        let saved = baselines(&run.dir);
        let saved = if saved.is_empty() {
            "—".to_owned()
        } else {
            saved.join(", ")
        };
        match run.load() {
            Ok(report) => table.row(vec![
                run.name.clone(),
                started(&report),
                verdict(&report),
                duration_us(report.total.latency.p99_us),
                format!("{:.2}%", report.total.error_rate * 100.0),
                saved,
            ]),
            Err(e) => table.row(vec![
                run.name.clone(),
                "?".to_owned(),
                format!("unreadable: {e}"),
            ]),
        };
    }
    if !runs.is_empty() {
        write!(io.out, "{}", table.render())?;
    }
    writeln!(io.out, "{} run(s) under {}", runs.len(), home.display())?;
    for set in &sets {
        let state = if set.merged {
            "merged into its report.json".to_owned()
        } else {
            format!("not merged: `cargo spike merge {}`", set.name)
        };
        writeln!(
            io.out,
            "sharded: {} has {} shard output(s) ({}), {state}",
            set.name,
            set.shards.len(),
            set.shards.join(", ")
        )?;
    }
    Ok(Status::Ok)
}
