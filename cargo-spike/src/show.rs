//! `cargo spike show <test>`: the summary, the checks and the files of a
//! test's last run; `--open` opens its `report.html`.

use std::path::Path;

use spike_core::fmt::Table;

use crate::cli::{Io, Status};
use crate::error::CliError;
use crate::runs::{baselines, is_attempt, is_shard, resolve, subfolders, RunDir};

/// `cargo spike show`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The test (its name as `list` prints it, or `module::test`)
    test: String,
    /// Open report.html in the browser ($BROWSER, else the system's)
    #[arg(long)]
    open: bool,
}

impl Args {
    /// Show `test`'s last run, without opening its page.
    pub(crate) fn of(test: &str) -> Self {
        Self {
            test: test.to_owned(),
            open: false,
        }
    }
}

/// Print the run's summary, checks and files; open its page if asked.
pub(crate) fn run(home: &Path, args: &Args, io: &mut Io<'_>) -> Result<Status, CliError> {
    let run = resolve(home, &args.test)?;
    let report = run.load()?;
    writeln!(io.out, "{report}")?;
    writeln!(io.out)?;
    if report.checks.is_empty() {
        writeln!(io.out, "checks: none (no assertion ran on this report)")?;
    } else {
        let failed = report.checks.iter().filter(|c| !c.passed).count();
        writeln!(
            io.out,
            "checks: {} of {} failed",
            failed,
            report.checks.len()
        )?;
        let mut table = Table::new(&["check", "scope", "expected", "actual", "verdict"], &[]);
        for c in &report.checks {
            table.row(vec![
                c.check.clone(),
                c.scope.clone(),
                c.expected.clone(),
                c.actual.clone(),
                if c.passed { "ok" } else { "FAILED" }.to_owned(),
            ]);
        }
        write!(io.out, "{}", table.render())?;
    }
    writeln!(io.out)?;
    files(&run, io)?;
    if args.open {
        let page = run.dir.join("report.html");
        crate::open::open(&page)?;
        writeln!(io.out, "opened {}", page.display())?;
    }
    Ok(Status::Ok)
}

/// Where the run's files are: its folder and files, saved baselines,
/// shard outputs and attempts set aside.
fn files(run: &RunDir, io: &mut Io<'_>) -> Result<(), CliError> {
    let dir = &run.dir;
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| CliError::io("could not read", dir, e))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    writeln!(io.out, "files in {}:", dir.display())?;
    writeln!(io.out, "  {}", names.join("  "))?;
    let saved = baselines(dir);
    if !saved.is_empty() {
        writeln!(
            io.out,
            "baselines in {}: {}",
            dir.join(crate::runs::BASELINES).display(),
            saved.join(", ")
        )?;
    }
    let shards: Vec<String> = subfolders(dir)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| is_shard(n))
        .collect();
    if !shards.is_empty() {
        writeln!(io.out, "shard outputs: {}", shards.join(", "))?;
    }
    // Attempts set aside sit beside the test's folder: `<test>.attempt-<n>`.
    let test_dir = match run.name.split_once('/') {
        Some(_) => dir.parent().unwrap_or(dir),
        None => dir.as_path(),
    };
    if let (Some(parent), Some(test)) = (test_dir.parent(), test_dir.file_name()) {
        let prefix = format!("{}.attempt-", test.to_string_lossy());
        let attempts: Vec<String> = subfolders(parent)
            .into_iter()
            .filter(|(n, _)| n.starts_with(&prefix) && is_attempt(n))
            .map(|(_, p)| p.display().to_string())
            .collect();
        if !attempts.is_empty() {
            writeln!(io.out, "attempts set aside: {}", attempts.join(", "))?;
        }
    }
    Ok(())
}
