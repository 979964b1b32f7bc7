//! `cargo spike accept [<test>]`: review each last run that is newer than
//! its saved baseline, like `cargo insta review`, and promote the accepted
//! ones: their files are copied to `baselines/<name>/`, replacing the old
//! baseline.

use std::path::{Path, PathBuf};

use spike_core::baseline::{baseline_dir, check, compare_from_env, Bands, GateOutcome};
use spike_core::Report;

use crate::cli::{Io, Status};
use crate::error::CliError;
use crate::runs::{discover, find, load_report, unknown, RunDir};
use crate::verdict::{started, verdict};

/// The baseline `accept` promotes to without `--baseline` or
/// `$SPIKE_BASELINE`.
const DEFAULT_BASELINE: &str = "main";

/// `cargo spike accept`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Only this test (default: every test whose last run is newer than its
    /// baseline)
    test: Option<String>,
    /// The baseline to promote to [default: $SPIKE_BASELINE, else main]
    #[arg(long, value_name = "NAME")]
    baseline: Option<String>,
    /// Accept every run without asking
    #[arg(long, short = 'y')]
    yes: bool,
    /// Accept inconclusive runs too (the gate then fails every run compared
    /// with that baseline)
    #[arg(long)]
    force: bool,
}

/// A baseline name usable as one folder inside `baselines/`: not empty,
/// and made a folder name as the harness does (`.` and `..` refused).
pub(crate) fn baseline_name(name: &str) -> Result<String, CliError> {
    let trimmed = name.trim();
    let folder = spike_core::folder_name(trimmed);
    if folder.is_empty() || folder.chars().all(|c| c == '.') {
        return Err(CliError::BadBaselineName(name.to_owned()));
    }
    Ok(trimmed.to_owned())
}

/// What the user decided for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Reject,
    Skip,
}

#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    rejected: usize,
    skipped: usize,
    refused: usize,
}

/// Review the runs; [`Status::Gate`] when an inconclusive run was refused.
pub(crate) fn run(home: &Path, args: &Args, io: &mut Io<'_>) -> Result<Status, CliError> {
    let name = baseline_name(
        &args
            .baseline
            .clone()
            .or_else(compare_from_env)
            .unwrap_or_else(|| DEFAULT_BASELINE.to_owned()),
    )?;
    let runs = discover(home)?;
    let chosen: Vec<RunDir> = match &args.test {
        Some(test) => vec![find(&runs, test)
            .cloned()
            .ok_or_else(|| unknown(home, test, &runs))?],
        None => runs,
    };
    let mut pending = Vec::new();
    for run in chosen {
        let report = run.load()?;
        let baseline_json = baseline_dir(&run.dir, &name).join("report.json");
        let baseline = if baseline_json.is_file() {
            Some(load_report(&baseline_json)?)
        } else {
            None
        };
        let newer = baseline.as_ref().is_none_or(|b| {
            report.environment.started_at_unix_ms > b.environment.started_at_unix_ms
        });
        if newer {
            pending.push((run, report));
        } else if args.test.is_some() {
            writeln!(
                io.out,
                "`{}`: its last run ({}) is not newer than its baseline `{name}`: nothing to accept",
                run.name,
                started(&report)
            )?;
        }
    }
    if pending.is_empty() {
        if args.test.is_none() {
            writeln!(
                io.out,
                "nothing to accept: no run under {} is newer than its baseline `{name}`",
                home.display()
            )?;
        }
        return Ok(Status::Ok);
    }
    let mut tally = Tally::default();
    let mut input_ended = false;
    for (run, report) in &pending {
        review(run, report, &name, args, io, &mut tally, &mut input_ended)?;
    }
    writeln!(
        io.out,
        "accepted {}, rejected {}, skipped {}, refused {} (baseline `{name}`)",
        tally.accepted, tally.rejected, tally.skipped, tally.refused
    )?;
    Ok(if tally.refused > 0 {
        Status::Gate
    } else {
        Status::Ok
    })
}

/// One run: the gate's table against the current baseline, then the
/// decision.
fn review(
    run: &RunDir,
    report: &Report,
    name: &str,
    args: &Args,
    io: &mut Io<'_>,
    tally: &mut Tally,
    input_ended: &mut bool,
) -> Result<(), CliError> {
    writeln!(
        io.out,
        "── `{}`: run of {}, {}",
        run.name,
        started(report),
        verdict(report)
    )?;
    match check(report, name, &Bands::default()) {
        Ok(GateOutcome::Compared(c)) => write!(io.out, "{c}")?,
        Ok(_) => writeln!(io.out, "no baseline `{name}` yet")?,
        Err(e) => writeln!(
            io.out,
            "the baseline `{name}` cannot be read ({e}): accepting replaces it"
        )?,
    }
    let reasons = report.inconclusive_reasons();
    if !reasons.is_empty() && !args.force {
        let long: Vec<String> = reasons.into_iter().map(|r| r.long).collect();
        writeln!(
            io.out,
            "refused: this run is inconclusive ({}); the gate fails every run compared with an \
             inconclusive baseline. Run the test again, or accept it with --force.",
            long.join("; ")
        )?;
        tally.refused += 1;
        return Ok(());
    }
    let answer = if args.yes {
        Answer::Accept
    } else if *input_ended {
        Answer::Skip
    } else {
        ask(io, input_ended)?
    };
    match answer {
        Answer::Accept => {
            let dir = promote(&run.dir, name)?;
            writeln!(
                io.out,
                "accepted: baseline `{name}` is now this run ({})",
                dir.display()
            )?;
            tally.accepted += 1;
        }
        Answer::Reject => {
            writeln!(
                io.out,
                "rejected: baseline `{name}` kept; the run stays in {}",
                run.dir.display()
            )?;
            tally.rejected += 1;
        }
        Answer::Skip => {
            writeln!(io.out, "skipped")?;
            tally.skipped += 1;
        }
    }
    Ok(())
}

/// Ask until the answer is one of a, r, s; the end of input skips this run
/// and every one after it.
fn ask(io: &mut Io<'_>, input_ended: &mut bool) -> Result<Answer, CliError> {
    loop {
        write!(io.out, "accept / reject / skip? [a/r/s] ")?;
        io.out.flush()?;
        let mut line = String::new();
        if io.input.read_line(&mut line)? == 0 {
            writeln!(io.out)?;
            writeln!(io.out, "(end of input: skipping the rest)")?;
            *input_ended = true;
            return Ok(Answer::Skip);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "a" | "accept" => return Ok(Answer::Accept),
            "r" | "reject" => return Ok(Answer::Reject),
            "s" | "skip" => return Ok(Answer::Skip),
            other => writeln!(io.out, "`{other}`: answer a, r or s")?,
        }
    }
}

/// Copy the run's files (not its folders: baselines, scenarios, shards) to
/// `baselines/<name>/`, replacing the old one: the files go to a hidden
/// folder beside it first, then the old baseline is renamed away, the new
/// one renamed in and the old one removed. Returns the baseline's folder.
fn promote(run_dir: &Path, name: &str) -> Result<PathBuf, CliError> {
    let target = baseline_dir(run_dir, name);
    let parent = target.parent().unwrap_or(run_dir).to_path_buf();
    let folder = target
        .file_name()
        .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    let tmp = parent.join(format!(".{folder}.new-{}", std::process::id()));
    let old = parent.join(format!(".{folder}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| CliError::io("could not create", &tmp, e))?;
    let entries =
        std::fs::read_dir(run_dir).map_err(|e| CliError::io("could not read", run_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CliError::io("could not read", run_dir, e))?;
        let file_name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || file_name.to_string_lossy().starts_with('.') {
            continue;
        }
        std::fs::copy(entry.path(), tmp.join(&file_name))
            .map_err(|e| CliError::io("could not copy", entry.path(), e))?;
    }
    let _ = std::fs::remove_dir_all(&old);
    let had_old = target.exists();
    if had_old {
        std::fs::rename(&target, &old)
            .map_err(|e| CliError::io("could not move aside", &target, e))?;
    }
    if let Err(e) = std::fs::rename(&tmp, &target) {
        if had_old {
            let _ = std::fs::rename(&old, &target);
        }
        return Err(CliError::io("could not rename into place", &tmp, e));
    }
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_name_stays_one_folder_inside_baselines() {
        assert_eq!(baseline_name(" main ").unwrap(), "main");
        for bad in ["", "  ", ".", "..", "..."] {
            assert!(baseline_name(bad).is_err(), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// Whatever the user types, an accepted name is one folder inside
        /// `baselines/`: never the folder itself, its parent or a path.
        #[test]
        fn any_accepted_name_is_one_folder_inside_baselines(name in "\\PC{0,12}") {
            if let Ok(ok) = baseline_name(&name) {
                let dir = baseline_dir(Path::new("/run"), &ok);
                let mut parts = dir.components().map(|c| c.as_os_str().to_string_lossy().into_owned());
                let parts: Vec<String> = parts.by_ref().collect();
                proptest::prop_assert_eq!(parts.len(), 4, "{:?}", dir);
                proptest::prop_assert_eq!(&parts[2], "baselines");
                proptest::prop_assert!(parts[3] != "." && parts[3] != "..");
            }
        }
    }
}
