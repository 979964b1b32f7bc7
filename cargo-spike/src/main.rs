//! `cargo spike`: the runs of spike tests under the spike home — list them,
//! show one, compare two with the regression gate's table, and accept the
//! last runs as saved baselines, one by one.
//!
//! Each subcommand is one module with its `Args` and its `run`; adding one
//! is a module and a variant of [`cli::Command`].

mod accept;
mod cli;
mod compare;
mod error;
mod list;
mod merge;
mod open;
mod run;
mod runs;
mod show;
mod verdict;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(cli::without_cargo_subcommand(std::env::args_os()));
    let stdin = std::io::stdin();
    let mut io = cli::Io {
        out: &mut std::io::stdout().lock(),
        input: &mut stdin.lock(),
    };
    match cli.run(&mut io) {
        Ok(status) => status.into(),
        // A reader that went away (`cargo spike list | head -1`) is no
        // error worth a message.
        Err(error::CliError::Terminal(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::from(cli::EXIT_ERROR)
        }
        Err(e) => {
            let _ = io.out.flush();
            // Written in one piece to the raw handle: this is the command's
            // own terminal, not a test's captured output.
            let _ = writeln!(std::io::stderr().lock(), "error: {e}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
