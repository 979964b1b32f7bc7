//! The command line: global options, one enum variant per subcommand, and
//! the exit codes.

use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::CliError;

/// Exit code of a command that did what it was asked.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code when the regression gate fails (`compare`) or a run was
/// refused (`accept`).
pub(crate) const EXIT_GATE: u8 = 1;
/// Exit code of an error: bad arguments, an unknown test, an unreadable
/// report (clap uses 2 for bad arguments too).
pub(crate) const EXIT_ERROR: u8 = 2;

const EXIT_CODES: &str = "\
Exit codes:
  0  done (compare: no regression; accept: nothing refused; merge: the
     merged report is conclusive)
  1  compare: the regression gate fails (a regression, runs not comparable,
     or an inconclusive run); accept: an inconclusive run was refused;
     merge: the merged report is inconclusive (a shard missing or late);
     run: a check of the file failed, or the run did (timeout, inconclusive)
  2  error: bad arguments, unknown test or baseline, unreadable report,
     a bad scenario file (named with its line and column)";

/// `cargo spike`: the runs of spike tests under the spike home.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-spike",
    bin_name = "cargo spike",
    version,
    about = "Run scenario files; list, show, compare, accept and merge the runs of spike tests",
    after_help = EXIT_CODES
)]
pub(crate) struct Cli {
    /// Where the runs are [default: $SPIKE_HOME, else
    /// $CARGO_TARGET_DIR/spike, else target/spike]
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// One line per test: when it ran, its verdict, p99, error rate and
    /// saved baselines
    List(crate::list::Args),
    /// A test's summary, its checks and where its files are
    Show(crate::show::Args),
    /// The regression gate's table for two runs (A is the baseline, B now)
    Compare(crate::compare::Args),
    /// Review the last runs and promote them to a saved baseline, one by one
    Accept(crate::accept::Args),
    /// Merge the shard outputs of a sharded run into one report
    Merge(crate::merge::Args),
    /// Run a scenario file (TOML) as a spike test: its SLO checks decide
    Run(crate::run::Args),
}

/// Where a command writes and what it reads its answers from.
pub(crate) struct Io<'a> {
    /// Standard output.
    pub(crate) out: &'a mut dyn Write,
    /// Standard input (the answers of `accept`).
    pub(crate) input: &'a mut dyn BufRead,
}

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Exit 0.
    Ok,
    /// Exit 1: the gate fails, or a run was refused.
    Gate,
}

impl From<Status> for std::process::ExitCode {
    fn from(s: Status) -> Self {
        std::process::ExitCode::from(match s {
            Status::Ok => EXIT_OK,
            Status::Gate => EXIT_GATE,
        })
    }
}

impl Cli {
    /// Run the subcommand.
    pub(crate) fn run(self, io: &mut Io<'_>) -> Result<Status, CliError> {
        let home = self.home.unwrap_or_else(spike_core::spike_home);
        match self.command {
            Command::List(args) => crate::list::run(&home, &args, io),
            Command::Show(args) => crate::show::run(&home, &args, io),
            Command::Compare(args) => crate::compare::run(&home, &args, io),
            Command::Accept(args) => crate::accept::run(&home, &args, io),
            Command::Merge(args) => crate::merge::run(&home, &args, io),
            Command::Run(args) => crate::run::run(&home, &args, io),
        }
    }
}

/// The arguments without the `spike` cargo passes first: `cargo spike list`
/// runs `cargo-spike spike list`; `cargo-spike list` works too.
pub(crate) fn without_cargo_subcommand(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.get(1).is_some_and(|a| a == "spike") {
        args.remove(1);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_s_subcommand_name_is_dropped_once() {
        let a = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            without_cargo_subcommand(a(&["cargo-spike", "spike", "list"])),
            a(&["cargo-spike", "list"])
        );
        assert_eq!(
            without_cargo_subcommand(a(&["cargo-spike", "list"])),
            a(&["cargo-spike", "list"])
        );
        // A test named `spike` after a subcommand stays.
        assert_eq!(
            without_cargo_subcommand(a(&["cargo-spike", "spike", "show", "spike"])),
            a(&["cargo-spike", "show", "spike"])
        );
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
