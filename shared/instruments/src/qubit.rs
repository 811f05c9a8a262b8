//! Thermo Fisher Qubit 4 fluorometer CSV: one header line, then a row per tube read: `Run ID`,
//! `Assay Name`, `Test Name` (the sample's name as entered on the instrument), `Test Date`,
//! `Qubit® tube conc.` and `Original sample conc.`, each followed by its own `Units` column
//! (`ng/mL`, `ng/µL`, `µg/mL`…), the sample volume, the dilution factor, the standards' RFU,
//! the excitation and emission channels and the tube's `Green RFU` / `Far Red RFU`. A value
//! the Qubit could not measure is written `Out of range` or `< 0.50` and kept as such.

use crate::reading::{guess_decimal_mark, unit, Reading};
use crate::text::Line;
use crate::{text, ParseError, Position, RawResult};

const NOT_QUBIT: &str = "no header with a Test Name column and a Qubit tube conc. or \
    Original sample conc. column: this is not a Qubit 4 export (export the run's results as CSV)";

/// A header folded for comparison: lower case, no ® or ™, single spaces.
fn fold(header: &str) -> String {
    header
        .replace(['®', '™'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Where a measured column's unit is: in the `Units` column after it, or always the same.
#[derive(Clone, Copy)]
enum Unit {
    FromNextColumn,
    Fixed(&'static str),
    /// A concentration without its `Units` column.
    Unknown,
}

fn measured(header: &str) -> Option<(&'static str, Unit)> {
    match fold(header).as_str() {
        "qubit tube conc." | "qubit tube conc" | "tube conc." => {
            Some(("Qubit tube conc.", Unit::FromNextColumn))
        }
        "original sample conc." | "original sample conc" => {
            Some(("Original sample conc.", Unit::FromNextColumn))
        }
        "green rfu" => Some(("Green RFU", Unit::Fixed("RFU"))),
        "far red rfu" => Some(("Far Red RFU", Unit::Fixed("RFU"))),
        _ => None,
    }
}

fn is_sample_column(header: &str) -> bool {
    matches!(
        fold(header).as_str(),
        "test name" | "sample name" | "sample id"
    )
}

/// Every tube of a Qubit 4 export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    for delimiter in [b',', b';', b'\t'] {
        if let Some(results) = read(&text, delimiter)? {
            return Ok(results);
        }
    }
    Err(ParseError::Missing(NOT_QUBIT.into()))
}

/// A measured column: its index, read name and where its unit comes from.
struct Column {
    at: usize,
    read: &'static str,
    unit: Unit,
}

/// The results with `delimiter`, or `None` if no header is found with it.
fn read(text: &str, delimiter: u8) -> Result<Option<Vec<RawResult>>, ParseError> {
    let mut columns: Option<(usize, Vec<Column>)> = None;
    let mut rows: Vec<Line> = Vec::new();
    for record in text::records(text, delimiter)? {
        if columns.is_none() {
            let sample = record.cells.iter().position(|h| is_sample_column(h));
            let measured: Vec<Column> = record
                .cells
                .iter()
                .enumerate()
                .filter_map(|(at, h)| {
                    let (read, mut unit) = measured(h)?;
                    let units_follow = fold(record.cell(at + 1)) == "units";
                    if matches!(unit, Unit::FromNextColumn) && !units_follow {
                        unit = Unit::Unknown;
                    }
                    Some(Column { at, read, unit })
                })
                .collect();
            // The concentrations make a Qubit file; RFU columns alone do not.
            let concentrations = measured.iter().any(|c| !matches!(c.unit, Unit::Fixed(_)));
            if let (Some(sample), true) = (sample, concentrations) {
                columns = Some((sample, measured));
            }
            continue;
        }
        rows.push(record);
    }
    let Some((sample, measured)) = columns else {
        return Ok(None);
    };
    let mark = guess_decimal_mark(
        rows.iter()
            .flat_map(|r| measured.iter().map(|c| r.cell(c.at))),
    );
    let mut results = Vec::new();
    for record in &rows {
        let name = record.cell(sample);
        if name.is_empty() {
            return Err(ParseError::at(
                record.number,
                "a row has no sample name (the Test Name column is empty)",
            ));
        }
        for column in &measured {
            let Some(value) = Reading::parse(record.cell(column.at), mark) else {
                continue;
            };
            let unit = match column.unit {
                Unit::FromNextColumn => unit(record.cell(column.at + 1)),
                Unit::Fixed(u) => Some(u.to_owned()),
                Unit::Unknown => None,
            };
            results.push(RawResult {
                plate: None,
                position: Position::Sample(name.to_owned()),
                read: column.read.to_owned(),
                value,
                unit,
            });
        }
    }
    Ok(Some(results))
}
