//! `SPIKE_JUNIT=path`: one JUnit XML file for every spike test of a whole
//! `cargo test` run, whatever the test binary, process or thread.
//!
//! Each test adds its suite with a read–modify–write under an advisory
//! file lock on `<path>.lock` (the same `flock` as
//! [`crate::run_lock::RunLock`]), and the file is replaced atomically
//! (temporary file + rename), so a reader never sees half a file. A suite
//! from the same test binary with the same name is replaced (a test run
//! again replaces its own suite); the others stay. Nothing removes old
//! suites, so a CI job starts from a fresh file: delete it first, or point
//! `SPIKE_JUNIT` at a path of the job's own.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use quick_junit::{Property, Report, TestSuite};

/// The environment variable naming the shared JUnit file.
pub const JUNIT_VAR: &str = "SPIKE_JUNIT";

/// The suite property naming the test binary a suite came from (with the
/// suite's name, what identifies a suite in the shared file).
pub const BINARY_PROPERTY: &str = "binary";

/// The suite property naming the shard a suite came from (`shard-1-of-4`),
/// set by a spike test running as a shard; part of a suite's identity too.
pub const SHARD_PROPERTY: &str = "shard";

/// Why the shared JUnit file could not be written. A spike test reports it
/// as a notice on standard error and its verdict stays what its checks
/// said: a bad `SPIKE_JUNIT` never fails, nor passes, a test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JunitError {
    /// The variable is set to an empty value.
    #[error("SPIKE_JUNIT is set but empty: give it the path of the XML file to write, e.g. SPIKE_JUNIT=$PWD/spike-junit.xml")]
    Empty,
    /// The path names a folder.
    #[error("SPIKE_JUNIT={0} is a folder: give it the path of a file, e.g. {0}/spike-junit.xml")]
    Folder(PathBuf),
    /// Locking, reading or writing failed.
    #[error("SPIKE_JUNIT={path}: could not {action}: {source}")]
    Io {
        /// The shared file.
        path: PathBuf,
        /// What was being done (`lock <path>.lock`, `read it`, `write it`).
        action: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file exists but is not JUnit XML quick-junit can read; it is
    /// left as it is.
    #[error("SPIKE_JUNIT={path} is not a JUnit XML file spike can read ({reason}); it was left as it is: delete it or choose another path")]
    Unreadable {
        /// The shared file.
        path: PathBuf,
        /// What the reader said.
        reason: String,
    },
}

/// The path `SPIKE_JUNIT` names: `Ok(None)` when it is not set. A relative
/// path is taken from the test process's working directory (cargo runs each
/// package's tests from that package's root: give an absolute path to
/// gather a workspace's tests in one file).
///
/// # Errors
/// [`JunitError::Empty`] for an empty (or blank) value,
/// [`JunitError::Folder`] for an existing folder.
pub fn junit_from_env() -> Result<Option<PathBuf>, JunitError> {
    let Some(value) = std::env::var_os(JUNIT_VAR) else {
        return Ok(None);
    };
    junit_path(&value).map(Some)
}

/// Check a value of `SPIKE_JUNIT` (see [`junit_from_env`]).
///
/// ```
/// use spike_core::artifacts::{junit_path, JunitError};
/// assert!(matches!(junit_path(" ".as_ref()), Err(JunitError::Empty)));
/// assert!(matches!(junit_path(std::env::temp_dir().as_os_str()), Err(JunitError::Folder(_))));
/// assert!(junit_path("ci/spike-junit.xml".as_ref()).is_ok());
/// ```
///
/// # Errors
/// As [`junit_from_env`].
pub fn junit_path(value: &std::ffi::OsStr) -> Result<PathBuf, JunitError> {
    if value.to_string_lossy().trim().is_empty() {
        return Err(JunitError::Empty);
    }
    let path = PathBuf::from(value);
    if path.is_dir() {
        return Err(JunitError::Folder(path));
    }
    Ok(path)
}

/// The name of this test binary without cargo's hash (`shard_processes`
/// for `shard_processes-0123456789abcdef`).
#[must_use]
pub fn binary_name() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match stem.rsplit_once('-') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name.to_owned()
        }
        _ => stem,
    }
}

/// Add `suite` to the JUnit file at `path` (created, with its folder, if
/// missing), replacing a suite of the same name from the same test binary
/// (and the same [`SHARD_PROPERTY`], if any),
/// under the file lock and atomically (see the module docs). The suite gets
/// the property [`BINARY_PROPERTY`] unless it has one.
///
/// # Errors
/// [`JunitError::Io`] when the lock, the read or the write fails;
/// [`JunitError::Unreadable`] when the file holds something else than
/// JUnit XML (it is not touched).
pub fn add_to_junit_file(path: &Path, mut suite: TestSuite) -> Result<PathBuf, JunitError> {
    let io = |action: &str| {
        let path = path.to_path_buf();
        let action = action.to_owned();
        move |source| JunitError::Io {
            path,
            action,
            source,
        }
    };
    if !suite
        .properties
        .iter()
        .any(|p| p.name.as_str() == BINARY_PROPERTY)
    {
        suite.add_property(Property::new(BINARY_PROPERTY, binary_name()));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| JunitError::Folder(path.to_path_buf()))?
        .to_string_lossy()
        .into_owned();
    std::fs::create_dir_all(&dir).map_err(io("create its folder"))?;
    let lock_path = dir.join(format!("{file_name}.lock"));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io("open its lock file"))?;
    lock.lock().map_err(io("lock its lock file"))?;
    let mut suites = match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Vec::new(),
        Ok(text) => {
            Report::deserialize_from_str(&text)
                .map_err(|e| JunitError::Unreadable {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?
                .test_suites
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io("read it")(e)),
    };
    suites.retain(|s| !same_suite(s, &suite));
    suites.push(suite);
    let mut report = Report::new("spike");
    report.add_test_suites(suites);
    let xml = report
        .to_string()
        .map_err(|e| io("write it")(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    let written =
        crate::report::write_atomic(&dir, &file_name, xml.as_bytes()).map_err(io("write it"))?;
    drop(lock);
    Ok(written)
}

/// Whether `a` and `b` are the same test's suite: same name, same binary,
/// same shard (if any).
fn same_suite(a: &TestSuite, b: &TestSuite) -> bool {
    let property = |s: &TestSuite, name: &str| {
        s.properties
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.value.clone())
    };
    a.name == b.name
        && [BINARY_PROPERTY, SHARD_PROPERTY]
            .iter()
            .all(|name| property(a, name) == property(b, name))
}
