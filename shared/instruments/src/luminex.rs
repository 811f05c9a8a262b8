//! Luminex xPONENT bead-array CSV export: a header block of `key,value` lines (Program,
//! Build, Batch, protocol and calibration details), then a `Results` part made of sections,
//! each opened by a `DataType:,<name>` line (Median, Net MFI, Count, Result, …) and ended
//! by an empty line. A per-well section is a table: a `Location,Sample,<analyte>,…` header,
//! then one line per well whose Location reads `1(1,A1)` (acquisition order, then the
//! plate number and the well in parentheses), the sample's name, and one value per analyte;
//! most tables end with a `Total Events` column. Values may be `NaN` (kept as a flag) or
//! `OOR <` / `OOR >` (out of range: kept as censored), and a cell may be empty (nothing
//! reported). The `Units` section names each analyte's unit, which belongs to the `Result`
//! (concentration) tables. Sections keyed by sample rather than well (`Avg Net MFI`), and
//! the audit, warning and calibration tables, are not per-well results and are not read.

use crate::reading::{read_cell, DecimalMark};
use crate::{text, ParseError, Position, RawResult, Well};
use std::collections::{BTreeMap, BTreeSet};

/// Where the reader is in the file.
enum State {
    /// Outside any table (header block, a section's end, a section not read).
    Seeking,
    /// Just after `DataType:,<name>`: its table's header, or its key rows, come next.
    Opened(String),
    /// Inside a per-well table: its data type and its value columns (index, name).
    Table {
        data_type: String,
        columns: Vec<(usize, String)>,
    },
    /// Inside a `DataType:,Units` section: `Analyte:` names the columns, `Units:` gives them.
    Units { analytes: Vec<(usize, String)> },
}

/// The column giving a well's total bead events, repeated in most tables; read once.
const TOTAL_EVENTS: &str = "Total Events";

/// The data types whose values are in the analytes' stated units.
fn takes_analyte_unit(data_type: &str) -> bool {
    matches!(data_type, "Result" | "Avg Result")
}

/// A Location cell, `1(1,A1)`: the plate number and the well.
fn location(cell: &str) -> Option<(String, Well)> {
    let (order, rest) = cell.trim().split_once('(')?;
    let inner = rest.strip_suffix(')')?;
    let (plate, well) = inner.split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let plate = plate.trim();
    if !digits(order.trim()) || !digits(plate) {
        return None;
    }
    Some((plate.to_owned(), Well::parse(well)?))
}

/// Every per-well value of every per-well table of a Luminex xPONENT CSV export.
pub fn parse(bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    let text = text::decode(bytes)?;
    let mut state = State::Seeking;
    let mut tables = 0;
    let mut units: BTreeMap<String, String> = BTreeMap::new();
    let mut total_events_seen: BTreeSet<(String, Well)> = BTreeSet::new();
    // Each result with the data type and analyte it came from, for the units read later.
    let mut results: Vec<(String, String, RawResult)> = Vec::new();
    let mut previous_line = 0;
    for record in text::records(&text, b',')? {
        let line = record.number;
        // A blank line (left out of the records: a gap in their numbers) ends a section.
        if line > previous_line + 1 {
            state = State::Seeking;
        }
        previous_line = line;
        let cell = |i: usize| record.cell(i);
        let first = cell(0);
        if first == "DataType:" {
            state = State::Opened(cell(1).to_owned());
            continue;
        }
        // The non-empty cells from index `from` on, with their indexes.
        let named_from = |from: usize| -> Vec<(usize, String)> {
            record
                .cells
                .iter()
                .enumerate()
                .skip(from)
                .filter(|(_, c)| !c.is_empty())
                .map(|(i, c)| (i, c.clone()))
                .collect()
        };
        match &mut state {
            State::Seeking => {}
            State::Opened(data_type) => {
                if first == "Location" && cell(1) == "Sample" {
                    if data_type.is_empty() {
                        return Err(ParseError::at(
                            line,
                            "a table of wells follows a DataType: line that names no data type",
                        ));
                    }
                    let columns = named_from(2);
                    if columns.is_empty() {
                        return Err(ParseError::at(
                            line,
                            format!("the {data_type} table names no analyte columns"),
                        ));
                    }
                    tables += 1;
                    state = State::Table {
                        data_type: std::mem::take(data_type),
                        columns,
                    };
                } else if data_type.as_str() == "Units" && first == "Analyte:" {
                    state = State::Units {
                        analytes: named_from(1),
                    };
                } else {
                    state = State::Seeking;
                }
            }
            State::Table { data_type, columns } => {
                let (plate, well) = location(first).ok_or_else(|| {
                    ParseError::at(
                        line,
                        format!(
                            "{first:?} in the {data_type} table is not a Luminex location like 1(1,A1)"
                        ),
                    )
                })?;
                for (i, analyte) in columns.iter() {
                    let Some(value) = read_cell(cell(*i), DecimalMark::Point) else {
                        continue;
                    };
                    let read = if analyte == TOTAL_EVENTS {
                        if !total_events_seen.insert((plate.clone(), well)) {
                            continue;
                        }
                        TOTAL_EVENTS.to_owned()
                    } else if analyte.as_str() == data_type.as_str() {
                        data_type.clone()
                    } else {
                        format!("{data_type} {analyte}")
                    };
                    results.push((
                        data_type.clone(),
                        analyte.clone(),
                        RawResult {
                            plate: Some(plate.clone()),
                            position: Position::Well(well),
                            read,
                            value,
                            unit: None,
                        },
                    ));
                }
            }
            State::Units { analytes } => {
                if first == "Units:" {
                    for (i, analyte) in analytes.iter() {
                        let unit = cell(*i);
                        if !unit.is_empty() {
                            units.insert(analyte.clone(), unit.to_owned());
                        }
                    }
                }
            }
        }
    }
    if tables == 0 {
        return Err(ParseError::Missing(
            "no DataType: table of wells (Location, Sample, analytes): this is not a Luminex xPONENT export (export the batch as CSV with its results)".into(),
        ));
    }
    Ok(results
        .into_iter()
        .map(|(data_type, analyte, mut result)| {
            if takes_analyte_unit(&data_type) {
                result.unit = units.get(&analyte).cloned();
            }
            result
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_give_the_plate_and_the_well() {
        let (plate, well) = location("1(1,A1)").unwrap();
        assert_eq!((plate.as_str(), well.to_string()), ("1", "A1".into()));
        let (plate, well) = location("96(2,H12)").unwrap();
        assert_eq!((plate.as_str(), well.to_string()), ("2", "H12".into()));
        for bad in [
            "", "A1", "1,A1", "1(1,A1", "(1,A1)", "1(,A1)", "1(1,Z99)", "x(1,A1)",
        ] {
            assert!(location(bad).is_none(), "{bad:?}");
        }
    }
}
