//! Bio-Rad CFX Maestro qPCR CSV export ("Quantification Cq Results"): one table, a header
//! line naming the columns (`Well`, `Fluor`, `Target`, `Content`, `Sample`, `Cq`,
//! `Cq Mean`, `Cq Std. Dev`, `Starting Quantity (SQ)`, …; the first column is often empty),
//! then one line per well and fluorophore. Wells are written zero-padded (`A01`). The
//! target may be left empty, in which case the fluorophore (`FAM`, `VIC`) tells a well's
//! reads apart. No amplification is written `NaN`, kept as a flag. Files saved with a
//! European locale separate cells with `;` and write decimal commas; both are read. Only
//! each well's own results are read (Cq and starting quantity), not the replicate group's
//! mean and standard deviation.

use crate::reading::{read_cell, DecimalMark};
use crate::text::Line;
use crate::{text, ParseError, Position, RawResult, Well};

/// The per-well result columns: the column's name and the read's suffix.
const RESULT_COLUMNS: &[(&str, &str)] = &[("Cq", "Cq"), ("Starting Quantity (SQ)", "SQ")];

/// The column indexes of the Cq table.
struct Columns {
    well: usize,
    fluor: Option<usize>,
    target: Option<usize>,
    results: Vec<(usize, &'static str)>,
}

impl Columns {
    /// The columns of a header line, if it is the Cq table's (it names `Well` and `Cq`).
    fn of(line: &Line) -> Option<Columns> {
        let column = |name: &str| line.cells.iter().position(|c| c == name);
        let well = column("Well")?;
        column("Cq")?;
        Some(Columns {
            well,
            fluor: column("Fluor"),
            target: column("Target"),
            results: RESULT_COLUMNS
                .iter()
                .filter_map(|(name, read)| Some((column(name)?, *read)))
                .collect(),
        })
    }
}

/// The Cq (and starting quantity) of every well of a CFX Maestro Cq results CSV.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    // A comma-separated file first; else a European one, `;` with decimal commas.
    for (delimiter, mark) in [(b',', DecimalMark::Point), (b';', DecimalMark::Comma)] {
        if let Some(results) = read_table(&text, delimiter, mark)? {
            return Ok(results);
        }
    }
    Err(ParseError::Missing(
        "no table with Well and Cq columns: this is not a CFX Maestro Cq results export (export the Quantification Cq Results as CSV)".into(),
    ))
}

/// The table read with `delimiter`; `None` if no header line names `Well` and `Cq`.
fn read_table(
    text: &str,
    delimiter: u8,
    mark: DecimalMark,
) -> Result<Option<Vec<RawResult>>, ParseError> {
    let mut columns: Option<Columns> = None;
    let mut results = Vec::new();
    for record in text::records(text, delimiter)? {
        let line = record.number;
        let Some(table) = &columns else {
            columns = Columns::of(&record);
            continue;
        };
        let cell = |i: usize| record.cell(i);
        let name = cell(table.well);
        let well = Well::parse(name).ok_or_else(|| {
            ParseError::at(line, format!("{name:?} in the Well column is not a well"))
        })?;
        let target = table.target.map(cell).unwrap_or("");
        let fluor = table.fluor.map(cell).unwrap_or("");
        let label = if target.is_empty() { fluor } else { target };
        for (i, suffix) in &table.results {
            if let Some(value) = read_cell(cell(*i), mark) {
                results.push(RawResult {
                    plate: None,
                    position: Position::Well(well),
                    read: if label.is_empty() {
                        (*suffix).to_owned()
                    } else {
                        format!("{label} {suffix}")
                    },
                    value,
                    unit: None,
                });
            }
        }
    }
    Ok(columns.map(|_| results))
}
