//! `cargo spike compare <a> <b>`: the regression gate's table for two runs,
//! `a` as the baseline and `b` as now, exactly as a spike test's gate
//! prints it.

use std::path::{Path, PathBuf};

use spike_core::baseline::{baseline_dir, compare, Bands};
use spike_core::Report;

use crate::cli::{Io, Status};
use crate::error::CliError;
use crate::runs::{baselines, discover, find, load_report, unknown};

/// `cargo spike compare`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The baseline side: a test (its last run), `<test>@<baseline>` (a
    /// saved baseline), or a run folder or report.json
    a: String,
    /// The side judged against it, in the same forms
    b: String,
    /// Do not fail the gate when a run is inconclusive
    #[arg(long)]
    allow_inconclusive: bool,
}

/// Compare the two runs; [`Status::Gate`] when the gate fails.
pub(crate) fn run(home: &Path, args: &Args, io: &mut Io<'_>) -> Result<Status, CliError> {
    let (baseline, baseline_json) = side(home, &args.a)?;
    let (now, now_json) = side(home, &args.b)?;
    let bands = Bands::default().allow_inconclusive(args.allow_inconclusive);
    let mut comparison = compare(&baseline, &now, &bands);
    comparison.baseline_name = args.a.clone();
    comparison.baseline_report = Some(baseline_json);
    comparison.report = Some(now_json);
    write!(io.out, "{comparison}")?;
    Ok(if comparison.failed() {
        Status::Gate
    } else {
        Status::Ok
    })
}

/// One side: a test's last run, a test's saved baseline, or a path; with
/// the `report.json` it was read from.
fn side(home: &Path, spec: &str) -> Result<(Report, PathBuf), CliError> {
    let runs = discover(home)?;
    if let Some(run) = find(&runs, spec) {
        return Ok((run.load()?, run.report_json()));
    }
    if let Some((test, name)) = spec.rsplit_once('@') {
        if let Some(run) = find(&runs, test) {
            let name = crate::accept::baseline_name(name)?;
            let path = baseline_dir(&run.dir, &name).join("report.json");
            if !path.is_file() {
                let saved = baselines(&run.dir);
                return Err(CliError::UnknownBaseline {
                    test: run.name.clone(),
                    baseline: name,
                    path,
                    saved: if saved.is_empty() {
                        "no baseline is saved for it".to_owned()
                    } else {
                        format!("saved baselines: {}", saved.join(", "))
                    },
                });
            }
            return Ok((load_report(&path)?, path));
        }
    }
    let path = Path::new(spec);
    if path.is_dir() {
        let json = path.join("report.json");
        return Ok((load_report(&json)?, json));
    }
    if path.is_file() {
        return Ok((load_report(path)?, path.to_path_buf()));
    }
    Err(unknown(home, spec, &runs))
}
