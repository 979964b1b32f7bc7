//! Where things are in a scenario file: byte spans to 1-based line and
//! column, key paths (`phase[2].rps`) to spans, and errors placed there.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::SpikeError;

/// One step of a key path: a key of a table or an index of an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table's key.
    Key(String),
    /// An array's (or array of tables') index, from 0.
    Index(usize),
}

/// `key("phase")`, for building paths.
#[must_use]
pub fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// The text of a scenario file and its origin (the path shown in errors):
/// places errors on a line and column.
#[derive(Clone)]
pub struct FileSource {
    origin: String,
    text: String,
}

impl std::fmt::Debug for FileSource {
    /// The origin and size: the text may hold secret header values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("origin", &self.origin)
            .field("bytes", &self.text.len())
            .finish()
    }
}

impl FileSource {
    /// A source for `text`, named `origin` in errors.
    #[must_use]
    pub fn new(text: &str, origin: &str) -> Self {
        FileSource {
            origin: origin.to_owned(),
            text: text.to_owned(),
        }
    }

    /// The origin given (the file's path).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A [`SpikeError::ScenarioFile`] at the value found at `path` (or at
    /// the closest enclosing key that exists; the whole file when none).
    pub fn error_at(
        &self,
        path: &[Seg],
        message: impl Into<String>,
        suggestion: Option<String>,
    ) -> SpikeError {
        let span = self.span_of(path);
        self.error_span(span, message, suggestion)
    }

    /// A [`SpikeError::ScenarioFile`] at a byte span of the text.
    pub fn error_span(
        &self,
        span: Option<Range<usize>>,
        message: impl Into<String>,
        suggestion: Option<String>,
    ) -> SpikeError {
        let (line, column) = span.map_or((0, 0), |s| line_column(&self.text, s.start));
        SpikeError::ScenarioFile {
            file: self.origin.clone(),
            line,
            column,
            message: message.into(),
            suggestion,
        }
    }

    /// The byte span of the value at `path`, or of its deepest ancestor
    /// that exists.
    #[must_use]
    pub fn span_of(&self, path: &[Seg]) -> Option<Range<usize>> {
        let root = DeTable::parse(&self.text).ok()?;
        let mut best: Option<Range<usize>> = None;
        let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
        let mut value: Option<&Spanned<DeValue<'_>>> = None;
        for seg in path {
            let next = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => t
                    .iter()
                    .find(|(name, _)| name.get_ref().as_ref() == k.as_str())
                    .map(|(_, v)| v),
                (Seg::Index(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(*i)),
                _ => None,
            };
            let Some(next) = next else { break };
            best = Some(next.span());
            table = next.get_ref().as_table();
            value = Some(next);
        }
        best
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
#[must_use]
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}
