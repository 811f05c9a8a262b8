//! The generic CSV: any instrument's table of results, read through a mapping the lab saves
//! per instrument (which column holds the well or sample, which hold values, the separator,
//! the decimal mark, how many lines come before the header). Rows whose mapped value cells
//! are all empty (a trailer, a total line) are passed over; a row with a value but no well
//! or sample is refused at its line. The mapping is the domain's
//! (`aliquot_domain::instruments::CsvMapping`), saved with the instrument.

use crate::reading::read_cell;
use crate::{text, ParseError, Position, RawResult, Well};
use aliquot_domain::instruments::{CsvMapping, PositionKind};

/// The results of a CSV read through `mapping` (the domain's, checked first: a mapping that
/// cannot read anything is refused with the domain's reason).
pub fn parse(bytes: &[u8], mapping: &CsvMapping) -> Result<Vec<RawResult>, ParseError> {
    mapping
        .check()
        .map_err(|e| ParseError::Missing(format!("the CSV mapping is refused: {e}")))?;
    let text = text::decode(bytes)?;
    let delimiter = u8::try_from(mapping.separator).unwrap_or(b',');
    // The title block is counted in lines as an editor shows them, then passed over whole.
    let skip = usize::try_from(mapping.skip_lines).unwrap_or(usize::MAX);
    let mut records = text::records(&text, delimiter)?
        .into_iter()
        .filter(|line| line.number > skip);
    let header = records
        .next()
        .ok_or_else(|| ParseError::Missing("the file ends before its header line".into()))?;
    let column = |name: &str| {
        header
            .cells
            .iter()
            .position(|h| h == name.trim())
            .ok_or_else(|| {
                let found: Vec<&str> = header
                    .cells
                    .iter()
                    .map(String::as_str)
                    .filter(|h| !h.is_empty())
                    .collect();
                ParseError::Missing(format!(
                    "the header has no column {name:?} (it has {})",
                    found.join(", ")
                ))
            })
    };
    let position = column(&mapping.position_column)?;
    let plate = mapping.plate_column.as_deref().map(column).transpose()?;
    let values = mapping
        .values
        .iter()
        .map(|v| column(&v.column).map(|i| (i, v)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = Vec::new();
    for record in records {
        let line = record.number;
        let cell = |i: usize| record.cell(i);
        let readings: Vec<_> = values
            .iter()
            .filter_map(|(i, v)| read_cell(cell(*i), mapping.decimal).map(|r| (v, r)))
            .collect();
        if readings.is_empty() {
            continue;
        }
        let at = cell(position);
        let position = match mapping.position_is {
            PositionKind::Well => Position::Well(
                Well::parse(at)
                    .ok_or_else(|| ParseError::at(line, format!("{at:?} is not a well")))?,
            ),
            PositionKind::Sample if at.is_empty() => {
                return Err(ParseError::at(line, "a row of values has no sample name"))
            }
            PositionKind::Sample => Position::Sample(at.to_owned()),
        };
        let plate = plate.map(cell).filter(|p| !p.is_empty()).map(str::to_owned);
        for (v, value) in readings {
            results.push(RawResult {
                plate: plate.clone(),
                position: position.clone(),
                read: v.read.clone().unwrap_or_else(|| v.column.clone()),
                value,
                unit: v.unit.clone(),
            });
        }
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bound, DecimalMark, Flag, Reading, ValueColumn};

    fn mapping() -> CsvMapping {
        CsvMapping {
            separator: ';',
            decimal: DecimalMark::Comma,
            skip_lines: 2,
            position_column: "Well".into(),
            position_is: PositionKind::Well,
            plate_column: Some("Plate".into()),
            values: vec![
                ValueColumn {
                    column: "OD 450".into(),
                    read: Some("450 nm".into()),
                    unit: Some("OD".into()),
                },
                ValueColumn {
                    column: "Conc".into(),
                    read: None,
                    unit: Some("ng/mL".into()),
                },
            ],
        }
    }

    #[test]
    fn a_european_csv_with_a_title_block_extra_columns_and_a_trailer() {
        let file = "\u{FEFF}ELISA reader X\r\nrun 7\r\nPlate;Well;Extra;OD 450;Conc\r\n\
                    P1;  A01;x;1,234;1.234,5\r\nP1;B1;y;OVRFLW;< 2,5\r\nP1;C1;;;\r\n\
                    Exported by nobody;;;;\r\n";
        let results = parse(file.as_bytes(), &mapping()).unwrap();
        let got: Vec<(String, String, Reading)> = results
            .iter()
            .map(|r| (r.position.to_string(), r.read.clone(), r.value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "A1".into(),
                    "450 nm".into(),
                    Reading::Number { value: 1.234 }
                ),
                (
                    "A1".into(),
                    "Conc".into(),
                    Reading::Number { value: 1234.5 }
                ),
                (
                    "B1".into(),
                    "450 nm".into(),
                    Reading::Flagged {
                        flag: Flag::Overflow,
                        text: "OVRFLW".into()
                    }
                ),
                (
                    "B1".into(),
                    "Conc".into(),
                    Reading::Censored {
                        bound: Bound::Below,
                        limit: Some(2.5),
                        text: "< 2,5".into()
                    }
                ),
            ]
        );
        assert!(results.iter().all(|r| r.plate.as_deref() == Some("P1")));
        assert_eq!(results[1].unit.as_deref(), Some("ng/mL"));
    }

    #[test]
    fn a_missing_column_or_a_value_without_a_well_is_refused_saying_where() {
        let no_column = "a\nb\nPlate;Well;OD 450\nP1;A1;1\n";
        let err = parse(no_column.as_bytes(), &mapping()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the header has no column \"Conc\" (it has Plate, Well, OD 450)"
        );
        let no_well = "a\nb\nPlate;Well;OD 450;Conc\nP1;A1;1;2\nP1;Z99;1;2\n";
        assert_eq!(
            parse(no_well.as_bytes(), &mapping()).unwrap_err(),
            ParseError::at(5, "\"Z99\" is not a well")
        );
        let mut bad = mapping();
        bad.values.clear();
        assert!(parse(b"x", &bad).is_err());
        bad = mapping();
        bad.separator = '|';
        assert!(parse(b"x", &bad).is_err());
    }
}
