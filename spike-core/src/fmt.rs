//! How spike prints numbers and tables for people: one duration format and
//! one aligned-table renderer, used by the run summary, the live progress
//! line, the HTML report and the baseline gate.
//!
//! ```
//! use spike_core::fmt::{duration_us, Align, Table};
//!
//! assert_eq!(duration_us(850), "850µs");
//! assert_eq!(duration_us(12_340), "12.3ms");
//! assert_eq!(duration_us(4_200_000), "4.20s");
//!
//! let mut t = Table::new(&["metric", "now"], &[Align::Left, Align::Right]);
//! t.row(vec!["p95".to_owned(), duration_us(9_000)]);
//! assert_eq!(t.render(), "  metric |   now\n  ------ | -----\n  p95    | 9.0ms\n");
//! ```

use std::time::Duration;

/// A duration given in whole microseconds, for people: `850µs` below a
/// millisecond, `12.3ms` below a second, `4.20s` from a second on.
#[must_use]
pub fn duration_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else {
        format!("{:.2}s", us as f64 / 1e6)
    }
}

/// A [`Duration`] for people, in the format of [`duration_us`] (rounded
/// down to whole microseconds; saturating far beyond a run's length).
#[must_use]
pub fn duration(d: Duration) -> String {
    duration_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left.
    Right,
}

/// An aligned text table: a header then one line per row, two spaces in,
/// widths by character count, trailing spaces trimmed. Ruled (the default:
/// a dashed rule under the header, cells separated by ` | `, as the gate
/// prints) or plain (cells separated by two spaces, as the assertion
/// table prints).
///
/// ```
/// use spike_core::fmt::Table;
///
/// let mut t = Table::new(&["check", "verdict"], &[]).plain();
/// t.row(vec!["latency p95".to_owned(), "ok".to_owned()]);
/// assert_eq!(t.render(), "  check        verdict\n  latency p95  ok\n");
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
    plain: bool,
}

impl Table {
    /// A table with these column names and alignments (a column without an
    /// alignment is [`Align::Left`]).
    #[must_use]
    pub fn new(header: &[&str], align: &[Align]) -> Self {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            align: align.to_vec(),
            rows: Vec::new(),
            plain: false,
        }
    }

    /// Plain style: no rule, cells separated by two spaces.
    #[must_use]
    pub fn plain(mut self) -> Self {
        self.plain = true;
        self
    }

    /// Add a row; missing cells are empty, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<String>) -> &mut Self {
        self.rows.push(cells);
        self
    }

    /// The table as text, every line ending in `\n`.
    #[must_use]
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let cell = |row: &[String], i: usize| row.get(i).map_or("", String::as_str).to_owned();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, w) in widths.iter_mut().enumerate() {
                *w = (*w).max(cell(row, i).chars().count());
            }
        }
        let mut out = String::new();
        let separator = if self.plain { "  " } else { " | " };
        let mut line = |cells: Vec<String>| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let pad = " ".repeat(w - c.chars().count());
                    match self.align.get(i).copied().unwrap_or(Align::Left) {
                        Align::Left => format!("{c}{pad}"),
                        Align::Right => format!("{pad}{c}"),
                    }
                })
                .collect();
            out.push_str(format!("  {}", padded.join(separator)).trim_end());
            out.push('\n');
        };
        line(self.header.clone());
        if !self.plain {
            line(widths.iter().map(|w| "-".repeat(*w)).collect());
        }
        for row in &self.rows {
            line((0..columns).map(|i| cell(row, i)).collect());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_switch_unit_at_each_thousand() {
        assert_eq!(duration_us(0), "0µs");
        assert_eq!(duration_us(999), "999µs");
        assert_eq!(duration_us(1_000), "1.0ms");
        assert_eq!(duration_us(999_949), "999.9ms");
        assert_eq!(duration_us(1_000_000), "1.00s");
        assert_eq!(duration(Duration::from_millis(250)), "250.0ms");
        assert_eq!(duration(Duration::MAX), duration_us(u64::MAX));
    }

    #[test]
    fn a_table_pads_to_the_widest_cell_by_characters() {
        let mut t = Table::new(&["a", "b"], &[Align::Left, Align::Right]);
        t.row(vec!["µµµ".to_owned(), "1".to_owned()]);
        t.row(vec!["x".to_owned()]);
        assert_eq!(t.render(), "  a   | b\n  --- | -\n  µµµ | 1\n  x   |\n");
    }
}
