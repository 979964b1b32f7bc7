//! Scenario files: a scenario described in TOML instead of code, read by
//! [`Scenario::from_file`] (and by the facade's `spike::file`, which adds
//! the HTTP requests and SLO checks of the same file).
//!
//! ```toml
//! #:schema ../docs/scenario.schema.json
//! name = "login"
//! window = "100ms"
//!
//! [[phase]]
//! kind = "hold"
//! rps = 50
//! duration = "2s"
//!
//! [[phase]]
//! kind = "burst"
//! rps = 400
//! duration = "1s"
//!
//! [[phase]]
//! kind = "recover"
//! rps = 50
//! duration = "3s"
//! ```
//!
//! Every key is checked: an unknown key, a value of the wrong type, a
//! duration without a unit, a rate at or below zero, a shape the builder
//! refuses, each is a [`SpikeError::ScenarioFile`] naming the file, the
//! 1-based line and column, and for a misspelt key or value the closest
//! known one. The format, key by key, is chapter 22 of the guide; its JSON
//! Schema ([`json_schema`]) is `docs/scenario.schema.json`.
//!
//! ```
//! use spike_core::{ms, rps, Scenario, Shape};
//! use spike_core::scenario_file::ScenarioFile;
//!
//! let text = "name = \"quick\"\n[[phase]]\nkind = \"hold\"\nrps = 20\nduration = \"500ms\"\n";
//! let parsed = ScenarioFile::parse(text, "quick.toml")?;
//! let from_code = Scenario::new("quick")
//!     .shape(Shape::builder().hold(rps(20), ms(500)).build()?);
//! assert_eq!(parsed.scenario()?.settings(), from_code.settings());
//! // And back: the builder's scenario written as a file reads the same.
//! let text = ScenarioFile::from_scenario(&from_code)?.to_toml()?;
//! assert_eq!(ScenarioFile::parse(&text, "again")?.scenario()?.settings(), from_code.settings());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use crate::error::SpikeError;
use crate::scenario::Scenario;

mod check;
mod header_map;
mod parse;
mod schema;
mod source;
mod types;
mod values;
mod write;

pub use parse::closest;
pub use source::{key, line_column, FileSource, Seg};
pub use types::{
    FileBound, FileMethod, FileMetric, FileModel, FilePhase, FilePhaseKind, FileRecovery,
    FileRequest, FileScale, FileSlo, FileTarget, ScenarioFile,
};
pub use values::{Count, FileDuration};

/// Parse a duration as a scenario file writes it (`"250ms"`, `"1m 30s"`);
/// the error says what is wrong (no unit, an unknown unit, ...).
///
/// ```
/// use spike_core::scenario_file::parse_duration;
/// assert_eq!(parse_duration("250ms"), Ok(spike_core::ms(250)));
/// assert!(parse_duration("30 parsecs").is_err());
/// assert!(parse_duration("30").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    values::parse_duration(text)
}

/// A parsed scenario file with its source, so later checks (the facade's
/// requests and SLOs) can place their errors on a line and column too.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    /// The file's content.
    pub file: ScenarioFile,
    /// Its text and origin.
    pub source: FileSource,
}

impl ParsedFile {
    /// The scenario the file describes, every value checked.
    ///
    /// # Errors
    /// [`SpikeError::ScenarioFile`] at the first refused value.
    pub fn scenario(&self) -> Result<Scenario, SpikeError> {
        check::to_scenario(&self.file, &self.source)
    }
}

impl ScenarioFile {
    /// Parse `text`; `origin` names it in errors (a path, `<stdin>`, ...).
    /// Checks the syntax, the keys and the value types; the scenario's
    /// values are checked by [`ParsedFile::scenario`].
    ///
    /// # Errors
    /// [`SpikeError::ScenarioFile`] with line and column.
    pub fn parse(text: &str, origin: &str) -> Result<ParsedFile, SpikeError> {
        let source = FileSource::new(text, origin);
        let file = parse::parse_types(&source, text)?;
        Ok(ParsedFile { file, source })
    }

    /// Read and parse the file at `path` (its path names it in errors).
    ///
    /// # Errors
    /// [`SpikeError::ScenarioFile`]: the file cannot be read, or as
    /// [`ScenarioFile::parse`].
    pub fn load(path: impl AsRef<Path>) -> Result<ParsedFile, SpikeError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SpikeError::ScenarioFile {
            file: origin.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read the scenario file: {e}"),
            suggestion: None,
        })?;
        Self::parse(&text, &origin)
    }

    /// The file for what `scenario` was told (see [`Scenario::settings`]);
    /// settings at their defaults are left out, phases are named.
    ///
    /// # Errors
    /// [`SpikeError::NoShape`] when the scenario has no shape yet.
    pub fn from_scenario(scenario: &Scenario) -> Result<ScenarioFile, SpikeError> {
        write::from_settings(&scenario.settings())
    }

    /// The file as TOML text.
    ///
    /// # Errors
    /// [`SpikeError::ScenarioFile`] when a value has no TOML form (a JSON
    /// body holding `null`).
    pub fn to_toml(&self) -> Result<String, SpikeError> {
        write::to_text(self)
    }
}

impl Scenario {
    /// Read a scenario file: everything the builder sets (name, shape,
    /// model, window, recovery criteria, scale, seed, lag budget, in-flight
    /// cap, timeouts, think time). The file's `[target]`, `[[request]]`
    /// and `[[slo]]` are checked for their keys and types but used by the
    /// facade's `spike::file` only. See [the module](crate::scenario_file).
    ///
    /// # Errors
    /// [`SpikeError::ScenarioFile`] naming the file, line and column of the
    /// first problem (and the closest known key for a misspelt one).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Scenario, SpikeError> {
        ScenarioFile::load(path)?.scenario()
    }
}

/// The JSON Schema of scenario files, generated from [`ScenarioFile`]: the
/// text of `docs/scenario.schema.json`. Draft 7, the newest draft editors'
/// TOML tooling (taplo, hence *Even Better TOML*) reads; TOML has no null,
/// so no key accepts one.
#[must_use]
pub fn json_schema() -> String {
    schema::text()
}
