//! The one reader of a table with a row per sample, as the instruments that read one tube at a
//! time write it (NanoDrop, Qubit, Vi-CELL): lines before the header are passed over, the header
//! is the first line naming the sample column and the format's measured columns (tried with each
//! separator the format may be saved with), every later row gives one result per measured
//! column, at `Position::Sample`. The decimal mark is guessed from the measured cells.

use crate::reading::{guess_decimal_mark, read_cell, unit};
use crate::text::Line;
use crate::{text, ParseError, Position, RawResult};

/// Where a measured column's unit is.
pub(crate) enum UnitOf {
    /// In the header (or nowhere).
    Header(Option<String>),
    /// In the `Units` column right after it, row by row (Qubit).
    NextColumn,
}

/// A measured column: its index, the read it is, its unit.
pub(crate) struct Column {
    pub at: usize,
    pub read: String,
    pub unit: UnitOf,
}

/// What makes a format's table.
pub(crate) struct SampleTable {
    /// The separators to try, in order.
    pub delimiters: &'static [u8],
    pub is_sample_column: fn(&str) -> bool,
    /// The measured columns of a header line, or `None` if the line is not this format's
    /// header (a header without the columns that make the format is another file's).
    pub columns: fn(&Line) -> Option<Vec<Column>>,
    /// The refusal for a row of values without a sample name.
    pub no_sample: &'static str,
    /// The refusal for a file with no such header.
    pub not_this_format: &'static str,
}

/// Every sample's results in a file of `table`'s format.
pub(crate) fn parse(bytes: &[u8], table: &SampleTable) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    for delimiter in table.delimiters {
        if let Some(results) = read(&text, *delimiter, table)? {
            return Ok(results);
        }
    }
    Err(ParseError::Missing(table.not_this_format.into()))
}

/// The results with `delimiter`, or `None` if no header is found with it.
fn read(
    text: &str,
    delimiter: u8,
    table: &SampleTable,
) -> Result<Option<Vec<RawResult>>, ParseError> {
    let mut header: Option<(usize, Vec<Column>)> = None;
    let mut rows: Vec<Line> = Vec::new();
    for record in text::records(text, delimiter)? {
        if header.is_none() {
            let sample = record
                .cells
                .iter()
                .position(|h| (table.is_sample_column)(h));
            header = sample.zip((table.columns)(&record));
            continue;
        }
        rows.push(record);
    }
    let Some((sample, columns)) = header else {
        return Ok(None);
    };
    let mark = guess_decimal_mark(
        rows.iter()
            .flat_map(|r| columns.iter().map(|c| r.cell(c.at))),
    );
    let mut results = Vec::new();
    for record in &rows {
        let name = record.cell(sample);
        if name.is_empty() {
            return Err(ParseError::at(record.number, table.no_sample));
        }
        for column in &columns {
            let Some(value) = read_cell(record.cell(column.at), mark) else {
                continue;
            };
            results.push(RawResult {
                plate: None,
                position: Position::Sample(name.to_owned()),
                read: column.read.clone(),
                value,
                unit: match &column.unit {
                    UnitOf::Header(u) => u.clone(),
                    UnitOf::NextColumn => unit(record.cell(column.at + 1)),
                },
            });
        }
    }
    Ok(Some(results))
}

/// A header cell's read and unit, if it is a measured column.
pub(crate) type Measured = fn(&str) -> Option<(String, Option<String>)>;

/// A header's measured columns, as `measured` names them.
pub(crate) fn header_columns(line: &Line, measured: Measured) -> Vec<Column> {
    line.cells
        .iter()
        .enumerate()
        .filter_map(|(at, h)| {
            measured(h).map(|(read, unit)| Column {
                at,
                read,
                unit: UnitOf::Header(unit),
            })
        })
        .collect()
}
