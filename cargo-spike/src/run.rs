//! `cargo spike run <file.toml>`: run a scenario file as a spike test —
//! under the run lock, with its artifacts under the spike home, the file's
//! SLO checks verified — then print the run as `show` does.
//!
//! The file's run goes through the same harness as `#[spike_test]`
//! (`spike_core::harness::SpikeTest`), so `SPIKE_SCALE`, `SPIKE_BASELINE`
//! and the other variables act on it as on a test, and `cargo spike show`,
//! `compare` and `accept` find it under the scenario's name.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;

use spike::file::SpikeFile;
use spike_core::harness::SpikeTest;

use crate::cli::{Io, Status};
use crate::error::CliError;

/// `cargo spike run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The scenario file (TOML; see the guide's chapter "Scenario files")
    file: PathBuf,
    /// Send the load here instead of the file's `[target] base_url`
    /// (loopback unless the file allows the host)
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Wall-clock limit of the run, like `90s` or `10m` (the run is
    /// interrupted, its partial report kept)
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
}

/// Run the file; [`Status::Gate`] when one of its checks fails or the run
/// fails (a timeout, an inconclusive run), an error when the file is bad.
pub(crate) fn run(home: &Path, args: &Args, io: &mut Io<'_>) -> Result<Status, CliError> {
    let mut file = SpikeFile::load(&args.file).map_err(CliError::Scenario)?;
    if let Some(url) = &args.base_url {
        file = file.base_url(url);
    }
    let name = file.scenario().name().to_owned();
    // The harness finds the spike home in the environment: make it the one
    // this command lists and shows. Set before any thread starts.
    std::env::set_var("SPIKE_HOME", home);
    let mut test = SpikeTest::new(name.clone());
    if let Some(limit) = args.timeout {
        test = test.timeout(limit, humantime::format_duration(limit).to_string());
    }
    let outcome = quietly(|| {
        test.run_async(async {
            let report = file.run().await?;
            file.verify(&report);
            Ok::<_, spike_core::SpikeError>(())
        })
    });
    let status = match outcome {
        Ok(Ok(())) => Status::Ok,
        Ok(Err(e)) => return Err(CliError::Scenario(e)),
        Err(message) => {
            writeln!(io.out, "{message}")?;
            writeln!(io.out)?;
            Status::Gate
        }
    };
    crate::show::run(home, &crate::show::Args::of(&name), io)?;
    Ok(status)
}

/// Run `body`; a panic (the harness's way to fail a test) becomes its
/// message, printed by the caller rather than by the default hook.
fn quietly<T>(body: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = catch_unwind(AssertUnwindSafe(body));
    std::panic::set_hook(hook);
    outcome.map_err(|payload| panic_text(&*payload))
}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "the run failed (a panic without a message)".to_owned())
}
