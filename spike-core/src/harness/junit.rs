//! After a spike test: its `junit.xml` beside its other artifacts, and its
//! suite added to the file `SPIKE_JUNIT` names, if set (see
//! [`crate::artifacts::junit_suite`] and
//! [`crate::artifacts::add_to_junit_file`]).

use std::any::Any;

use crate::artifacts::quick_junit::Property;
use crate::artifacts::{
    add_to_junit_file, junit_from_env, junit_suite, write_junit, TestEnding, SHARD_PROPERTY,
};
use crate::notice::notice;

use super::failure_text::payload_text;
use super::test_context::TestContext;

/// How the last attempt of a test ended, as the harness saw it.
pub(crate) struct Ended<'a> {
    failed: bool,
    panic: Option<&'a (dyn Any + Send)>,
    gate: &'a Result<(), String>,
    timeout: Option<&'a str>,
    inconclusive: Vec<String>,
    retried: &'a [String],
}

impl<'a> Ended<'a> {
    /// Whether the test fails, how its body ended (the panic payload when
    /// it panicked), the regression gate's verdict and the timeout (limit,
    /// label) when it fired.
    pub(crate) fn of<T>(
        failed: bool,
        outcome: &'a std::thread::Result<T>,
        gate: &'a Result<(), String>,
        timeout: Option<&'a (std::time::Duration, String)>,
    ) -> Self {
        Ended {
            failed,
            panic: outcome.as_ref().err().map(|p| &**p),
            gate,
            timeout: timeout.map(|(_, label)| label.as_str()),
            inconclusive: Vec::new(),
            retried: &[],
        }
    }

    /// With the lines of the attempts set aside ([`retry_line`]) and the
    /// last attempt's inconclusive reasons.
    pub(crate) fn after(mut self, retried: &'a [String], inconclusive: Vec<String>) -> Self {
        self.retried = retried;
        self.inconclusive = inconclusive;
        self
    }
}

/// The line an attempt set aside leaves in the suite's system-out.
pub(crate) fn retry_line(number: u32, reasons: &[String]) -> String {
    format!(
        "attempt {number} failed on an inconclusive run and was run again: {}",
        reasons.join("; ")
    )
}

/// Write the test's `junit.xml` and add its suite to `SPIKE_JUNIT`'s file.
/// Nothing here fails the test: a write that fails (or a bad
/// `SPIKE_JUNIT`) is a notice on the raw standard error, and the test's
/// verdict stays what it was.
pub(crate) fn write(ctx: &TestContext, ended: Ended<'_>) {
    let ending = TestEnding {
        failed: ended.failed,
        panic: ended.panic.and_then(payload_text).map(str::to_owned),
        gate: ended.gate.clone().err(),
        timeout: ended.timeout.map(str::to_owned),
        inconclusive: ended.inconclusive,
        retried: ended.retried.to_vec(),
    };
    let mut suite = junit_suite(ctx.name(), &ctx.reports(), &ending);
    // A shard's suite is its own: shards sharing one SPIKE_JUNIT keep theirs.
    if super::test_context::in_shard_mode() {
        if let Some(folder) = ctx.artifact_dir().file_name() {
            let folder = folder.to_string_lossy();
            suite.add_property(Property::new(SHARD_PROPERTY, folder.as_ref()));
        }
    }
    let dir = ctx.artifact_dir();
    if let Err(e) = write_junit(&suite, dir) {
        notice(&format!(
            "could not write the JUnit XML of `{}` to {}: {e}",
            ctx.name(),
            dir.display()
        ));
    }
    match junit_from_env() {
        Ok(None) => {}
        Ok(Some(path)) => {
            if let Err(e) = add_to_junit_file(&path, suite) {
                notice(&format!(
                    "`{}` is missing from the JUnit file: {e}",
                    ctx.name()
                ));
            }
        }
        Err(e) => notice(&format!(
            "`{}` is missing from the JUnit file: {e}",
            ctx.name()
        )),
    }
}
