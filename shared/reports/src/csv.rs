//! The one CSV writer of reports and of the streamed query export.
//!
//! - Quoting is the `csv` crate's (RFC 4180: a field is quoted when it holds the separator
//!   `,`, a quote, CR or LF; quotes inside are doubled). Records end in CRLF, as RFC 4180
//!   says; every spreadsheet and CSV reader accepts it.
//! - Formula injection (OWASP ASVS 5, requirement 1.2.10): a text cell whose first character
//!   is `=`, `+`, `-`, `@`, TAB, CR or NUL gets a leading `'` ([`neutralise`]), so a
//!   spreadsheet shows it as text instead of running it. What is neutralised: every cell of
//!   a [`ColumnKind::Text`] column, every [`Value::Text`] whatever its column (a text in a
//!   number column should not happen; if it does, it is still defused), and every header
//!   label. Numbers and times in their own columns never are, so `-5` stays a number.
//! - How a cell is written:
//!   - `Value::Text`: the text (neutralised as above);
//!   - `Value::Integer`: its decimal digits (`-5`);
//!   - `Value::Decimal`: Rust's shortest round-trip form (`-0.25`, `1e-7` is written
//!     `0.0000001`); NaN and the infinities are written as an empty cell;
//!   - `Value::Time`: RFC 3339 in UTC, `2024-05-01T09:30:00Z`; with milliseconds
//!     (`2024-05-01T09:30:00.250Z`, sub-millisecond digits dropped) only when the moment has
//!     a fraction of a second;
//!   - `Value::Empty`: an empty cell.
//! - Streaming: [`CsvExport`] writes row by row through the `csv` crate's buffer; it holds
//!   one row at a time, so an export of a million rows costs no more memory than one of ten.
//! - An optional UTF-8 byte-order mark (EF BB BF) before the header, for spreadsheets that
//!   otherwise guess a legacy code page.

use crate::document::{Column, ColumnKind, Table, Value};
use crate::error::ReportError;
use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How a CSV file is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start the file with the UTF-8 byte-order mark (EF BB BF).
    pub bom: bool,
}

/// A CSV file being written, one row at a time.
pub struct CsvExport<W: Write> {
    writer: ::csv::Writer<W>,
    kinds: Vec<ColumnKind>,
    rows: u64,
    /// Reused for formatting numbers, so a cell costs no allocation.
    scratch: String,
}

impl<W: Write> std::fmt::Debug for CsvExport<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvExport")
            .field("kinds", &self.kinds)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CsvExport<W> {
    /// Writes the BOM (if asked) and the header row (the columns' labels).
    pub fn new(mut out: W, columns: &[Column], options: CsvOptions) -> Result<Self, ReportError> {
        if options.bom {
            out.write_all(BOM)?;
        }
        let mut writer = ::csv::WriterBuilder::new()
            .quote_style(::csv::QuoteStyle::Necessary)
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        for column in columns {
            writer.write_field(neutralise(&column.label).as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
        Ok(CsvExport {
            writer,
            kinds: columns.iter().map(|c| c.kind).collect(),
            rows: 0,
            scratch: String::with_capacity(32),
        })
    }

    /// One row; its width must equal the columns' count (ReportError::RowWidth otherwise,
    /// and nothing of the row is written).
    pub fn write_row(&mut self, cells: &[Value]) -> Result<(), ReportError> {
        if cells.len() != self.kinds.len() {
            return Err(ReportError::RowWidth {
                expected: self.kinds.len(),
                got: cells.len(),
            });
        }
        for (cell, kind) in cells.iter().zip(&self.kinds) {
            let text_column = *kind == ColumnKind::Text;
            match cell {
                Value::Empty => self.writer.write_field("")?,
                Value::Text(s) => self.writer.write_field(neutralise(s).as_ref())?,
                Value::Integer(n) => {
                    self.scratch.clear();
                    // Writing into a String cannot fail.
                    let _ = write!(self.scratch, "{n}");
                    write_formatted(&mut self.writer, &self.scratch, text_column)?;
                }
                Value::Decimal(x) => {
                    self.scratch.clear();
                    if x.is_finite() {
                        let _ = write!(self.scratch, "{x}");
                    }
                    write_formatted(&mut self.writer, &self.scratch, text_column)?;
                }
                Value::Time(t) => {
                    write_formatted(&mut self.writer, &time_rfc3339(t), text_column)?;
                }
            }
        }
        self.writer.write_record(None::<&[u8]>)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far (not counting the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, ReportError> {
        self.writer.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| ReportError::Io(e.into_error()))
    }
}

/// A number or time formatted by the writer: as it is, or neutralised when its column is a
/// text column (the column's kind decides, so a text column never holds a live formula).
fn write_formatted<W: Write>(
    writer: &mut ::csv::Writer<W>,
    formatted: &str,
    text_column: bool,
) -> Result<(), ReportError> {
    if text_column {
        writer.write_field(neutralise(formatted).as_ref())?;
    } else {
        writer.write_field(formatted)?;
    }
    Ok(())
}

/// A moment as RFC 3339 in UTC: whole seconds (`2024-05-01T09:30:00Z`), or milliseconds
/// when it has a fraction of a second (`2024-05-01T09:30:00.250Z`).
pub(crate) fn time_rfc3339(t: &DateTime<Utc>) -> String {
    let format = if t.nanosecond() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Millis
    };
    t.to_rfc3339_opts(format, true)
}

/// A whole table (a report's table) as CSV bytes.
pub fn table_csv(table: &Table, options: CsvOptions) -> Result<Vec<u8>, ReportError> {
    let mut export = CsvExport::new(Vec::new(), &table.columns, options)?;
    for row in &table.rows {
        export.write_row(row)?;
    }
    export.finish()
}

/// The formula-injection defence (OWASP ASVS 5 req 1.2.10): a text cell whose first
/// character is `=`, `+`, `-`, `@`, TAB (\t), CR (\r) or NUL gets a leading `'`. Applied to
/// Text columns only (and to any text value and header label; see the module's notes).
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\0') => {
            let mut s = String::with_capacity(text.len() + 1);
            s.push('\'');
            s.push_str(text);
            Cow::Owned(s)
        }
        _ => Cow::Borrowed(text),
    }
}
