//! Thermo Fisher Qubit 4 fluorometer CSV: one header line, then a row per tube read: `Run ID`,
//! `Assay Name`, `Test Name` (the sample's name as entered on the instrument), `Test Date`,
//! `Qubit® tube conc.` and `Original sample conc.`, each followed by its own `Units` column
//! (`ng/mL`, `ng/µL`, `µg/mL`…), the sample volume, the dilution factor, the standards' RFU,
//! the excitation and emission channels and the tube's `Green RFU` / `Far Red RFU`. A value
//! the Qubit could not measure is written `Out of range` or `< 0.50` and kept as such.

use crate::sample_table::{self, Column, SampleTable, UnitOf};
use crate::text::Line;
use crate::{ParseError, RawResult};

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

/// A measured column's read, and its unit where it is always the same (a concentration's is
/// in the `Units` column after it).
fn measured(header: &str) -> Option<(&'static str, Option<&'static str>)> {
    match fold(header).as_str() {
        "qubit tube conc." | "qubit tube conc" | "tube conc." => Some(("Qubit tube conc.", None)),
        "original sample conc." | "original sample conc" => Some(("Original sample conc.", None)),
        "green rfu" => Some(("Green RFU", Some("RFU"))),
        "far red rfu" => Some(("Far Red RFU", Some("RFU"))),
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
    sample_table::parse(bytes, &QUBIT)
}

const QUBIT: SampleTable = SampleTable {
    delimiters: b",;\t",
    is_sample_column,
    columns,
    no_sample: "a row has no sample name (the Test Name column is empty)",
    not_this_format: NOT_QUBIT,
};

/// The measured columns; a concentration's unit is in the `Units` column after it, when
/// there is one. The concentrations make a Qubit file; RFU columns alone do not.
fn columns(line: &Line) -> Option<Vec<Column>> {
    let columns: Vec<Column> = line
        .cells
        .iter()
        .enumerate()
        .filter_map(|(at, h)| {
            let (read, fixed_unit) = measured(h)?;
            let unit = match fixed_unit {
                Some(u) => UnitOf::Header(Some(u.to_owned())),
                None if fold(line.cell(at + 1)) == "units" => UnitOf::NextColumn,
                None => UnitOf::Header(None),
            };
            Some(Column {
                at,
                read: read.to_owned(),
                unit,
            })
        })
        .collect();
    let concentrations = columns
        .iter()
        .any(|c| !matches!(&c.unit, UnitOf::Header(Some(_))));
    concentrations.then_some(columns)
}
